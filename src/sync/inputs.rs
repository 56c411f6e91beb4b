//! The files a sync reads: the requirements files, their includes (local
//! and URL), and the metadata of editable local projects, walked with the
//! bounds the prompt can afford.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use std::fs;
use std::io::ErrorKind;

use super::reqfile;

/// How deep `-r`/`-c` includes may nest, and how many files the
/// requirements may pull in: far beyond real projects, and a bound on what
/// every prompt stats (a chain of 20,000 includes must be an error, not a
/// stack overflow or a prompt that stats 20,000 files).
pub(crate) const MAX_DEPTH: usize = 100;
pub(crate) const MAX_FILES: usize = 1000;

/// What the requirements files pull in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Inputs {
    /// The requirements files, top-level first, each once: relative to the
    /// root, or absolute when the include said so.
    pub reqs: Vec<String>,
    /// `pyproject.toml`, `setup.py`, `setup.cfg` of each local project they
    /// install (`-e .`, `./libs/x`): its dependencies live there.
    pub meta: Vec<String>,
    /// URL includes: passed to the installer as written, not watched.
    pub urls: Vec<String>,
}

impl Inputs {
    /// Everything the digest covers and the prompt stats.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut all = self.reqs.clone();
        all.extend(self.meta.iter().filter(|m| !self.reqs.contains(m)).cloned());
        all
    }
}

/// All files the configured `top` list pulls in through `-r`/`-c` includes
/// and local projects, top-level first, each once, as paths relative to
/// `root`. A missing top-level file is fine (nothing to install yet); a
/// missing include, a cycle, a file that is not a regular file, or too
/// many or too deep includes is an error naming it.
pub(crate) fn inputs(root: &Path, top: &[String]) -> Result<Inputs> {
    let mut out = Inputs::default();
    for t in top {
        match fs::metadata(root.join(t)) {
            Err(e) if e.kind() == ErrorKind::NotFound => out.reqs.push(t.clone()),
            _ => collect(root, t, &mut Vec::new(), &mut out)?,
        }
    }
    let mut seen = BTreeSet::new();
    out.reqs.retain(|p| seen.insert(p.clone()));
    let mut seen = BTreeSet::new();
    out.meta.retain(|p| seen.insert(p.clone()));
    if out.files().len() > MAX_FILES {
        return Err(Error::new(format!("requirements pull in more than {MAX_FILES} files"))
            .with_hint("merge some of the included files"));
    }
    Ok(out)
}

pub(super) fn collect(root: &Path, rel: &str, stack: &mut Vec<String>, out: &mut Inputs) -> Result<()> {
    if let Some(i) = stack.iter().position(|s| s == rel) {
        let mut cycle = stack[i..].to_vec();
        cycle.push(rel.to_string());
        return Err(Error::new(format!("requirements include cycle: {}", cycle.join(" -> ")))
            .with_hint("remove one of the -r/-c lines"));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(Error::new(format!(
            "requirements includes nest more than {MAX_DEPTH} deep ({} -> {} -> … -> {rel})",
            stack[0], stack[1]
        ))
        .with_hint("flatten the -r/-c chain"));
    }
    if out.reqs.len() + out.meta.len() >= MAX_FILES {
        return Err(Error::new(format!("requirements pull in more than {MAX_FILES} files (at {rel})"))
            .with_hint("merge some of the included files"));
    }
    let text = read_requirements(&root.join(rel))?;
    out.reqs.push(rel.to_string());
    stack.push(rel.to_string());
    let base = Path::new(rel).parent().unwrap_or(Path::new("")).to_path_buf();
    for (n, item) in reqfile::items(&text, &env_var) {
        match item {
            reqfile::Item::Include { target, .. } => match include_target(&base, &target) {
                Target::Url(u) => out.urls.push(u),
                Target::Local(child) => {
                    if fs::metadata(root.join(&child)).is_err() {
                        return Err(Error::new(format!(
                            "{} line {n}: included file {} does not exist",
                            root.join(rel).display(),
                            root.join(&child).display()
                        )));
                    }
                    collect(root, &child, stack, out)?;
                }
            },
            reqfile::Item::Editable(t) | reqfile::Item::Requirement(t) => {
                for dir in local_projects(root, &base, &t) {
                    for f in PROJECT_METADATA {
                        out.meta.push(normalize(&Path::new(&dir).join(f)));
                    }
                }
            }
            reqfile::Item::Options => {}
        }
    }
    stack.pop();
    Ok(())
}

/// The files of a local project that decide what installing it installs.
pub(super) const PROJECT_METADATA: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

pub(super) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub(super) enum Target {
    /// Relative to the root (or absolute).
    Local(String),
    Url(String),
}

