//! `Pipfile.lock` (pipenv's lock): its pinned `default` packages, plus the
//! categories chosen with `groups` (`develop` is pipenv's `--dev`), with
//! their hashes, so that pip or uv verify every download; pipenv itself is
//! not needed. A `Pipfile` without its lock is an error saying to run
//! `pipenv lock`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::Settings;
use crate::error::{Error, Result};

use super::super::inputs::read_text_up_to;
use super::super::install::{plural, Failure, Installer};
use super::super::Inputs;
use super::{exists, normalize_name, Source};

const LOCK: &str = "Pipfile.lock";
const PIPFILE: &str = "Pipfile";
/// Where the hashed requirements are written for the installer: inside the
/// env, which is autovenv's.
const HASHED: &str = ".autovenv-Pipfile.lock.txt";

pub(super) struct Pipfile {
    /// `name[extras]==version ; markers --hash=…`, for a hash-checked run.
    hashed: Vec<String>,
    /// Entries without hashes (a path, a VCS URL, `editable`): a second
    /// run with `--no-deps`, since the lock lists their dependencies.
    plain: Vec<Vec<String>>,
    /// Normalized names, for `exact` with pip; a local path entry by its
    /// absolute folder (`None`: a git or file URL entry).
    names: Option<Vec<String>>,
    groups: Vec<String>,
}

pub(super) fn marks(_: &Settings) -> Vec<String> {
    vec![LOCK.into(), PIPFILE.into()]
}

pub(super) fn detect(root: &Path, s: &Settings) -> Result<Option<Box<dyn Source>>> {
    let path = root.join(LOCK);
    if !exists(&path) {
        if exists(&root.join(PIPFILE)) {
            return Err(Error::new(format!("{} has no {LOCK} next to it", root.join(PIPFILE).display())).with_hint(
                "run `pipenv lock` to write it (autovenv installs from the lock), or set `sources` in .autovenv.toml to skip Pipfile.lock",
            ));
        }
        return Ok(None);
    }
    Ok(Some(Box::new(read(&path, s)?)))
}

fn read(path: &Path, s: &Settings) -> Result<Pipfile> {
    let text = read_text_up_to(path, crate::fsutil::LOCK_READ_CAP)?;
    let bad =
        |why: String| Error::new(format!("{} {why}", path.display())).with_hint("run `pipenv lock` to write it again");
    let doc: Value = serde_json::from_str(&text).map_err(|e| bad(format!("is not valid JSON: {e}")))?;
    let Value::Object(doc) = doc else { return Err(bad("is not a JSON object".into())) };
    let categories: Vec<&str> = doc.keys().filter(|k| *k != "_meta").map(String::as_str).collect();
    let groups: Vec<String> = s.groups.clone().unwrap_or_default();
    for g in &groups {
        if !doc.contains_key(g.as_str()) || g == "_meta" || g == "default" {
            return Err(Error::new(format!("group '{g}' is not a category of {}", path.display()))
                .with_hint(format!("it has: {}; fix `groups` in the config", categories.join(", "))));
        }
    }
    let mut out = Pipfile { hashed: Vec::new(), plain: Vec::new(), names: Some(Vec::new()), groups: groups.clone() };
    let mut seen = std::collections::BTreeSet::new();
    for cat in std::iter::once("default").chain(groups.iter().map(String::as_str)) {
        let Some(entries) = doc.get(cat) else { continue };
        let Value::Object(entries) = entries else { return Err(bad(format!("has a '{cat}' that is not an object"))) };
        for (name, entry) in entries {
            if !seen.insert(normalize_name(name)) {
                continue; // in default and develop both: pipenv installs it once
            }
            let Value::Object(entry) = entry else {
                return Err(bad(format!("has an entry '{name}' that is not an object")));
            };
            let root = path.parent().unwrap_or(Path::new("/"));
            add(&mut out, root, name, entry).map_err(|why| bad(format!("entry '{name}': {why}")))?;
        }
    }
    Ok(out)
}

