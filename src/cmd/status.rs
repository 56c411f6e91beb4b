//! `autovenv status`: what autovenv sees for a folder, and why the shell has
//! what it has. Read-only: it creates, installs and trusts nothing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cmd::root_for;
use crate::context::Context;
use crate::env_vars;
use crate::error::Result;
use crate::hook_env::decide::{Current, Foreign};
use crate::hook_env::resolve;
use crate::msg;
use crate::sync;
use crate::trust::Trust;
use crate::venv::{self, EnvState};

#[derive(Serialize, Default)]
pub(crate) struct Status {
    pub root: Option<PathBuf>,
    pub env: Option<PathBuf>,
    /// The env is kept outside the project (`env_dir` elsewhere, or `env_store = "cache"`).
    pub env_outside: bool,
    pub exists: bool,
    pub allowed: bool,
    /// How it is trusted: "record", "prefix <path>", or null.
    pub trusted_by: Option<TrustedBy>,
    pub python: Option<String>,
    /// Where the dependencies come from, and why that source.
    pub source: Option<SourceStatus>,
    /// The requirements files that exist (includes too); empty when none.
    pub requirements: Vec<String>,
    /// URL includes: the installer reads them, autovenv cannot watch them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unwatched: Vec<String>,
    /// "ok", "stale", "failed", "never", "off", or null when there is no env.
    pub sync: Option<SyncStatus>,
    pub sync_error: Option<String>,
    pub active: bool,
    /// `deactivate` paused autovenv in this project in this shell.
    pub paused: bool,
    /// Why the env is not active in this shell, when it is not.
    pub reason: Option<String>,
    /// A problem with the env or the config, if any.
    pub problem: Option<String>,
    /// The last creation of the env failed (and is not retried by prompts
    /// until something it depended on changes): its error.
    pub creation_error: Option<String>,
    /// What to do about `problem`, `creation_error`, `sync_error` or `reason`.
    pub hint: Option<String>,
}

/// The dependency source in use.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceStatus {
    /// Its name in the precedence table ("requirements", "Pipfile.lock",
    /// …), or "none".
    pub name: String,
    /// The files it reads that exist.
    pub files: Vec<String>,
    /// Why this one: "found at the root", "wins over pyproject.toml", …
    pub why: String,
    /// "requirements.txt (found at the root)": the human form.
    #[serde(skip)]
    pub describe: String,
}

/// Why a project is trusted; shown and serialised as its Display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TrustedBy {
    /// An `autovenv allow` record.
    Record,
    /// A prefix in the global config's `trust.prefixes`.
    Prefix(PathBuf),
    /// A git worktree of this trusted folder's repository (`trust.worktrees`).
    Worktree(PathBuf),
}

impl std::fmt::Display for TrustedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrustedBy::Record => f.write_str("record"),
            TrustedBy::Prefix(p) => write!(f, "prefix {}", p.display()),
            TrustedBy::Worktree(p) => write!(f, "worktree of {}", p.display()),
        }
    }
}

impl Serialize for TrustedBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether the env has what the requirements list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SyncStatus {
    /// Installed from the files as they are.
    Ok,
    /// The files changed since (or the last install was interrupted): the
    /// next prompt installs.
    Stale,
    /// The last install of these very files failed.
    Failed,
    /// Nothing was ever installed.
    Never,
    /// Sync is off in the config.
    Off,
}

impl std::fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SyncStatus::Ok => "ok",
            SyncStatus::Stale => "stale",
            SyncStatus::Failed => "failed",
            SyncStatus::Never => "never",
            SyncStatus::Off => "off",
        })
    }
}

