//! Requirements sync: install exactly when the requirements changed.
//!
//! The state file inside the env records a sha256 over the interpreter
//! version, the install mode and every watched file (path and content), plus
//! each file's size and mtime. The per-prompt check only compares those stats;
//! hashing happens only when a stat moved, and the installer only when the
//! digest moved. Deleting the env deletes the state with it.
//!
//! `inputs` walks the files a sync reads (with `reqfile` parsing each),
//! `state` keeps what was installed from them; this file decides and runs
//! the installer.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::child::{self, UvConfig};
use crate::config::SyncMode;
use crate::error::{Error, Result};
use crate::msg;
use crate::venv;

mod inputs;
mod reqfile;
mod state;

pub(crate) use inputs::*;
pub(crate) use state::*;

/// One sync: what to install where, with what, and how hard to retry.
pub(crate) struct Job<'a> {
    pub root: &'a Path,
    pub env: &'a Path,
    pub python_version: &'a str,
    pub top: &'a [String],
    pub mode: SyncMode,
    pub uv: Option<&'a Path>,
    /// The uv configuration the installer reads (see child.rs).
    pub uv_config: &'a UvConfig,
    /// A new env's pip wheel, installed together with the requirements.
    pub seed: Option<&'a Path>,
    /// Run the installer even when the digest matches (`autovenv sync --force`).
    pub force: bool,
    /// Run it again when the digest matches a failed install (`autovenv sync`).
    pub retry_failed: bool,
    /// Run it again when the last one was interrupted (entering the project).
    pub retry_interrupted: bool,
}