/// pip's rule: `http:`, `https:` and `file:` are URLs (any case); other
/// targets are paths relative to the including file. A `file:` URL is a
/// local file after all, read by the installer from the project root.
pub(super) fn include_target(base: &Path, target: &str) -> Target {
    match scheme(target) {
        Some("file") => Target::Local(normalize(&file_url_path(target))),
        Some(_) => Target::Url(target.to_string()),
        None => Target::Local(normalize(&base.join(target))),
    }
}

pub(super) fn scheme(s: &str) -> Option<&'static str> {
    ["http", "https", "file"]
        .into_iter()
        .find(|sch| s.len() > sch.len() && s[..sch.len()].eq_ignore_ascii_case(sch) && s.as_bytes()[sch.len()] == b':')
}

/// `file:///a/b%20c` → `/a/b c`; `file://localhost/a` → `/a`; `file:a` → `a`.
pub(super) fn file_url_path(url: &str) -> PathBuf {
    let rest = &url[5..];
    let path = match rest.strip_prefix("//") {
        Some(r) => {
            let (host, path) = r.split_at(r.find('/').unwrap_or(r.len()));
            if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
                path
            } else {
                r
            }
        }
        None => rest,
    };
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// The folders of local projects a requirement installs: `-e .`,
/// `./libs/x[extra]`, `file:///…`, `name @ file:///…`. pip takes a relative
/// path from the project root (its working directory), uv from the
/// including file's folder: both are watched when they differ.
pub(super) fn local_projects(root: &Path, base: &Path, req: &str) -> Vec<String> {
    let req = req.split(';').next().unwrap_or("").trim();
    let spec = match req.split_once(" @ ").or_else(|| req.split_once("@ ")) {
        Some((_, url)) => url.trim(),
        None => req.split_whitespace().next().unwrap_or(""),
    };
    let spec = match spec.rfind('[') {
        Some(i) if spec.ends_with(']') => &spec[..i],
        _ => spec,
    };
    let path = match scheme(spec) {
        Some("file") => file_url_path(spec),
        Some(_) => return Vec::new(),
        None if spec.contains("://") => return Vec::new(),
        None if spec.starts_with('.') || spec.starts_with('/') || spec.contains('/') => PathBuf::from(spec),
        None => return Vec::new(),
    };
    let mut dirs = vec![normalize(&path)];
    let beside = normalize(&base.join(&path));
    if beside != dirs[0] && root.join(&beside).is_dir() {
        dirs.push(beside);
    }
    dirs.retain(|d| !root.join(d).is_file());
    dirs
}

/// Every file `watched_files` would visit, without stopping at a problem:
/// a missing include is listed (its creation must be noticed), a cycle is
/// cut, a file that cannot be read ends its own branch. Bounded like
/// `watched_files`.
pub(super) fn watched_files_lenient(root: &Path, top: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo: Vec<(String, usize)> = top.iter().rev().map(|t| (t.clone(), 0)).collect();
    while let Some((rel, depth)) = todo.pop() {
        if out.contains(&rel) {
            continue;
        }
        out.push(rel.clone());
        if out.len() >= MAX_FILES || depth >= MAX_DEPTH {
            continue;
        }
        let Ok(text) = read_requirements(&root.join(&rel)) else { continue };
        let base = Path::new(&rel).parent().unwrap_or(Path::new("")).to_path_buf();
        let children: Vec<String> = reqfile::items(&text, &env_var)
            .into_iter()
            .filter_map(|(_, item)| match item {
                reqfile::Item::Include { target, .. } => match include_target(&base, &target) {
                    Target::Local(c) => Some(c),
                    Target::Url(_) => None,
                },
                _ => None,
            })
            .collect();
        todo.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
    }
    out
}

/// Refuses what is not a regular file before opening it (a FIFO would
/// block the prompt forever) and reads at most `fsutil::READ_CAP`.
pub(super) fn read_requirements(path: &Path) -> Result<String> {
    read_text_up_to(path, crate::fsutil::READ_CAP)
}

/// The same for a file a tool writes, up to `cap`: `fsutil::LOCK_READ_CAP`
/// for a lock.
pub(super) fn read_text_up_to(path: &Path, cap: u64) -> Result<String> {
    let bytes = crate::fsutil::read_regular_up_to(path, cap)?
        .ok_or_else(|| Error::new(format!("cannot read {}: no such file", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::new(format!("{} line {line} is not valid UTF-8", path.display())).with_hint("save the file as UTF-8")
    })
}

/// `a/../b` → `b`, so the same file reached two ways is one watched file.
pub(super) fn normalize(p: &Path) -> String {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str()),
        }
    }
    parts.iter().collect::<PathBuf>().to_string_lossy().into_owned()
}
