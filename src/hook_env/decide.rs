//! Decide: from what the shell has now and what it should have, the list of
//! variable changes. A pure function: no file system, no environment, no
//! shell syntax, so every case is a unit test.
//!
//! The trick that keeps it small: copy the managed variables, apply "leave the
//! old env" and then "enter the new one" to the copy, and emit only the
//! variables whose value differs from what the shell has. Switching A → B,
//! repairing a shell whose PATH was reset, and leaving are all the same code.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::dirs::EnvLookup;
use crate::env_vars::{
    AUTOVENV_ENV, AUTOVENV_HINTED, AUTOVENV_PAUSED, AUTOVENV_ROOT, AUTOVENV_SAVED_PYTHONHOME, AUTOVENV_SAVED_UV,
    CONDA_DEFAULT_ENV, CONDA_PREFIX, PATH, PYTHONHOME, UV_PROJECT_ENVIRONMENT, VIRTUAL_ENV, VIRTUAL_ENV_PROMPT,
};
use crate::shell::Change;

/// Every variable this module may change, in the order changes are emitted.
const MANAGED: &[&str] = &[
    AUTOVENV_ROOT,
    AUTOVENV_ENV,
    AUTOVENV_SAVED_PYTHONHOME,
    AUTOVENV_SAVED_UV,
    AUTOVENV_HINTED,
    AUTOVENV_PAUSED,
    VIRTUAL_ENV,
    VIRTUAL_ENV_PROMPT,
    PYTHONHOME,
    UV_PROJECT_ENVIRONMENT,
    PATH,
];

/// What the shell has now: the managed variables, plus conda's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Current {
    vars: BTreeMap<&'static str, OsString>,
    /// The name of an active conda env (`CONDA_DEFAULT_ENV` with `CONDA_PREFIX` set).
    pub conda_env: Option<OsString>,
    /// `AUTOVENV_ENV` names neither a venv nor the env this shell recorded
    /// activating (see `resolve::current`): its PATH entry is not ours to
    /// remove, and leaving drops the bookkeeping only.
    pub env_unverified: bool,
    /// `AUTOVENV_ENV` is outside `AUTOVENV_ROOT` and autovenv made it for
    /// that project (its mark says so) or this shell recorded activating
    /// it (see `resolve::current`): an env kept outside the project.
    pub env_outside_ok: bool,
    /// The hook is new to this shell: its first prompt (a nested shell,
    /// `exec $SHELL`, a tmux pane) or the rc sourced again. PATH was then
    /// inherited or rebuilt by the rc, which may have put its own entries
    /// (pyenv's shims, `~/.local/bin`) before the env's.
    pub fresh: bool,
}

impl Current {
    pub(crate) fn from_env(env: EnvLookup) -> Current {
        let vars = MANAGED.iter().filter_map(|&k| env(k).map(|v| (k, v))).collect();
        let conda_env = env(CONDA_PREFIX).and(env(CONDA_DEFAULT_ENV));
        Current { vars, conda_env, env_unverified: false, env_outside_ok: false, fresh: false }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(name).map(std::ffi::OsString::as_os_str)
    }

    #[cfg(test)]
    pub(crate) fn with(mut self, name: &'static str, value: &str) -> Current {
        assert!(MANAGED.contains(&name), "{name} is not managed");
        self.vars.insert(name, value.into());
        self
    }

    /// End the pause `deactivate` set; whether there was one.
    pub(crate) fn resume(&mut self) -> bool {
        self.vars.remove(AUTOVENV_PAUSED).is_some()
    }

    /// Treat a foreign venv, and a pause `deactivate` left, as absent (for
    /// `exec`, which names its project). Its bin stays on PATH, behind the env's.
    pub(crate) fn forget_foreign(&mut self) {
        self.vars.remove(AUTOVENV_PAUSED);
        if self.get(VIRTUAL_ENV) != self.get(AUTOVENV_ENV) {
            self.vars.remove(VIRTUAL_ENV);
            self.vars.remove(VIRTUAL_ENV_PROMPT);
        }
        self.conda_env = None;
    }