/// Sync if needed. Call with the project lock held.
pub(crate) fn sync(req: &Job) -> Result<()> {
    if req.mode == SyncMode::Off {
        return Ok(());
    }
    let old = read_state(req.env);
    // Whether the recorded outcome stands for an unchanged digest.
    let keep = |s: &State| {
        let retry = req.force || (req.retry_failed && s.error.is_some()) || (req.retry_interrupted && s.interrupted);
        !retry
    };
    if let Some(s) = &old {
        if keep(s) && stats_unchanged(req.root, s, req.top, req.mode) {
            // Unchanged: a failure stays recorded, not retried until the
            // files change; an interrupted install waits for the next entry.
            return Ok(());
        }
    }
    let inputs = match inputs(req.root, req.top) {
        Ok(i) => i,
        Err(e) => {
            // Bad input (a missing include, a cycle, a file that is not
            // text): record it with the stats of every file involved, a
            // missing include too, so the following prompts stay quiet and
            // fixing or creating any of them is noticed without a cd. The
            // empty digest matches no content: the fix always installs.
            let stats = watched_files_lenient(req.root, req.top).iter().map(|f| stat_of(req.root, f)).collect();
            let mode = req.mode.as_str().into();
            let error = Some(e.message.clone());
            let bad = State { digest: String::new(), error, mode, files: stats, ..State::default() };
            write_state(req.env, &bad)?;
            return Err(e);
        }
    };
    let files = inputs.files();
    let digest = digest(req.root, req.python_version, req.mode, &files)?;
    let stats: Vec<Stat> = files.iter().map(|f| stat_of(req.root, f)).collect();
    let mut state = State {
        digest: digest.clone(),
        error: None,
        mode: req.mode.as_str().into(),
        files: stats,
        interrupted: false,
        urls: inputs.urls.clone(),
    };
    if let Some(s) = old.as_ref().filter(|s| s.digest == digest && keep(s)) {
        // Touched but not changed (or changed back to what is installed):
        // remember the new stats, install nothing.
        state.error = s.error.clone();
        write_state(req.env, &state)?;
        return Ok(());
    }
    let present: Vec<&String> = inputs.reqs.iter().filter(|f| req.root.join(f).is_file()).collect();
    let top_present: Vec<&String> = req.top.iter().filter(|f| req.root.join(f).is_file()).collect();
    // An empty file (or one of only options and comments) has nothing to
    // install; running the installer would only print a warning. (What a
    // URL include holds is unknown here: the installer is asked.)
    if top_present.is_empty() || (count_requirements(req.root, &present) == 0 && inputs.urls.is_empty()) {
        write_state(req.env, &state)?;
        return Ok(());
    }
    let started = Instant::now();
    let before = installed_dists(req.env);
    match install(req, &top_present) {
        Ok(()) => {
            write_state(req.env, &state)?;
            let names: Vec<&str> = top_present.iter().map(|s| s.as_str()).collect();
            msg::info(&format!(
                "synced {} ({}): {} in {:.1}s",
                names.join(", "),
                plural(count_requirements(req.root, &present), "requirement"),
                what_changed(&before, &installed_dists(req.env)),
                started.elapsed().as_secs_f64()
            ));
            Ok(())
        }
        Err(Failure::Interrupted) => {
            // Keep the old digest (the new one was not installed) and error,
            // with the new stats and the mark: see `State::interrupted`.
            let old = old.unwrap_or_default();
            let kept = State { digest: old.digest, error: old.error, interrupted: true, ..state };
            write_state(req.env, &kept)?;
            Err(Error::new("install interrupted; it will be retried the next time you enter the project")
                .with_hint("or run `autovenv sync` to retry now"))
        }
        Err(Failure::Failed(why)) => {
            state.error = Some(why.clone());
            write_state(req.env, &state)?;
            Err(Error::new(why).with_hint("fix the file, or run `autovenv sync` to retry"))
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The distributions installed in `env`, name (normalized) to version, from
/// the `*.dist-info` folders of its site-packages: what the installer did is
/// the difference, whichever installer it was and whatever it printed.
pub(crate) fn installed_dists(env: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(libs) = fs::read_dir(env.join("lib")) else { return out };
    for lib in libs.flatten() {
        let Ok(entries) = fs::read_dir(lib.path().join("site-packages")) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".dist-info") else { continue };
            if let Some((n, v)) = stem.split_once('-') {
                out.insert(n.to_ascii_lowercase().replace(['-', '.'], "_"), v.to_string());
            }
        }
    }
    out
}

/// "3 installed, 1 changed, 2 removed", or "nothing to change".
fn what_changed(
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) -> String {
    let added = after.keys().filter(|k| !before.contains_key(*k)).count();
    let removed = before.keys().filter(|k| !after.contains_key(*k)).count();
    let changed = after.iter().filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v)).count();
    let parts: Vec<String> = [(added, "installed"), (changed, "changed"), (removed, "removed")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{} {what}", plural(*n, "package")))
        .collect();
    if parts.is_empty() {
        "nothing to change".into()
    } else {
        parts.join(", ")
    }
}

/// Requirement lines (editable ones included), not options or comments:
/// the number a person wrote.
fn count_requirements(root: &Path, files: &[&String]) -> usize {
    files
        .iter()
        .filter_map(|f| read_requirements(&root.join(f)).ok())
        .map(|t| {
            reqfile::items(&t, &env_var)
                .iter()
                .filter(|(_, i)| matches!(i, reqfile::Item::Requirement(_) | reqfile::Item::Editable(_)))
                .count()
        })
        .sum()
}

enum Failure {
    Interrupted,
    Failed(String),
}

