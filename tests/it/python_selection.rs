//! Which Python a project gets: `.python-version` and `requires-python`,
//! met by an interpreter on the machine or refused with one error and a
//! hint, and nothing created with another Python.
//!
//! Conventions: `mypkg 1.0` and `other 1.0` are wheels in the sandbox's
//! find-links dir; projects are git work trees under `work/`.

use std::fs;

use crate::common::cli::*;
use crate::common::*;

// ------------------------------------------------------------ which Python

#[test]
fn python_version_file_met_and_unmet() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let ver = &tools().python_version;
    let good = sb.project("good").require("mypkg==1.0").file(".python-version", &format!("{ver}\n")).create();
    let out = av(&sb, good.root(), &["allow"]);
    ok(&out, "allow");
    assert!(text(&out.stderr).contains(&format!("with Python {ver}.")), "{}", text(&out.stderr));
    assert!(status_json(&sb, good.root(), &[])["python"].as_str().unwrap().starts_with(&format!("{ver}.")));

    let bad = sb.project("bad").require("mypkg==1.0").file(".python-version", "3.99\n").create();
    let out = av(&sb, bad.root(), &["allow"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("autovenv: error: Python 3.99 was requested by .python-version but no such interpreter was found"),
        "{err}"
    );
    assert!(err.contains("hint: install it"), "{err}");
    assert!(!bad.env_dir().exists(), "no env is made with another Python");
    // The hook says the same and activates nothing.
    let out = av(&sb, bad.root(), &["export", "bash"]);
    assert!(text(&out.stderr).contains("Python 3.99 was requested"));
    assert!(!text(&out.stdout).contains("VIRTUAL_ENV"));

    // An existing env is not thrown away for a request that cannot be
    // met: the error is the same, the env stays, and undoing the edit
    // brings it back as it was.
    let marker = good.env_dir().join("kept");
    fs::write(&marker, "").unwrap();
    fs::write(good.path(".python-version"), "3.99\n").unwrap();
    let out = av(&sb, good.root(), &["sync"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("Python 3.99 was requested by .python-version"), "{}", text(&out.stderr));
    assert!(marker.exists(), "the working env was deleted before the new Python was found:\n{}", text(&out.stderr));
    fs::write(good.path(".python-version"), format!("{ver}\n")).unwrap();
    let (vars, err) = export_json(&sb, good.root());
    assert_eq!(vars["VIRTUAL_ENV"], good.env_str().as_str(), "{err}");
    assert!(marker.exists(), "and it is used again as it is: {err}");
}

#[test]
fn requires_python_met_and_unmet() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let ver = &tools().python_version;
    let good =
        sb.project("good").file("pyproject.toml", "[project]\nname = \"g\"\nrequires-python = \">=3.8\"\n").create();
    let out = av(&sb, good.root(), &["allow"]);
    ok(&out, "allow");
    assert!(text(&out.stderr).contains(&format!("with Python {ver}.")));

    let bad =
        sb.project("bad").file("pyproject.toml", "[project]\nname = \"b\"\nrequires-python = \">=3.99\"\n").create();
    let out = av(&sb, bad.root(), &["allow"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("autovenv: error: no installed Python satisfies requires-python >=3.99 in pyproject.toml"),
        "{err}"
    );
    assert!(!bad.env_dir().exists());
}