    /// Why autovenv must keep its hands off this shell, if it must: someone
    /// else's venv or a conda env is active. conda's `base` is on by default
    /// in most conda installs, so it does not count.
    pub(crate) fn foreign_env(&self) -> Option<Foreign> {
        if let Some(v) = self.get(VIRTUAL_ENV) {
            if Some(v) != self.get(AUTOVENV_ENV) {
                return Some(Foreign::Venv(PathBuf::from(v)));
            }
        }
        match &self.conda_env {
            Some(name) if name != "base" => Some(Foreign::Conda(name.clone())),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Foreign {
    /// A venv activated by hand (`source …/bin/activate`) or by another tool.
    Venv(PathBuf),
    Conda(OsString),
}

/// What the shell should have, as discover, trust and config found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Not in a project, or in one that cannot be activated (an error was shown).
    None,
    Untrusted {
        root: PathBuf,
    },
    Active {
        root: PathBuf,
        env: PathBuf,
        prompt: OsString,
    },
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub changes: Vec<Change>,
    /// Show the "not allowed" hint for this root.
    pub hint: Option<PathBuf>,
    /// A target env that was not activated because of this.
    pub blocked: Option<Foreign>,
    /// What to do with the shell's `deactivate` function.
    pub deactivate: Option<DeactivateFn>,
}

/// The `deactivate` that autovenv defines while its env is active (a
/// venv's own `bin/activate` defines one; autovenv never sources that).
/// Each shell's renderer defines it only where none exists and removes it
/// only when it is autovenv's, so a venv activated by hand or a function of
/// the person's own keeps theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeactivateFn {
    Define,
    Drop,
}

/// `deactivate` pauses the project it was run in: the shell keeps
/// `AUTOVENV_PAUSED` set to that root while it stays in the project.
fn paused(cur: &Current, target: &Target) -> bool {
    matches!(target, Target::Active { root, .. } if cur.get(AUTOVENV_PAUSED) == Some(root.as_os_str()))
}

pub(crate) fn bin_dir(env: &Path) -> PathBuf {
    crate::venv::bin_dir(env)
}

pub(crate) fn decide(cur: &Current, target: &Target) -> Plan {
    let mut next = cur.vars.clone();
    let mut plan = Plan::default();

    let foreign = cur.foreign_env();
    let paused = paused(cur, target);
    let wanted = match target {
        Target::Active { .. } if paused => None,
        Target::Active { root, env, prompt } => match foreign {
            Some(f) => {
                plan.blocked = Some(f);
                None
            }
            None => Some((root, env, prompt)),
        },
        _ => None,
    };

    // A fresh hook puts the env's bin first again (leave + enter below
    // moves that one entry and nothing else); later, the person's own PATH
    // edits inside the project keep their order.
    let in_place = wanted.is_some_and(|(root, env, _)| {
        is_active(cur, root, env) && !(cur.fresh && path_position(cur.get(PATH), &bin_dir(env)) != Some(0))
    });
    if !in_place {
        leave(&mut next, cur.env_unverified, cur.env_outside_ok);
        if let Some((root, env, prompt)) = wanted {
            enter(&mut next, root, env, prompt);
        }
    } else if let Some((_, _, prompt)) = wanted {
        // Only the prompt can drift in place (its config was edited).
        next.insert(VIRTUAL_ENV_PROMPT, prompt.clone());
    }

    match target {
        Target::Untrusted { root } => {
            if cur.get(AUTOVENV_HINTED) != Some(root.as_os_str()) {
                plan.hint = Some(root.clone());
            }
            next.insert(AUTOVENV_HINTED, root.clone().into_os_string());
        }
        _ => {
            next.remove(AUTOVENV_HINTED);
        }
    }
    // Out of the paused project (or in another one): the pause is over.
    if !paused {
        next.remove(AUTOVENV_PAUSED);
    }
    let active_after = next.contains_key(AUTOVENV_ENV);
    if active_after && (cur.fresh || cur.get(AUTOVENV_ENV) != next.get(AUTOVENV_ENV).map(OsString::as_os_str)) {
        // A fresh hook: a new shell inherits the variables, not functions.
        plan.deactivate = Some(DeactivateFn::Define);
    } else if !active_after && cur.get(AUTOVENV_ENV).is_some() {
        plan.deactivate = Some(DeactivateFn::Drop);
    }

    for &name in MANAGED {
        match (cur.vars.get(name), next.get(name)) {
            (old, Some(new)) if old != Some(new) => plan.changes.push(Change::SetEnv(name, new.clone())),
            (Some(_), None) => plan.changes.push(Change::UnsetEnv(name)),
            _ => {}
        }
    }
    plan
}

/// Already active, and nothing the shell did since undid it.
fn is_active(cur: &Current, root: &Path, env: &Path) -> bool {
    cur.get(AUTOVENV_ROOT) == Some(root.as_os_str())
        && cur.get(AUTOVENV_ENV) == Some(env.as_os_str())
        && cur.get(VIRTUAL_ENV) == Some(env.as_os_str())
        && path_position(cur.get(PATH), &bin_dir(env)).is_some()
}

type Vars = BTreeMap<&'static str, OsString>;

fn leave(v: &mut Vars, unverified: bool, outside_ok: bool) {
    let Some(env) = v.get(AUTOVENV_ENV).map(PathBuf::from) else {
        // Bookkeeping without an env is tampered or half-written: drop it.
        v.remove(AUTOVENV_ROOT);
        v.remove(AUTOVENV_SAVED_PYTHONHOME);
        v.remove(AUTOVENV_SAVED_UV);
        return;
    };
    // autovenv's env is always one folder inside its root, and `/` is never
    // a root. Bookkeeping that says otherwise was tampered with (or written
    // by something else): removing `<AUTOVENV_ENV>/bin` from PATH could then
    // take a system folder with it (AUTOVENV_ENV=/usr strips /usr/bin).
    // Drop such bookkeeping and leave PATH alone. An env kept outside the
    // project counts only when checked on disk (`outside_ok`).
    let ours = v.get(AUTOVENV_ROOT).map(Path::new).is_some_and(|root| {
        root.is_absolute() && root.parent().is_some() && (env.parent() == Some(root) || outside_ok)
    }) && !unverified;
    if !ours {
        v.remove(AUTOVENV_ROOT);
        v.remove(AUTOVENV_ENV);
        v.remove(AUTOVENV_SAVED_PYTHONHOME);
        v.remove(AUTOVENV_SAVED_UV);
        return;
    }
    if let Some(path) = v.get(PATH) {
        if let Some(i) = path_position(Some(path), &bin_dir(&env)) {
            let mut parts = split_path(path);
            parts.remove(i);
            v.insert(PATH, join_path(&parts));
        }
    }
    if v.get(VIRTUAL_ENV).map(Path::new) == Some(env.as_path()) {
        v.remove(VIRTUAL_ENV);
        v.remove(VIRTUAL_ENV_PROMPT);
    }
    if let Some(saved) = v.remove(AUTOVENV_SAVED_PYTHONHOME) {
        v.insert(PYTHONHOME, saved);
    }
    match v.remove(AUTOVENV_SAVED_UV) {
        Some(saved) => {
            v.insert(UV_PROJECT_ENVIRONMENT, saved);
        }
        None if v.get(UV_PROJECT_ENVIRONMENT).map(Path::new) == Some(env.as_path()) => {
            v.remove(UV_PROJECT_ENVIRONMENT);
        }
        None => {}
    }
    v.remove(AUTOVENV_ROOT);
    v.remove(AUTOVENV_ENV);
}

fn enter(v: &mut Vars, root: &Path, env: &Path, prompt: &OsStr) {
    let bin = bin_dir(env).into_os_string();
    let path = match v.get(PATH) {
        // Prepending to an empty PATH must not add an empty entry: that
        // would mean "the current directory" to every exec.
        Some(p) if !p.is_empty() => {
            // A copy already there came back with PATH from before a leave:
            // another venv's `deactivate` restores the PATH saved when it
            // was activated inside this project. Kept, it would be left
            // behind when leaving.
            let rest: Vec<&[u8]> = split_path(p).into_iter().filter(|e| *e != bin.as_bytes()).collect();
            let mut s = bin;
            if !rest.is_empty() {
                s.push(":");
                s.push(join_path(&rest));
            }
            s
        }
        _ => bin,
    };
    v.insert(PATH, path);
    v.insert(VIRTUAL_ENV, env.as_os_str().to_owned());
    v.insert(VIRTUAL_ENV_PROMPT, prompt.to_owned());
    if let Some(home) = v.remove(PYTHONHOME) {
        v.insert(AUTOVENV_SAVED_PYTHONHOME, home);
    }
    if let Some(old) = v.insert(UV_PROJECT_ENVIRONMENT, env.as_os_str().to_owned()) {
        v.insert(AUTOVENV_SAVED_UV, old);
    }
    v.insert(AUTOVENV_ROOT, root.as_os_str().to_owned());
    v.insert(AUTOVENV_ENV, env.as_os_str().to_owned());
}

fn split_path(path: &OsStr) -> Vec<&[u8]> {
    path.as_bytes().split(|&b| b == b':').collect()
}

fn join_path(parts: &[&[u8]]) -> OsString {
    OsString::from_vec(parts.join(&b':'))
}

fn path_position(path: Option<&OsStr>, entry: &Path) -> Option<usize> {
    let path = path.filter(|p| !p.is_empty())?;
    split_path(path).iter().position(|p| *p == entry.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P0: &str = "/usr/local/bin:/usr/bin:/bin";

    fn active(root: &str, prompt: &str) -> Target {
        Target::Active { root: root.into(), env: Path::new(root).join("env"), prompt: prompt.into() }
    }

    /// Apply a plan's changes to `cur`, as the shell would.
    fn apply(cur: &Current, plan: &Plan) -> Current {
        let mut next = cur.clone();
        for c in &plan.changes {
            match c {
                Change::SetEnv(k, v) => {
                    next.vars.insert(k, v.clone());
                }
                Change::UnsetEnv(k) => {
                    next.vars.remove(k);
                }
                other => panic!("plan emitted a non-env change: {other:?}"),
            }
        }
        next
    }

    fn path_of(c: &Current) -> &str {
        c.get(PATH).unwrap().to_str().unwrap()
    }

    #[test]
    fn enter_then_leave_restores_exactly() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        assert_eq!(path_of(&inside), format!("/p/env/bin:{P0}"));
        assert_eq!(inside.get(VIRTUAL_ENV), Some(OsStr::new("/p/env")));
        assert_eq!(inside.get(VIRTUAL_ENV_PROMPT), Some(OsStr::new("p")));
        assert_eq!(inside.get(UV_PROJECT_ENVIRONMENT), Some(OsStr::new("/p/env")));
        let after = apply(&inside, &decide(&inside, &Target::None));
        assert_eq!(after, before);
    }

    #[test]
    fn paused_project_stays_off_until_left() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        assert_eq!(decide(&before, &active("/p", "p")).deactivate, Some(DeactivateFn::Define));
        // `deactivate` sets the pause to the active root and runs the hook.
        let asked = inside.clone().with(AUTOVENV_PAUSED, "/p");
        let plan = decide(&asked, &active("/p", "p"));
        assert_eq!(plan.deactivate, Some(DeactivateFn::Drop));
        let off = apply(&asked, &plan);
        assert_eq!(off, before.clone().with(AUTOVENV_PAUSED, "/p"), "restored as leaving would, pause kept");
        assert_eq!(decide(&off, &active("/p", "p")), Plan::default(), "later prompts inside change nothing");
        // Another project (a nested one, or a cd elsewhere) ends the pause.
        let in_q = apply(&off, &decide(&off, &active("/q", "q")));
        assert_eq!(in_q.get(AUTOVENV_PAUSED), None);
        assert_eq!(in_q.get(AUTOVENV_ROOT), Some(OsStr::new("/q")));
        let out = apply(&off, &decide(&off, &Target::None));
        assert_eq!(out, before, "leaving ends the pause");
        let back = apply(&out, &decide(&out, &active("/p", "p")));
        assert_eq!(back, inside, "entering again activates");
    }