/// Run the installer with its output on our stderr, so long installs show
/// their own progress. Always `<env>/bin/python -m pip` or uv with
/// `--python`, never the env's `bin/pip` launcher script.
fn install(req: &Job, top: &[&String]) -> std::result::Result<(), Failure> {
    let mut cmd = installer(req);
    let name = if req.uv.is_some() { "uv pip install" } else { "pip install" };
    if req.mode == SyncMode::Exact && req.uv.is_some() {
        cmd.arg("--exact");
    }
    if let Some(w) = req.seed {
        cmd.arg(w);
    }
    for f in top {
        cmd.arg("-r").arg(f);
    }
    let status = child::run_to_end(&mut cmd).map_err(|e| Failure::Failed(format!("cannot run {name}: {e}")))?;
    if status.success() {
        if req.mode == SyncMode::Exact && req.uv.is_none() {
            return remove_unlisted(req, top);
        }
        return Ok(());
    }
    use std::os::unix::process::ExitStatusExt;
    if status.signal() == Some(libc::SIGINT) || crate::signals::was_interrupted() {
        return Err(Failure::Interrupted);
    }
    let files: Vec<&str> = top.iter().map(|s| s.as_str()).collect();
    Err(Failure::Failed(format!("installing {} failed ({name} {})", files.join(", "), child::exit_text(status))))
}

/// `uv pip install --python <env>` or `<env>/bin/python -I -m pip install`,
/// in the project root.
fn installer(req: &Job) -> Command {
    let python = venv::python(req.env);
    match req.uv {
        Some(uv) => {
            let mut c = child::uv(uv, req.root, req.uv_config, &["pip", "install"]);
            c.arg("--python").arg(&python);
            c
        }
        None => child::python(
            &python,
            req.root,
            &["-m", "pip", "install", "--disable-pip-version-check"].map(std::ffi::OsStr::new),
        ),
    }
}

/// A new env's pip on its own, when no install of requirements took it.
pub(crate) fn install_seed(req: &Job) -> Result<()> {
    let Some(w) = req.seed else { return Ok(()) };
    let status =
        child::run_to_end(installer(req).arg("--quiet").arg(w)).map_err(|e| Error::io("cannot install pip", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("installing pip into {} failed ({})", req.env.display(), child::exit_text(status)))
            .with_hint("run `autovenv sync` to retry"))
    }
}

/// `exact` with pip: uninstall what is neither listed nor needed by what is
/// listed. (Not `pip-sync`-style "only what the file says": a hand-written
/// file does not list dependencies, and removing them would break the env.)
fn remove_unlisted(req: &Job, top: &[&String]) -> std::result::Result<(), Failure> {
    let failed = |why: String| Failure::Failed(format!("exact sync: {why}"));
    let names = listed_names(req.root, top).map_err(|e| failed(e.message))?;
    let Some(names) = names else {
        msg::warn("exact sync skipped: a requirement without a name (a path, URL or -e line) cannot be matched");
        return Ok(());
    };
    let python = venv::python(req.env);
    let out = child::python(&python, req.root, &["-c", include_str!("unlisted.py")].map(std::ffi::OsStr::new))
        .args(&names)
        .stderr(child::stderr_stdio())
        .output()
        .map_err(|e| failed(format!("cannot run {}: {e}", python.display())))?;
    if !out.status.success() {
        return Err(failed(format!("listing installed packages failed ({})", child::exit_text(out.status))));
    }
    let extra: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect();
    if extra.is_empty() {
        return Ok(());
    }
    msg::info(&format!("exact sync: removing {}", extra.join(", ")));
    let uninstall = ["-m", "pip", "uninstall", "--yes", "--quiet", "--disable-pip-version-check"];
    let status = child::python(&python, req.root, &uninstall.map(std::ffi::OsStr::new))
        .args(&extra)
        .stdin(std::process::Stdio::null())
        .stdout(child::stderr_stdio())
        .status()
        .map_err(|e| failed(format!("cannot run pip uninstall: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("pip uninstall {}", child::exit_text(status))))
    }
}

/// The package names the files list, following `-r` (not `-c`: a
/// constraint pins, it does not ask for a package). `None` when a line
/// installs something without a name to match.
fn listed_names(root: &Path, top: &[&String]) -> Result<Option<Vec<String>>> {
    let mut names = Vec::new();
    let mut todo: Vec<String> = top.iter().map(|s| (*s).clone()).collect();
    let mut seen = BTreeSet::new();
    while let Some(rel) = todo.pop() {
        if !seen.insert(rel.clone()) {
            continue;
        }
        let text = read_requirements(&root.join(&rel))?;
        let base = Path::new(&rel).parent().unwrap_or(Path::new("")).to_path_buf();
        for (_, item) in reqfile::items(&text, &env_var) {
            match item {
                reqfile::Item::Include { target, constraint: false } => match include_target(&base, &target) {
                    Target::Local(child) => todo.push(child),
                    // What a URL lists is unknown here: nothing can be matched.
                    Target::Url(_) => return Ok(None),
                },
                reqfile::Item::Include { constraint: true, .. } | reqfile::Item::Options => {}
                reqfile::Item::Editable(_) => return Ok(None),
                reqfile::Item::Requirement(line) => match requirement_name(&line) {
                    Some(n) => names.push(n.to_string()),
                    None => return Ok(None),
                },
            }
        }
    }
    Ok(Some(names))
}

/// `name`, `name[extra]>=1`, `name @ https://…`; not a bare path or URL.
fn requirement_name(line: &str) -> Option<&str> {
    if line.contains("://") && !line.contains(" @ ") && !line.contains("@ ") {
        return None;
    }
    let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c))).unwrap_or(line.len());
    let name = &line[..end];
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest = line[end..].trim_start();
    let path_like = rest.starts_with('/') || name.ends_with(".whl") || name.ends_with(".tar.gz") || name.contains('/');
    (first_ok && !path_like && !name.starts_with('.')).then_some(name)
}

