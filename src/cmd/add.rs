//! `autovenv add PKG… [--pin]`: install into the env and write each
//! requirement into the project's requirements file, so the file says what
//! the env holds and the next prompt installs nothing.
//!
//! The line goes in first and the env is synced from the file, as a prompt
//! would: the file's own options (`--find-links`, `--index-url`, `-c`) apply
//! to the install. If the install fails, the file and the sync state are
//! put back as they were.

use crate::cmd::reqedit;
use crate::config::SyncMode;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::{child, msg, stamp, sync};

pub(crate) fn run(ctx: &Context, packages: &[String], pin: bool) -> Result<Vec<u8>> {
    let t = reqedit::trusted_here(ctx)?;
    let mut names = Vec::new();
    for p in packages {
        names.push(reqedit::spec_name(p).ok_or_else(|| {
            Error::new(format!(
                "`autovenv add` takes package names (with a version if you like), not {}",
                msg::escape(p)
            ))
            .with_hint("for a path or URL, write its line into the requirements file yourself")
        })?);
    }
    let rel = reqedit::requirements_file(&t, true, packages)?;
    let path = reqedit::edit_target(&t.project.root, &t.project.root.join(&rel))?;
    reqedit::up_to_date(ctx, &t)?;
    let existed = path.exists();
    let old = reqedit::read(&path)?;
    let old_state = std::fs::read(sync::state_path(&t.env)).ok();
    let mut text = old.clone();
    for p in packages {
        text = reqedit::upsert(&text, p.trim());
    }
    reqedit::write(&path, &text)?;
    let installed = if t.settings.sync == SyncMode::Off {
        install_directly(ctx, &t, packages)
    } else {
        reqedit::up_to_date(ctx, &t)
    };
    if let Err(e) = installed {
        // As before: the file, and the state that says it is installed.
        if existed {
            let _ = reqedit::write(&path, &old);
        } else {
            let _ = std::fs::remove_file(&path);
        }
        if let Some(s) = old_state {
            let _ = crate::fsutil::write_atomic(&sync::state_path(&t.env), &s);
        }
        stamp::expire_all(&ctx.dirs);
        return Err(e.with_hint(format!("{rel} is as it was")));
    }
    if pin {
        let dists = sync::installed_dists(&t.env);
        for name in &names {
            let key = name.to_ascii_lowercase().replace(['-', '.'], "_");
            match dists.get(&key) {
                Some(v) => text = reqedit::upsert(&text, &format!("{name}=={v}")),
                None => msg::warn(&format!("{} is not installed under that name; not pinned", msg::escape(name))),
            }
        }
        reqedit::write(&path, &text)?;
    }
    reqedit::record(ctx, &t)?;
    msg::info(&format!("added {} to {}", names.join(", "), msg::escape(&rel)));
    Ok(Vec::new())
}

/// With `sync = "off"` no sync installs: the packages themselves.
fn install_directly(ctx: &Context, t: &crate::hook_env::resolve::Trusted, packages: &[String]) -> Result<()> {
    let mut cmd = reqedit::pip(ctx, t, &["install"]);
    cmd.args(packages);
    let status = child::run_to_end(&mut cmd).map_err(|e| Error::io("cannot run the installer", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("installing {} failed ({})", packages.join(" "), child::exit_text(status))))
    }
}