    #[test]
    fn deactivate_fn_follows_activation_only() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        assert_eq!(decide(&inside, &active("/p", "p")).deactivate, None, "nothing again at every run");
        let mut fresh = inside.clone();
        fresh.fresh = true;
        assert_eq!(decide(&fresh, &active("/p", "p")).deactivate, Some(DeactivateFn::Define), "a new shell");
        assert_eq!(decide(&inside, &active("/q", "q")).deactivate, Some(DeactivateFn::Define));
        assert_eq!(decide(&inside, &Target::None).deactivate, Some(DeactivateFn::Drop));
        assert_eq!(decide(&before, &Target::None).deactivate, None);
        // A venv activated by hand inside: autovenv steps aside and its
        // renderer keeps the venv's own `deactivate`.
        let manual = inside.clone().with(VIRTUAL_ENV, "/elsewhere");
        assert_eq!(decide(&manual, &active("/p", "p")).deactivate, Some(DeactivateFn::Drop));
    }

    #[test]
    fn nothing_to_do_emits_nothing() {
        let before = Current::default().with(PATH, P0);
        assert_eq!(decide(&before, &Target::None), Plan::default());
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        assert_eq!(decide(&inside, &active("/p", "p")), Plan::default());
    }

    #[test]
    fn user_path_edits_inside_survive_leaving() {
        let before = Current::default().with(PATH, P0);
        let mut inside = apply(&before, &decide(&before, &active("/p", "p")));
        let edited = format!("/mine/bin:/p/env/bin:{P0}:/opt/extra");
        inside.vars.insert(PATH, edited.into());
        // A cd inside the project must not reorder anything.
        assert_eq!(decide(&inside, &active("/p", "p")), Plan::default());
        let after = apply(&inside, &decide(&inside, &Target::None));
        assert_eq!(path_of(&after), format!("/mine/bin:{P0}:/opt/extra"));
    }

    #[test]
    fn a_to_b_is_one_step() {
        let before = Current::default().with(PATH, P0);
        let in_a = apply(&before, &decide(&before, &active("/a", "a")));
        let plan = decide(&in_a, &active("/b", "b"));
        let in_b = apply(&in_a, &plan);
        assert_eq!(path_of(&in_b), format!("/b/env/bin:{P0}"));
        assert_eq!(in_b.get(AUTOVENV_ROOT), Some(OsStr::new("/b")));
        assert_eq!(apply(&in_b, &decide(&in_b, &Target::None)), before);
    }

    #[test]
    fn pythonhome_and_uv_env_are_saved_and_restored() {
        let before = Current::default().with(PATH, P0).with(PYTHONHOME, "").with(UV_PROJECT_ENVIRONMENT, "/elsewhere");
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        assert_eq!(inside.get(PYTHONHOME), None);
        assert_eq!(inside.get(AUTOVENV_SAVED_PYTHONHOME), Some(OsStr::new("")));
        assert_eq!(inside.get(UV_PROJECT_ENVIRONMENT), Some(OsStr::new("/p/env")));
        assert_eq!(apply(&inside, &decide(&inside, &Target::None)), before);
    }

    #[test]
    fn reset_path_is_repaired() {
        // A tmux login shell: PATH rebuilt from scratch, AUTOVENV_* inherited.
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        let mut login = inside.clone();
        login.vars.insert(PATH, P0.into());
        let repaired = apply(&login, &decide(&login, &active("/p", "p")));
        assert_eq!(repaired, inside);
        // …and outside the project the stale bookkeeping is just dropped.
        let left = apply(&login, &decide(&login, &Target::None));
        assert_eq!(left, before);
    }

    #[test]
    fn a_fresh_hook_puts_the_env_first_and_moves_nothing_else() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        // A nested shell whose rc put pyenv's shims and ~/.local/bin first.
        let mut nested = inside.clone();
        nested.vars.insert(PATH, format!("/shims:/h/.local/bin:/p/env/bin:{P0}").into());
        nested.fresh = true;
        let plan = decide(&nested, &active("/p", "p"));
        assert_eq!(plan.changes, vec![Change::SetEnv(PATH, format!("/p/env/bin:/shims:/h/.local/bin:{P0}").into())]);
        // Already first: nothing to do.
        let mut first = inside.clone();
        first.fresh = true;
        let plan = decide(&first, &active("/p", "p"));
        assert_eq!(plan.changes, vec![]);
        // …but a new shell inherits no functions: it needs `deactivate`.
        assert_eq!(plan.deactivate, Some(DeactivateFn::Define));
        // Not fresh: the person's own order inside the project is kept.
        nested.fresh = false;
        assert_eq!(decide(&nested, &active("/p", "p")), Plan::default());
    }

    #[test]
    fn entering_keeps_one_copy_of_the_env_bin() {
        // Another venv's `deactivate` restored a PATH saved inside the
        // project, our entry in it, after autovenv had left.
        let cur = Current::default().with(PATH, &format!("/p/env/bin:{P0}:/p/env/bin"));
        let inside = apply(&cur, &decide(&cur, &active("/p", "p")));
        assert_eq!(path_of(&inside), format!("/p/env/bin:{P0}"));
        let after = apply(&inside, &decide(&inside, &Target::None));
        assert_eq!(path_of(&after), P0);
        for p in ["/p/env/bin", "/p/env/bin:", "/p/env/bin::/a"] {
            let cur = Current::default().with(PATH, p);
            let inside = apply(&cur, &decide(&cur, &active("/p", "p")));
            let want = p.to_string();
            assert_eq!(path_of(&inside), want, "{p:?}");
        }
    }

    #[test]
    fn manual_venv_is_left_alone() {
        let cur = Current::default().with(PATH, "/v/bin:/bin").with(VIRTUAL_ENV, "/v");
        let plan = decide(&cur, &active("/p", "p"));
        assert!(plan.changes.is_empty(), "{plan:?}");
        assert_eq!(plan.blocked, Some(Foreign::Venv("/v".into())));
    }

    #[test]
    fn manual_venv_inside_ours_survives_leaving() {
        let before = Current::default().with(PATH, P0);
        let mut inside = apply(&before, &decide(&before, &active("/p", "p")));
        inside.vars.insert(VIRTUAL_ENV, "/v".into());
        let p = format!("/v/bin:{}", path_of(&inside));
        inside.vars.insert(PATH, p.into());
        let after = apply(&inside, &decide(&inside, &Target::None));
        assert_eq!(after.get(VIRTUAL_ENV), Some(OsStr::new("/v")));
        assert_eq!(path_of(&after), format!("/v/bin:{P0}"));
        assert_eq!(after.get(AUTOVENV_ENV), None);
    }

    #[test]
    fn conda_env_blocks_but_base_does_not() {
        let mut cur = Current::default().with(PATH, P0);
        cur.conda_env = Some("base".into());
        assert!(decide(&cur, &active("/p", "p")).blocked.is_none());
        cur.conda_env = Some("ml".into());
        let plan = decide(&cur, &active("/p", "p"));
        assert_eq!(plan.blocked, Some(Foreign::Conda("ml".into())));
        assert!(plan.changes.is_empty());
    }

    #[test]
    fn hint_once_per_entry() {
        let cur = Current::default().with(PATH, P0);
        let t = Target::Untrusted { root: "/u".into() };
        let plan = decide(&cur, &t);
        assert_eq!(plan.hint, Some(PathBuf::from("/u")));
        let there = apply(&cur, &plan);
        assert_eq!(decide(&there, &t), Plan::default());
        let out = apply(&there, &decide(&there, &Target::None));
        assert_eq!(out, cur);
        assert!(decide(&out, &t).hint.is_some());
    }

    #[test]
    fn deny_inside_deactivates() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        let plan = decide(&inside, &Target::Untrusted { root: "/p".into() });
        let after = apply(&inside, &plan);
        assert_eq!(path_of(&after), P0);
        assert_eq!(after.get(VIRTUAL_ENV), None);
        assert!(plan.hint.is_some());
    }

    #[test]
    fn empty_or_missing_path_gets_no_empty_entry() {
        for before in [Current::default(), Current::default().with(PATH, "")] {
            let inside = apply(&before, &decide(&before, &active("/p", "p")));
            assert_eq!(path_of(&inside), "/p/env/bin");
            let after = apply(&inside, &decide(&inside, &Target::None));
            assert_eq!(after.get(PATH).unwrap_or_default(), "");
        }
    }

    #[test]
    fn path_with_empty_entries_round_trips() {
        for p in [":/a", "/a:", "/a::/b", ":"] {
            let before = Current::default().with(PATH, p);
            let inside = apply(&before, &decide(&before, &active("/p", "p")));
            assert_eq!(apply(&inside, &decide(&inside, &Target::None)), before, "{p:?}");
        }
    }

    #[test]
    fn tampered_bookkeeping_is_dropped() {
        let cur = Current::default().with(PATH, P0).with(AUTOVENV_ROOT, "/gone");
        let after = apply(&cur, &decide(&cur, &Target::None));
        assert_eq!(after, Current::default().with(PATH, P0));
    }

    #[test]
    fn unverified_bookkeeping_leaves_path_alone() {
        let path = format!("/usr/local/bin:{P0}");
        let mut cur = Current::default().with(PATH, &path).with(AUTOVENV_ROOT, "/usr").with(AUTOVENV_ENV, "/usr/local");
        cur.env_unverified = true;
        let after = apply(&cur, &decide(&cur, &Target::None));
        assert_eq!(after.get(PATH), Some(OsStr::new(&path)));
        assert_eq!(after.get(AUTOVENV_ENV), None);
        cur.env_unverified = false;
        let after = apply(&cur, &decide(&cur, &Target::None));
        assert_eq!(path_of(&after), P0, "a verified env's entry goes");
    }

    #[test]
    fn an_env_outside_its_root_is_left_only_when_checked() {
        let path = format!("/c/envs/p-1/bin:{P0}");
        let mut cur = Current::default().with(PATH, &path).with(AUTOVENV_ROOT, "/p").with(AUTOVENV_ENV, "/c/envs/p-1");
        let after = apply(&cur, &decide(&cur, &Target::None));
        assert_eq!(after.get(PATH), Some(OsStr::new(&path)), "not checked on disk: PATH left alone");
        cur.env_outside_ok = true;
        let after = apply(&cur, &decide(&cur, &Target::None));
        assert_eq!(path_of(&after), P0, "checked: its entry goes");
    }

    #[test]
    fn prompt_change_in_place_sets_only_the_prompt() {
        let before = Current::default().with(PATH, P0);
        let inside = apply(&before, &decide(&before, &active("/p", "p")));
        let plan = decide(&inside, &active("/p", "new"));
        assert_eq!(plan.changes, vec![Change::SetEnv(VIRTUAL_ENV_PROMPT, "new".into())]);
    }

    /// Fuzz the decision function and the per-shell rendering together.
    /// Arbitrary bytes as the project path and as every variable autovenv
    /// reads. CI runs a fixed case count; run longer by
    /// hand with `AVTEST_FUZZ_CASES=5000 cargo test --bin autovenv fuzz_`.
    mod fuzz {
        use super::*;
        use crate::shell::testkit::{self, Probe, Variant};
        use crate::shell::Shell;
        use proptest::prelude::*;

        fn os(b: &[u8]) -> OsString {
            OsString::from_vec(b.to_vec())
        }

        /// Bytes without NUL (no environment can hold one).
        fn bytes() -> impl Strategy<Value = Vec<u8>> {
            let special: Vec<u8> = b"'\\\"$`!*?[]{}()<>|;&#~%^= \n\t\r-:/.\x01\x7f\xff\xc3".to_vec();
            prop_oneof![
                prop::collection::vec(1u8..=255, 0..24),
                prop::collection::vec(prop::sample::select(special), 0..24),
                any::<String>().prop_map(|s| s.replace('\0', "").into_bytes()),
            ]
        }

        /// An absolute project root: components of arbitrary bytes, no `/`
        /// inside a component, no ':' (refused before `decide`, see
        /// hook_env/resolve.rs), no NUL, not `.`/`..`.
        fn root() -> impl Strategy<Value = PathBuf> {
            prop::collection::vec(bytes(), 1..4).prop_map(|parts| {
                let mut p = PathBuf::from("/");
                for (i, mut c) in parts.into_iter().enumerate() {
                    c.retain(|&b| b != b'/' && b != b':');
                    if c.is_empty() || c == b"." || c == b".." {
                        c = format!("d{i}").into_bytes();
                    }
                    p.push(OsStr::from_bytes(&c));
                }
                p
            })
        }

        /// Every managed variable but PATH, which the tests set themselves.
        fn others() -> Vec<&'static str> {
            MANAGED.iter().copied().filter(|n| *n != PATH).collect()
        }

        fn entries(p: &[u8]) -> Vec<&[u8]> {
            p.split(|&b| b == b':').collect()
        }

        /// Render `plan` for every shell, eval it after the shell's variables
        /// are set as in `cur` is not possible for arbitrary bytes in
        /// every shell's startup, so the plan's own values are checked:
        /// each SetEnv comes back byte for byte (fish: PATH as a list, empty
        /// entries become `.`), nothing executes (`eval` checks that).
        fn check_rendered(plan: &Plan) {
            let probes: Vec<Probe> = plan
                .changes
                .iter()
                .filter_map(|c| match c {
                    Change::SetEnv(k, _) => Some(Probe::Scalar(k)),
                    _ => None,
                })
                .collect();
            let want: Vec<Vec<u8>> = plan
                .changes
                .iter()
                .filter_map(|c| match c {
                    Change::SetEnv(_, v) => Some(v.as_bytes().to_vec()),
                    _ => None,
                })
                .collect();
            for shell in Shell::ALL {
                // A value the shell cannot hold is never rendered for it:
                // `hook_env` activates nothing then.
                if want.iter().any(|v| !shell.syntax().can_hold(v)) {
                    continue;
                }
                let Some(got) = testkit::eval(shell, &Variant::PLAIN, &plan.changes, &probes) else { continue };
                for ((probe, w), g) in probes.iter().zip(&want).zip(&got.values) {
                    let Probe::Scalar(name) = probe else { unreachable!() };
                    if matches!(shell, Shell::Nu | Shell::Xonsh) && *name == PATH {
                        // nushell and xonsh hold PATH as the list of its entries.
                        let list: Vec<Vec<u8>> =
                            if w.is_empty() { vec![] } else { entries(w).iter().map(|e| e.to_vec()).collect() };
                        assert_eq!(g, &list, "{shell:?}: {name} round-trips");
                    } else if shell == Shell::Fish && *name == PATH {
                        // fish holds PATH as a list; it turns empty entries into `.`.
                        let list: Vec<Vec<u8>> = if w.is_empty() {
                            vec![]
                        } else {
                            entries(w).iter().map(|e| if e.is_empty() { b".".to_vec() } else { e.to_vec() }).collect()
                        };
                        assert_eq!(g, &list, "{shell:?}: {name} round-trips");
                    } else {
                        assert_eq!(&g.concat(), w, "{shell:?}: {name} round-trips");
                    }
                }
            }
        }

        /// 48 in CI; `AVTEST_FUZZ_CASES=N` for a longer run by hand.
        fn fuzz_cases() -> u32 {
            std::env::var("AVTEST_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

            /// From a clean shell: entering sets VIRTUAL_ENV to the env byte
            /// for byte and prepends exactly one PATH entry; leaving restores
            /// every variable exactly; the rendered code round-trips.
            #[test]
            fn fuzz_enter_leave_round_trips(
                root in root(),
                prompt in bytes(),
                path in bytes(),
                home in proptest::option::of(bytes()),
                uvp in proptest::option::of(bytes()),
            ) {
                let mut before = Current::default();
                before.vars.insert(PATH, os(&path));
                if let Some(h) = &home { before.vars.insert(PYTHONHOME, os(h)); }
                if let Some(u) = &uvp { before.vars.insert(UV_PROJECT_ENVIRONMENT, os(u)); }
                let env = root.join("env");
                let target = Target::Active { root: root.clone(), env: env.clone(), prompt: os(&prompt) };
                let plan = decide(&before, &target);
                let inside = apply(&before, &plan);
                prop_assert_eq!(inside.get(VIRTUAL_ENV), Some(env.as_os_str()));
                let mut want = env.join("bin").into_os_string().into_vec();
                if !path.is_empty() { want.push(b':'); want.extend_from_slice(&path); }
                prop_assert_eq!(inside.get(PATH).map(|p| p.as_bytes().to_vec()), Some(want));
                prop_assert_eq!(decide(&inside, &target), Plan::default());
                let leave = decide(&inside, &Target::None);
                let after = apply(&inside, &leave);
                prop_assert_eq!(&after, &before);
                check_rendered(&plan);
                check_rendered(&leave);
            }

            /// Any garbage in every variable autovenv reads: `decide` never
            /// panics, never unsets PATH, and leaving keeps every PATH entry
            /// except the one bin folder autovenv itself added.
            #[test]
            fn fuzz_garbage_never_loses_path(
                root in root(),
                path in bytes(),
                garbage in prop::collection::vec(proptest::option::of(bytes()), others().len()),
                enter_first in any::<bool>(),
            ) {
                let mut cur = Current::default();
                cur.vars.insert(PATH, os(&path));
                for (k, v) in others().iter().zip(&garbage) {
                    if let Some(v) = v { cur.vars.insert(k, os(v)); }
                }
                let env = root.join("env");
                let target = if enter_first {
                    Target::Active { root: root.clone(), env: env.clone(), prompt: "p".into() }
                } else {
                    Target::Untrusted { root: root.clone() }
                };
                for t in [target, Target::None] {
                    let plan = decide(&cur, &t);
                    let next = apply(&cur, &plan);
                    let p = next.get(PATH).map(|p| p.as_bytes().to_vec());
                    prop_assert!(p.is_some(), "PATH unset");
                    let p = p.unwrap();
                    let ours = cur.get(AUTOVENV_ENV).map(|e| Path::new(e).join("bin").into_os_string().into_vec());
                    for e in entries(&path) {
                        if e.is_empty() && path.is_empty() { continue; }
                        if Some(e) == ours.as_deref() { continue; }
                        prop_assert!(entries(&p).contains(&e), "entry {:?} lost: {:?} -> {:?}", e, path, p);
                    }
                    testkit::check_syntax(Shell::Bash, &plan.changes);
                    check_rendered(&plan);
                }
            }
        }
    }
}