/// Record the files under `top` as installed, without running the
/// installer: for a command that just made the env and the files agree
/// (`freeze` wrote the file from the env, `remove` uninstalled what it took
/// out of it). The next prompt then finds its digest and installs nothing.
pub(crate) fn record(root: &Path, env: &Path, top: &[String], mode: SyncMode) -> Result<()> {
    let found = inputs(root, top)?;
    let files = found.files();
    let python_version = venv::version(env).unwrap_or_default();
    let digest = digest(root, &python_version, mode, &files)?;
    let stats = files.iter().map(|f| stat_of(root, f)).collect();
    let urls = found.urls;
    write_state(env, &State { digest, error: None, mode: mode.as_str().into(), files: stats, interrupted: false, urls })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_installer_did() {
        let m = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let before = m(&[("a", "1"), ("b", "1"), ("c", "1")]);
        let after = m(&[("a", "1"), ("b", "2"), ("d", "1"), ("e", "1")]);
        assert_eq!(what_changed(&before, &after), "2 packages installed, 1 package changed, 1 package removed");
        assert_eq!(what_changed(&before, &before), "nothing to change");
        let t = tempfile::tempdir().unwrap();
        let sp = t.path().join("lib/python3.11/site-packages");
        fs::create_dir_all(sp.join("My.Pkg-1.0.dist-info")).unwrap();
        fs::create_dir_all(sp.join("mypkg")).unwrap();
        assert_eq!(installed_dists(t.path()), m(&[("my_pkg", "1.0")]));
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn includes_are_followed_relative_to_the_including_file() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "requirements.txt", "-r reqs/base.txt\n--constraint=reqs/pins.txt\nflask\n");
        write(r, "reqs/base.txt", "--requirement common.txt  # shared\nsix\n");
        write(r, "reqs/common.txt", "-r ../reqs/pins.txt\n");
        write(r, "reqs/pins.txt", "six==1.16\n");
        let files = watched_files(r, &["requirements.txt".into()]).unwrap();
        assert_eq!(files, ["requirements.txt", "reqs/base.txt", "reqs/common.txt", "reqs/pins.txt"]);
    }

    #[test]
    fn cycles_are_reported_not_looped() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "requirements.txt", "-r a.txt\n");
        write(t.path(), "a.txt", "-r requirements.txt\n");
        let e = watched_files(t.path(), &["requirements.txt".into()]).unwrap_err();
        assert_eq!(e.message, "requirements include cycle: requirements.txt -> a.txt -> requirements.txt");
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "requirements.txt", "six\n-r missing.txt\n");
        let e = watched_files(r, &["requirements.txt".into()]).unwrap_err();
        assert!(e.message.contains("line 2: included file") && e.message.contains("missing.txt"), "{}", e.message);
        fs::remove_file(r.join("requirements.txt")).unwrap();
        fs::create_dir(r.join("requirements.txt")).unwrap();
        let e = watched_files(r, &["requirements.txt".into()]).unwrap_err();
        assert!(e.message.ends_with("requirements.txt is not a regular file"), "{}", e.message);
        fs::write(r.join("bad.txt"), b"six\n\xff\n").unwrap();
        let e = watched_files(r, &["bad.txt".into()]).unwrap_err();
        assert!(e.message.ends_with("bad.txt line 2 is not valid UTF-8"), "{}", e.message);
        let fifo = r.join("fifo.txt");
        assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = watched_files(r, &["fifo.txt".into()]).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{}", e.message);
    }

    #[test]
    fn lenient_list_keeps_missing_includes_and_cuts_cycles() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "requirements.txt", "-r a.txt\n-r sub/missing.txt\n");
        write(r, "a.txt", "-r requirements.txt\nsix\n");
        assert_eq!(
            watched_files_lenient(r, &["requirements.txt".into()]),
            ["requirements.txt", "a.txt", "sub/missing.txt"]
        );
    }

    #[test]
    fn missing_top_level_file_is_watched_not_an_error() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(watched_files(t.path(), &["requirements.txt".into()]).unwrap(), ["requirements.txt"]);
    }

    #[test]
    fn requirement_names() {
        assert_eq!(requirement_name("Flask[async]>=2 ; python_version>'3'"), Some("Flask"));
        assert_eq!(requirement_name("six==1.16"), Some("six"));
        assert_eq!(requirement_name("pkg @ https://x/pkg.whl"), Some("pkg"));
        assert_eq!(requirement_name("https://x/pkg.whl"), None);
        assert_eq!(requirement_name("./local/pkg"), None);
        assert_eq!(requirement_name("pkg-1.0-py3-none-any.whl"), None);
    }

    #[test]
    fn listed_names_follow_requirements_not_constraints() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "requirements.txt", "-r more.txt\n-c pins.txt\n--find-links /w\nsix\n");
        write(t.path(), "more.txt", "flask>=2\n");
        write(t.path(), "pins.txt", "click==8\n");
        let top = "requirements.txt".to_string();
        let mut got = listed_names(t.path(), &[&top]).unwrap().unwrap();
        got.sort();
        assert_eq!(got, ["flask", "six"]);
        write(t.path(), "more.txt", "-e .\n");
        assert_eq!(listed_names(t.path(), &[&top]).unwrap(), None);
    }

    #[test]
    fn digest_covers_version_mode_and_content() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "requirements.txt", "six\n");
        let f = vec!["requirements.txt".to_string()];
        let d = digest(t.path(), "3.11.7", SyncMode::Install, &f).unwrap();
        assert_eq!(d, digest(t.path(), "3.11.7", SyncMode::Install, &f).unwrap());
        assert_ne!(d, digest(t.path(), "3.12.0", SyncMode::Install, &f).unwrap());
        assert_ne!(d, digest(t.path(), "3.11.7", SyncMode::Exact, &f).unwrap());
        write(t.path(), "requirements.txt", "six\nflask\n");
        assert_ne!(d, digest(t.path(), "3.11.7", SyncMode::Install, &f).unwrap());
    }

    #[test]
    fn a_symlink_repointed_at_a_twin_is_a_change() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "a.txt", "six\n");
        write(r, "b.txt", "ten\n");
        let mtime = fs::metadata(r.join("a.txt")).unwrap().modified().unwrap();
        fs::File::options().write(true).open(r.join("b.txt")).unwrap().set_modified(mtime).unwrap();
        std::os::unix::fs::symlink("a.txt", r.join("requirements.txt")).unwrap();
        let top = vec!["requirements.txt".to_string()];
        let state = State { mode: "install".into(), files: vec![stat_of(r, "requirements.txt")], ..State::default() };
        assert!(stats_unchanged(r, &state, &top, SyncMode::Install));
        fs::remove_file(r.join("requirements.txt")).unwrap();
        std::os::unix::fs::symlink("b.txt", r.join("requirements.txt")).unwrap();
        assert!(!stats_unchanged(r, &state, &top, SyncMode::Install));
    }

    #[test]
    fn urls_go_unwatched_file_urls_and_vars_are_followed() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let abs = r.join("shared dir/pins.txt");
        write(r, "shared dir/pins.txt", "six==1\n");
        let url = format!("file://{}", abs.display().to_string().replace(' ', "%20"));
        std::env::set_var("AVTEST_SYNC_REQS_DIR", r.join("reqs"));
        write(r, "reqs/base.txt", "flask\n");
        write(
            r,
            "requirements.txt",
            &format!("-c https://example.org/c.txt\n-c {url}\n-r ${{AVTEST_SYNC_REQS_DIR}}/base.txt\n"),
        );
        let got = inputs(r, &["requirements.txt".into()]).unwrap();
        assert_eq!(got.urls, ["https://example.org/c.txt"]);
        let base = r.join("reqs/base.txt").display().to_string();
        assert_eq!(got.reqs, ["requirements.txt".to_string(), abs.display().to_string(), base]);
    }

    #[test]
    fn local_projects_metadata_is_watched() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "libs/x/setup.py", "");
        write(r, "requirements.txt", "-e .[socks]\n./libs/x ; python_version > '3'\nsix\n");
        let got = inputs(r, &["requirements.txt".into()]).unwrap();
        let meta =
            ["pyproject.toml", "setup.py", "setup.cfg", "libs/x/pyproject.toml", "libs/x/setup.py", "libs/x/setup.cfg"];
        assert_eq!(got.meta, meta);
        // The digest moves with setup.py, though no requirements file did.
        let files = got.files();
        let d = digest(r, "3", SyncMode::Install, &files).unwrap();
        write(r, "libs/x/setup.py", "install_requires=['six<2']");
        assert_ne!(d, digest(r, "3", SyncMode::Install, &files).unwrap());
    }

    #[test]
    fn deep_chains_are_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for i in 0..300 {
            write(r, &format!("r{i}.txt"), &format!("-r r{}.txt\n", i + 1));
        }
        write(r, "r300.txt", "six\n");
        let e = watched_files(r, &["r0.txt".into()]).unwrap_err();
        assert!(
            e.message.starts_with("requirements includes nest more than 100 deep (r0.txt -> r1.txt"),
            "{}",
            e.message
        );
        assert!(watched_files_lenient(r, &["r0.txt".into()]).len() <= MAX_DEPTH + 1);
        // Many local projects in one file count too.
        let lines: String = (0..400).map(|i| format!("-e ./p{i}\n")).collect();
        write(r, "many.txt", &lines);
        let e = watched_files(r, &["many.txt".into()]).unwrap_err();
        assert_eq!(e.message, "requirements pull in more than 1000 files");
    }

    #[test]
    fn stats_detect_edits_and_new_files() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let top = vec!["requirements.txt".to_string()];
        let state = State {
            digest: "x".into(),
            error: None,
            mode: "install".into(),
            files: vec![stat_of(r, "requirements.txt")],
            ..State::default()
        };
        assert!(stats_unchanged(r, &state, &top, SyncMode::Install));
        assert!(!stats_unchanged(r, &state, &top, SyncMode::Exact));
        write(r, "requirements.txt", "six\n");
        assert!(!stats_unchanged(r, &state, &top, SyncMode::Install));
        assert!(!stats_unchanged(r, &state, &["other.txt".into()], SyncMode::Install));
    }
}
