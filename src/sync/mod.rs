//! Dependency sync: install exactly when what the project declares changed.
//!
//! The state file inside the env records a sha256 over the interpreter
//! version, the install mode, what the source says decides its install
//! (groups, extras) and every file the source reads (path and content),
//! plus each file's size and mtime. The per-prompt check (`rule`) only
//! compares those stats; hashing happens only when a stat moved, and the
//! installer only when the digest moved. Deleting the env deletes the state
//! with it.
//!
//! `source` picks where the dependencies come from (one file per format,
//! one precedence table) and installs from it; `inputs` and `reqfile` walk
//! and parse requirements files; `state` keeps what was installed; `rule`
//! is the one answer to "does this need an install?"; `install` runs the
//! installer. This file puts them together.

use std::path::Path;
use std::time::Instant;

use crate::child::UvConfig;
use crate::config::{Settings, SyncMode};
use crate::error::{Error, Result};
use crate::msg;

mod inputs;
mod install;
mod reqfile;
mod rule;
pub(crate) mod source;
mod state;

pub(crate) use inputs::*;
pub(crate) use install::install_seed;
pub(crate) use rule::*;
pub(crate) use state::*;

pub(crate) use install::installed_dists;
use install::{what_changed, Failure, Installer};

/// One sync: what to install where, with what, and how hard to retry.
pub(crate) struct Job<'a> {
    pub root: &'a Path,
    pub env: &'a Path,
    pub python_version: &'a str,
    pub settings: &'a Settings,
    pub uv: Option<&'a Path>,
    /// The uv configuration the installer reads (see child.rs).
    pub uv_config: &'a UvConfig,
    /// A new env's pip wheel, installed together with the dependencies.
    pub seed: Option<&'a Path>,
    pub when: When,
}

/// What a project's dependencies are right now: the source, the files it
/// reads and the digest over them. What `sync` installs from and what
/// `status` compares with the state.
pub(crate) struct Current {
    pub chosen: source::Chosen,
    pub inputs: Inputs,
    pub digest: String,
}

/// Choose the source and read it: an error (with the files to watch so
/// that a fix is noticed) for bad input.
pub(crate) fn current(
    root: &Path,
    settings: &Settings,
    python_version: &str,
) -> std::result::Result<Current, (Error, Vec<String>, Vec<String>)> {
    let chosen = source::choose(root, settings).map_err(|(e, marks)| (e, Vec::new(), marks))?;
    let inputs = match &chosen.source {
        Some(s) => s.inputs(root).map_err(|e| (e, s.inputs_lenient(root), chosen.marks.clone()))?,
        None => Inputs::default(),
    };
    let extra = chosen.source.as_ref().map(|s| s.digest_extra()).unwrap_or_default();
    let digest = digest(root, python_version, settings.sync, &extra, &inputs.files())
        .map_err(|e| (e, inputs.files(), chosen.marks.clone()))?;
    Ok(Current { chosen, inputs, digest })
}

/// The files a sync of this project reads and the ones that could change
/// which source wins, missing ones too: what `autovenv watch` watches.
pub(crate) fn watched_files_of(root: &Path, settings: &Settings) -> Vec<String> {
    let (mut files, marks) = match current(root, settings, "") {
        Ok(c) => (c.inputs.files(), c.chosen.marks),
        Err((_, files, marks)) => (files, marks),
    };
    files.extend(marks);
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(f.clone()));
    files
}

/// Sync if needed. Call with the project lock held.
pub(crate) fn sync(job: &Job) -> Result<()> {
    let settings = job.settings;
    if settings.sync == SyncMode::Off {
        return Ok(());
    }
    let old = read_state(job.env);
    if rule::up_to_date(job.root, settings, old.as_ref(), job.when) {
        return Ok(());
    }
    let fingerprint = source::fingerprint(settings);
    let mode: String = settings.sync.as_str().into();
    let stats = |files: &[String]| files.iter().map(|f| stat_of(job.root, f)).collect::<Vec<_>>();
    let cur = match current(job.root, settings, job.python_version) {
        Ok(c) => c,
        Err((e, files, marks)) => {
            // Bad input (a missing include, a cycle, a file that is not
            // text): record it with the stats of every file involved, a
            // missing include too, so the following prompts stay quiet and
            // fixing or creating any of them is noticed without a cd. The
            // empty digest matches no content: the fix always installs.
            let error = Some(e.message.clone());
            let bad = State {
                digest: String::new(),
                error,
                mode,
                files: stats(&files),
                settings: fingerprint,
                marks: stats(&marks),
                ..State::default()
            };
            write_state(job.env, &bad)?;
            return Err(e);
        }
    };
    let files = cur.inputs.files();
    let mut state = State {
        digest: cur.digest.clone(),
        error: None,
        hint: None,
        mode,
        files: stats(&files),
        interrupted: false,
        urls: cur.inputs.urls.clone(),
        source: cur.chosen.row.map(|r| r.name.to_string()).unwrap_or_default(),
        settings: fingerprint,
        marks: stats(&cur.chosen.marks),
    };
    if rule::same_digest(old.as_ref(), &cur.digest, job.when) {
        // Touched but not changed (or changed back to what is installed):
        // remember the new stats, install nothing.
        if let Some(old) = old {
            (state.error, state.hint) = (old.error, old.hint);
        }
        write_state(job.env, &state)?;
        return Ok(());
    }
    let Some(source) = &cur.chosen.source else {
        write_state(job.env, &state)?;
        return Ok(());
    };
    let Some(summary) = source.summary(job.root, &cur.inputs) else {
        write_state(job.env, &state)?;
        return Ok(());
    };
    let started = Instant::now();
    let before = installed_dists(job.env);
    match source.install(&Installer { job }, &cur.inputs) {
        Ok(()) => {
            write_state(job.env, &state)?;
            msg::info(&format!(
                "synced {summary}: {} in {:.1}s",
                what_changed(&before, &installed_dists(job.env)),
                started.elapsed().as_secs_f64()
            ));
            Ok(())
        }
        Err(Failure::Interrupted) => {
            // Keep the old digest (the new one was not installed) and error,
            // with the new stats and the mark: see `State::interrupted`.
            let old = old.unwrap_or_default();
            let kept = State { digest: old.digest, error: old.error, hint: old.hint, interrupted: true, ..state };
            write_state(job.env, &kept)?;
            Err(Error::new("install interrupted; it will be retried the next time you enter the project")
                .with_hint("or run `autovenv sync` to retry now"))
        }
        Err(Failure::Failed(e)) => {
            let e = match e.hint {
                Some(_) => e,
                None => e.with_hint(FIX_HINT),
            };
            state.error = Some(e.message.clone());
            state.hint = e.hint.clone();
            write_state(job.env, &state)?;
            Err(e)
        }
    }
}