pub(crate) fn gather(ctx: &Context, dir: Option<&Path>) -> Status {
    let mut s = Status::default();
    let root = match root_for(ctx, dir) {
        Ok(r) => r,
        Err(e) => {
            s.reason = Some(e.message);
            s.hint = e.hint;
            return s;
        }
    };
    s.root = Some(root.clone());
    let project = match resolve::project(ctx, &root) {
        Ok(p) => p,
        Err(e) => {
            // A broken global config (or an unreadable trust record) is a
            // problem to show, as a broken project config is below.
            s.problem = Some(e.message.clone());
            s.reason = Some(e.message);
            s.hint = e.hint;
            return s;
        }
    };
    s.allowed = project.trust.is_trusted();
    s.trusted_by = match &project.trust {
        Trust::Allowed => Some(TrustedBy::Record),
        Trust::Prefix(p) => Some(TrustedBy::Prefix(p.clone())),
        Trust::Worktree(p) => Some(TrustedBy::Worktree(p.clone())),
        Trust::NotAllowed => None,
    };
    if !s.allowed {
        s.reason = Some("not allowed; run `autovenv allow`".into());
        s.hint = Some("run `autovenv allow` to create and activate its env".into());
        return s;
    }
    let t = match resolve::trusted(ctx, project) {
        Ok(t) => t,
        Err(e) => {
            s.problem = Some(e.message.clone());
            s.reason = Some(e.message);
            s.hint = e.hint;
            return s;
        }
    };
    s.env = Some(t.env.clone());
    s.env_outside = t.env_outside;
    s.python = venv::version(&t.env);
    let current = sync::current(&root, &t.settings, s.python.as_deref().unwrap_or(""));
    let exists = |files: Vec<String>| files.into_iter().filter(|f| root.join(f).is_file()).collect::<Vec<_>>();
    match &current {
        Ok(c) => {
            s.unwatched = c.inputs.urls.clone();
            s.source = Some(SourceStatus {
                name: c.chosen.name().into(),
                files: exists(c.inputs.files()),
                why: c.chosen.why.clone(),
                describe: c.chosen.describe(),
            });
            if c.chosen.name() == "requirements" {
                s.requirements = exists(c.inputs.files());
            }
        }
        Err((e, files, _)) => {
            s.problem = Some(e.message.clone());
            s.hint.clone_from(&e.hint);
            s.requirements = exists(files.clone());
        }
    }
    let state = venv::inspect(&t.env);
    s.exists = state != EnvState::Missing;
    if let Some(p) = env_problem(&state) {
        s.problem = Some(p);
    }
    let digest = current.as_ref().ok().map(|c| c.digest.as_str());
    let recorded = if s.exists { sync::read_state(&t.env) } else { None };
    s.sync = s.exists.then(|| sync_state(&t, recorded.as_ref(), digest, &mut s.sync_error));
    if s.sync_error.is_some() && s.sync == Some(SyncStatus::Failed) && s.hint.is_none() {
        s.hint = recorded.and_then(|st| st.hint).or_else(|| Some(sync::FIX_HINT.into()));
    }
    if state != EnvState::Ready {
        let record = crate::failure::file(ctx.dirs.state.as_deref(), &t.project.key());
        if let Some(r) = record.as_deref().and_then(crate::failure::read) {
            s.creation_error = Some(r.error);
            s.hint = r.hint.or(s.hint.take());
        }
    }

    let cur = Current::from_env(ctx.lookup());
    s.active = cur.get(env_vars::AUTOVENV_ENV) == Some(t.env.as_os_str())
        && cur.get(env_vars::VIRTUAL_ENV) == Some(t.env.as_os_str());
    s.paused = cur.get(env_vars::AUTOVENV_PAUSED) == Some(t.project.root.as_os_str());
    if s.paused && !s.active {
        s.reason = Some("paused by `deactivate` in this shell until you leave the project".into());
        s.hint.get_or_insert_with(|| "run `autovenv activate` to resume".into());
    } else if !s.active {
        s.reason = Some(match cur.foreign_env() {
            Some(Foreign::Venv(v)) => format!("another venv is active ({}); autovenv leaves it alone", v.display()),
            Some(Foreign::Conda(n)) => format!("conda env {} is active; autovenv leaves it alone", n.to_string_lossy()),
            None if cur.get(env_vars::AUTOVENV_ENV).is_some() => "this shell has another autovenv env active".into(),
            None if s.creation_error.is_some() => "its env could not be made (see creation)".into(),
            None => "this shell has not activated it (is the hook in your rc file?)".into(),
        });
    }
    s
}

fn env_problem(state: &EnvState) -> Option<String> {
    match state {
        EnvState::Incomplete => Some("creation was interrupted; it will be rebuilt".into()),
        EnvState::Broken { owned: true } => Some("its interpreter is gone; it will be rebuilt".into()),
        EnvState::Broken { owned: false } => Some("its interpreter is gone, and autovenv did not make it".into()),
        EnvState::Foreign(why) => Some(format!("the env folder {why}")),
        _ => None,
    }
}