fn add(out: &mut Pipfile, root: &Path, name: &str, e: &Map<String, Value>) -> std::result::Result<(), String> {
    let s = |k: &str| e.get(k).and_then(Value::as_str);
    let extras: Vec<&str> = e
        .get("extras")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let extras = if extras.is_empty() { String::new() } else { format!("[{}]", extras.join(",")) };
    let markers = s("markers").map(|m| format!(" ; {m}")).unwrap_or_default();
    if let Some(version) = s("version") {
        if !version.starts_with("==") {
            return Err(format!("version {version:?} is not pinned with =="));
        }
        let hashes: Vec<&str> = e
            .get("hashes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let line = format!("{name}{extras}{version}{markers}");
        if let Some(n) = out.names.as_mut() {
            n.push(normalize_name(name));
        }
        if hashes.is_empty() {
            out.plain.push(vec![line]);
        } else {
            let hashes: String = hashes.iter().map(|h| format!(" --hash={h}")).collect();
            out.hashed.push(format!("{line}{hashes}"));
        }
        return Ok(());
    }
    let target = if let Some(p) = s("path").or_else(|| s("file")) {
        p.to_string()
    } else if let Some(g) = s("git") {
        let at = s("ref").map(|r| format!("@{r}")).unwrap_or_default();
        let url = if g.starts_with("git+") { g.to_string() } else { format!("git+{g}") };
        format!("{name}{extras} @ {url}{at}")
    } else {
        return Err("has neither a version nor a path, file or git source".into());
    };
    let target = if s("path").is_some() { format!("{target}{extras}") } else { target };
    let editable = e.get("editable").and_then(Value::as_bool).unwrap_or(false);
    out.plain.push(if editable { vec!["-e".into(), target] } else { vec![target] });
    // A local folder stands for what was installed from it (exact mode);
    // a git or file URL names nothing to match.
    let folder = s("path").and_then(|p| root.join(p).to_str().map(String::from));
    match (folder, out.names.as_mut()) {
        (Some(f), Some(n)) => n.push(f),
        _ => out.names = None,
    }
    Ok(())
}

impl Source for Pipfile {
    fn label(&self) -> String {
        LOCK.into()
    }

    fn inputs(&self, _root: &Path) -> Result<Inputs> {
        // The Pipfile is not read (the lock says all), but watched: editing
        // it without `pipenv lock` is shown in status as nothing to do.
        Ok(Inputs { reqs: vec![LOCK.into()], ..Inputs::default() })
    }

    fn inputs_lenient(&self, _root: &Path) -> Vec<String> {
        vec![LOCK.into()]
    }

    fn digest_extra(&self) -> String {
        format!("pipfile groups={:?}", self.groups)
    }

    fn summary(&self, _root: &Path, _inputs: &Inputs) -> Option<String> {
        let n = self.hashed.len() + self.plain.len();
        if n == 0 {
            return None;
        }
        let mut cats = vec!["default".to_string()];
        cats.extend(self.groups.iter().cloned());
        Some(format!("{LOCK} ({}, {})", plural(n, "package"), cats.join(" + ")))
    }

    fn install(&self, ix: &Installer, _inputs: &Inputs) -> std::result::Result<(), Failure> {
        // Hash-checking mode and `--no-deps` runs: the seed pip wheel (no
        // hash) goes in on its own, beside them.
        let pip = ix.seed_alongside();
        if !self.hashed.is_empty() {
            let file: PathBuf = ix.job.env.join(HASHED);
            let text: String = self.hashed.iter().map(|l| format!("{l}\n")).collect();
            crate::fsutil::write_atomic(&file, text.as_bytes())
                .map_err(|e| Failure::failed(format!("cannot write {}: {}", file.display(), e.message)))?;
            let args: Vec<OsString> = vec!["-r".into(), file.into()];
            if self.plain.is_empty() {
                return ix.pip_install(&args, false, self.names.clone(), LOCK);
            }
            ix.pip_install_adding(&args, false, LOCK)?;
        }
        for entry in &self.plain {
            let mut args: Vec<OsString> = vec!["--no-deps".into()];
            args.extend(entry.iter().map(OsString::from));
            ix.pip_install_adding(&args, false, LOCK)?;
        }
        // The removal runs the env's pip: in by now.
        drop(pip);
        ix.remove_unlisted(self.names.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(groups: Option<&[&str]>) -> Settings {
        let mut s = crate::config::resolve(&Default::default(), &Default::default());
        s.groups = groups.map(|g| g.iter().map(ToString::to_string).collect());
        s
    }

    const LOCKED: &str = r#"{
  "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {}, "sources": []},
  "default": {
    "six": {"hashes": ["sha256:aa", "sha256:bb"], "index": "pypi", "version": "==1.16.0"},
    "attrs": {"hashes": ["sha256:cc"], "markers": "python_version >= '3.7'", "version": "==23.1.0", "extras": ["tests"]},
    "app": {"editable": true, "path": "."}
  },
  "develop": {"pytest": {"hashes": ["sha256:dd"], "version": "==8.0.0"}, "six": {"hashes": ["sha256:aa"], "version": "==1.16.0"}}
}"#;

    fn plan(text: &str, s: &Settings) -> Result<Pipfile> {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(LOCK), text).unwrap();
        read(&t.path().join(LOCK), s)
    }

    #[test]
    fn pinned_lines_with_hashes_and_plain_entries() {
        let p = plan(LOCKED, &settings(None)).unwrap();
        assert_eq!(
            p.hashed,
            [
                "attrs[tests]==23.1.0 ; python_version >= '3.7' --hash=sha256:cc",
                "six==1.16.0 --hash=sha256:aa --hash=sha256:bb",
            ]
        );
        assert_eq!(p.plain, [vec!["-e".to_string(), ".".to_string()]]);
        let names = p.names.unwrap();
        assert!(names.contains(&"six".to_string()) && names[0].ends_with("/."), "{names:?}");
        let dev = plan(LOCKED, &settings(Some(&["develop"]))).unwrap();
        assert_eq!(dev.hashed.len(), 3, "{:?}", dev.hashed);
    }

    #[test]
    fn problems_are_one_clear_error() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(PIPFILE), "[packages]\nsix = \"*\"\n").unwrap();
        let e = detect(t.path(), &settings(None)).err().unwrap();
        assert!(e.message.ends_with("Pipfile has no Pipfile.lock next to it"), "{}", e.message);
        assert!(e.hint.unwrap().starts_with("run `pipenv lock`"));
        let e = plan("{not json", &settings(None)).err().unwrap();
        assert!(e.message.contains("Pipfile.lock is not valid JSON"), "{}", e.message);
        let e = plan(LOCKED, &settings(Some(&["docs"]))).err().unwrap();
        assert!(e.message.starts_with("group 'docs' is not a category of"), "{}", e.message);
        assert_eq!(e.hint.as_deref(), Some("it has: default, develop; fix `groups` in the config"));
        let e = plan(r#"{"default": {"six": {"version": ">=1"}}}"#, &settings(None)).err().unwrap();
        assert!(e.message.ends_with("entry 'six': version \">=1\" is not pinned with =="), "{}", e.message);
    }
}
