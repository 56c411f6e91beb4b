//! `autovenv remove PKG…`: take each package's line out of the project's
//! requirements files (the top one or any file it includes) and uninstall
//! it from the env, then record the files as installed so the next prompt
//! installs nothing. As `pip uninstall`, what the package itself depended
//! on stays installed.

use crate::cmd::reqedit;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::{child, msg, sync};

pub(crate) fn run(ctx: &Context, packages: &[String]) -> Result<Vec<u8>> {
    let t = reqedit::trusted_here(ctx)?;
    let mut names = Vec::new();
    for p in packages {
        match reqedit::spec_name(p) {
            Some(n) if n.len() == p.trim().len() => names.push(reqedit::normalize(n)),
            _ => {
                return Err(Error::new(format!("`autovenv remove` takes package names, not {}", msg::escape(p)))
                    .with_hint("give the name alone, e.g. `autovenv remove requests`"))
            }
        }
    }
    let rel = reqedit::requirements_file(&t, false, packages)?;
    reqedit::up_to_date(ctx, &t)?;
    let root = &t.project.root;
    // Only files inside the project: a shared file outside it belongs to
    // other projects too.
    let files = sync::inputs(root, &t.settings.requirements)?.reqs;
    let mut edits = Vec::new();
    let mut found: Vec<String> = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with('/') && !f.starts_with("..")) {
        let path = reqedit::edit_target(root, &root.join(f))?;
        let old = reqedit::read(&path)?;
        let (new, here) = reqedit::remove(&old, &names);
        if !here.is_empty() {
            found.extend(here);
            edits.push((path, old, new, f.clone()));
        }
    }
    let missing: Vec<&String> = names.iter().filter(|n| !found.contains(n)).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(Error::new(format!(
            "{} is not listed in {} or the files it includes; nothing changed",
            list.join(", "),
            msg::escape(&rel)
        ))
        .with_hint("`python -m pip uninstall` removes a package the files do not list"));
    }
    for (path, _, new, _) in &edits {
        reqedit::write(path, new)?;
    }
    let mut cmd = reqedit::pip(ctx, &t, &["uninstall"]);
    if ctx.find_program("uv").is_none() {
        cmd.arg("--yes");
    }
    cmd.args(&names);
    let status = child::run_to_end(&mut cmd);
    if !status.as_ref().is_ok_and(std::process::ExitStatus::success) {
        for (path, old, _, _) in &edits {
            let _ = reqedit::write(path, old);
        }
        let why = match status {
            Ok(s) => child::exit_text(s),
            Err(e) => e.to_string(),
        };
        return Err(Error::new(format!("uninstalling {} failed ({why})", names.join(", ")))
            .with_hint("the requirements files are as they were"));
    }
    reqedit::record(ctx, &t)?;
    let changed: Vec<String> = edits.iter().map(|(_, _, _, f)| msg::escape(f).into_owned()).collect();
    msg::info(&format!("removed {} from {} and the env", names.join(", "), changed.join(", ")));
    Ok(Vec::new())
}