/// What to do about a failed install, unless its source knows better.
pub(crate) const FIX_HINT: &str = "fix the file, or run `autovenv sync` to retry";

/// Record the project's dependencies as installed, without running the
/// installer: for a command that just made the env and the files agree
/// (`freeze` wrote the file from the env, `remove` uninstalled what it took
/// out of it). The next prompt then finds its digest and installs nothing.
pub(crate) fn record(root: &Path, env: &Path, settings: &Settings) -> Result<()> {
    let python_version = crate::venv::version(env).unwrap_or_default();
    let cur = current(root, settings, &python_version).map_err(|(e, _, _)| e)?;
    let stats = |files: &[String]| files.iter().map(|f| stat_of(root, f)).collect::<Vec<_>>();
    write_state(
        env,
        &State {
            digest: cur.digest,
            error: None,
            hint: None,
            mode: settings.sync.as_str().into(),
            files: stats(&cur.inputs.files()),
            interrupted: false,
            urls: cur.inputs.urls.clone(),
            source: cur.chosen.row.map(|r| r.name.to_string()).unwrap_or_default(),
            settings: source::fingerprint(settings),
            marks: stats(&cur.chosen.marks),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::process::Command;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn watched_files(root: &Path, top: &[String]) -> Result<Vec<String>> {
        inputs(root, top).map(|i| i.files())
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
    fn digest_covers_version_mode_and_content() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "requirements.txt", "six\n");
        let f = vec!["requirements.txt".to_string()];
        let d = digest(t.path(), "3.11.7", SyncMode::Install, "", &f).unwrap();
        assert_eq!(d, digest(t.path(), "3.11.7", SyncMode::Install, "", &f).unwrap());
        assert_ne!(d, digest(t.path(), "3.12.0", SyncMode::Install, "", &f).unwrap());
        assert_ne!(d, digest(t.path(), "3.11.7", SyncMode::Exact, "", &f).unwrap());
        write(t.path(), "requirements.txt", "six\nflask\n");
        assert_ne!(d, digest(t.path(), "3.11.7", SyncMode::Install, "", &f).unwrap());
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
        let state = State { mode: "install".into(), files: vec![stat_of(r, "requirements.txt")], ..State::default() };
        assert!(stats_unchanged(r, &state, "", SyncMode::Install));
        fs::remove_file(r.join("requirements.txt")).unwrap();
        std::os::unix::fs::symlink("b.txt", r.join("requirements.txt")).unwrap();
        assert!(!stats_unchanged(r, &state, "", SyncMode::Install));
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
        let d = digest(r, "3", SyncMode::Install, "", &files).unwrap();
        write(r, "libs/x/setup.py", "install_requires=['six<2']");
        assert_ne!(d, digest(r, "3", SyncMode::Install, "", &files).unwrap());
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
        let state = State {
            digest: "x".into(),
            error: None,
            mode: "install".into(),
            files: vec![stat_of(r, "requirements.txt")],
            settings: "a".into(),
            marks: vec![stat_of(r, "Pipfile.lock")],
            ..State::default()
        };
        assert!(stats_unchanged(r, &state, "a", SyncMode::Install));
        assert!(!stats_unchanged(r, &state, "a", SyncMode::Exact));
        assert!(!stats_unchanged(r, &state, "b", SyncMode::Install), "other settings");
        write(r, "Pipfile.lock", "{}");
        assert!(!stats_unchanged(r, &state, "a", SyncMode::Install), "a mark appeared");
        let state = State { marks: vec![stat_of(r, "Pipfile.lock")], ..state };
        write(r, "requirements.txt", "six\n");
        assert!(!stats_unchanged(r, &state, "a", SyncMode::Install));
    }
}