/// `digest`: what the files hold now (`None`: they cannot be read).
fn sync_state(
    t: &resolve::Trusted,
    state: Option<&sync::State>,
    digest: Option<&str>,
    error: &mut Option<String>,
) -> SyncStatus {
    use crate::config::SyncMode;
    if t.settings.sync == SyncMode::Off {
        return SyncStatus::Off;
    }
    let Some(state) = state else {
        return SyncStatus::Never;
    };
    if state.interrupted {
        *error = Some("the last install was interrupted".into());
        return SyncStatus::Stale;
    }
    // What a prompt would decide, without the install.
    let root = &t.project.root;
    let fresh = sync::up_to_date(root, &t.settings, Some(state), sync::When::Changed)
        || digest.is_some_and(|d| sync::same_digest(Some(state), d, sync::When::Changed));
    // The last error is shown either way, but "failed" only while the files
    // are the ones that failed: once edited, the next prompt retries, so
    // the state is "stale", not "failed", as soon as a fix is saved.
    error.clone_from(&state.error);
    match (fresh, &state.error) {
        (false, _) => SyncStatus::Stale,
        (true, Some(_)) => SyncStatus::Failed,
        (true, None) => SyncStatus::Ok,
    }
}

pub(crate) fn render_json(s: &Status) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(s).expect("status serialises");
    out.push(b'\n');
    out
}

pub(crate) fn render_human(ctx: &Context, s: &Status) -> Vec<u8> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal();
    let paint = |text: &str, code: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let good = |ok: bool, text: &str| paint(text, if ok { "32" } else { "33" });
    let home = ctx.home();
    // Every value here comes from the file system or a file: escaped, as
    // in messages (`--json` keeps them exact).
    let esc = |text: &str| msg::escape(text).into_owned();
    let mut rows: Vec<(&str, String)> = Vec::new();
    let Some(root) = &s.root else {
        rows.push(("project", paint("none", "2")));
        if let Some(r) = &s.reason {
            rows.push(("why", esc(r)));
        }
        if let Some(h) = &s.hint {
            rows.push(("hint", esc(h)));
        }
        return table(&rows);
    };
    rows.push(("project", msg::path(root, home)));
    rows.push((
        "allowed",
        match &s.trusted_by {
            Some(by) => good(true, &format!("yes ({})", esc(&by.to_string()))),
            None => good(false, "no"),
        },
    ));
    if let Some(env) = &s.env {
        let mut what =
            if s.exists { format!("Python {}", s.python.as_deref().unwrap_or("?")) } else { "not created yet".into() };
        if s.env_outside {
            what.push_str(", outside the project");
        }
        rows.push(("env", format!("{} ({})", msg::path(env, home), esc(&what))));
        if let Some(src) = &s.source {
            rows.push(("source", esc(&src.describe)));
        }
        if s.source.as_ref().is_none_or(|src| src.name == "requirements" || src.name == "none") {
            rows.push((
                "requirements",
                if s.requirements.is_empty() { "none".into() } else { esc(&s.requirements.join(", ")) },
            ));
        } else if let Some(src) = &s.source {
            rows.push(("files", esc(&src.files.join(", "))));
        }
        if !s.unwatched.is_empty() {
            let urls = esc(&s.unwatched.join(", "));
            rows.push(("not watched", format!("{urls} (a URL; run `autovenv sync` after it changes)")));
        }
    }
    if let Some(sync) = &s.sync {
        let text = match &s.sync_error {
            Some(e) => esc(&format!("{sync}: {e}")),
            None => sync.to_string(),
        };
        rows.push(("sync", good(matches!(sync, SyncStatus::Ok | SyncStatus::Off), &text)));
    }
    rows.push((
        "active",
        if s.active {
            good(true, "yes")
        } else {
            good(false, &format!("no: {}", esc(s.reason.as_deref().unwrap_or(""))))
        },
    ));
    if let Some(p) = &s.problem {
        rows.push(("problem", paint(&esc(p), "31")));
    }
    if let Some(e) = &s.creation_error {
        rows.push(("creation", paint(&format!("failed: {}", esc(e)), "31")));
    }
    if let Some(h) = &s.hint {
        rows.push(("hint", esc(h)));
    }
    table(&rows)
}

fn table(rows: &[(&str, String)]) -> Vec<u8> {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<width$}  {v}\n")).collect::<String>().into_bytes()
}

pub(crate) fn run(ctx: &Context, dir: Option<&Path>, json: bool) -> Result<Vec<u8>> {
    let s = gather(ctx, dir);
    Ok(if json { render_json(&s) } else { render_human(ctx, &s) })
}
