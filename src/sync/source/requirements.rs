//! `requirements*.txt`: the files listed by the `requirements` key
//! (`requirements.txt` by default), with their `-r`/`-c` includes and the
//! metadata of the local projects they install, read as pip reads them.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use crate::config::Settings;
use crate::error::Result;

use super::super::inputs::{self, env_var, include_target, read_requirements, Target};
use super::super::install::{plural, Failure, Installer};
use super::super::reqfile::{self, Item};
use super::super::Inputs;
use super::Source;

pub(super) struct Requirements {
    /// The configured top-level files, present or not.
    top: Vec<String>,
}

pub(super) fn marks(s: &Settings) -> Vec<String> {
    s.requirements.clone()
}

pub(super) fn detect(root: &Path, s: &Settings) -> Result<Option<Box<dyn Source>>> {
    // Anything there counts, a folder or a FIFO too: `inputs` then says
    // what is wrong with it.
    let there =
        |t: &String| !matches!(std::fs::metadata(root.join(t)), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
    let found = s.requirements.iter().any(there);
    Ok(found.then(|| Box::new(Requirements { top: s.requirements.clone() }) as Box<dyn Source>))
}

impl Requirements {
    fn present(&self, root: &Path) -> Vec<&String> {
        self.top.iter().filter(|f| root.join(f).is_file()).collect()
    }
}

impl Source for Requirements {
    fn label(&self) -> String {
        self.top.join(", ")
    }

    fn inputs(&self, root: &Path) -> Result<Inputs> {
        inputs::inputs(root, &self.top)
    }

    fn inputs_lenient(&self, root: &Path) -> Vec<String> {
        inputs::watched_files_lenient(root, &self.top)
    }

    fn summary(&self, root: &Path, inputs: &Inputs) -> Option<String> {
        let top = self.present(root);
        let present: Vec<&String> = inputs.reqs.iter().filter(|f| root.join(f).is_file()).collect();
        let count = count_requirements(root, &present);
        // An empty file (or one of only options and comments) has nothing
        // to install; running the installer would only print a warning.
        // (What a URL include holds is unknown here: the installer is asked.)
        if top.is_empty() || (count == 0 && inputs.urls.is_empty()) {
            return None;
        }
        let names: Vec<&str> = top.iter().map(|s| s.as_str()).collect();
        Some(format!("{} ({})", names.join(", "), plural(count, "requirement")))
    }

    fn install(&self, ix: &Installer, _inputs: &Inputs) -> std::result::Result<(), Failure> {
        let root = ix.job.root;
        let top = self.present(root);
        let mut args: Vec<OsString> = Vec::new();
        for f in &top {
            args.push("-r".into());
            args.push((*f).into());
        }
        let names = if ix.mode() == crate::config::SyncMode::Exact && ix.job.uv.is_none() {
            listed_names(root, &top).map_err(|e| Failure::failed(format!("exact sync: {}", e.message)))?
        } else {
            None
        };
        let what: Vec<&str> = top.iter().map(|s| s.as_str()).collect();
        ix.pip_install(&args, true, names, &what.join(", "))
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
                .filter(|(_, i)| matches!(i, Item::Requirement(_) | Item::Editable(_)))
                .count()
        })
        .sum()
}

/// The package names the files list, following `-r` (not `-c`: a
/// constraint pins, it does not ask for a package). A local project (`-e
/// .`, `./libs/x`) is listed by its absolute folder: what was installed
/// from there is its. `None` when a line installs something without a
/// name to match (a URL).
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
                Item::Include { target, constraint: false } => match include_target(&base, &target) {
                    Target::Local(child) => todo.push(child),
                    // What a URL lists is unknown here: nothing can be matched.
                    Target::Url(_) => return Ok(None),
                },
                Item::Include { constraint: true, .. } | Item::Options => {}
                Item::Editable(line) if !local(root, &base, &line, &mut names) => return Ok(None),
                Item::Editable(_) => {}
                Item::Requirement(line) => match requirement_name(&line) {
                    Some(n) => names.push(n.to_string()),
                    None if local(root, &base, &line, &mut names) => {}
                    None => return Ok(None),
                },
            }
        }
    }
    Ok(Some(names))
}

/// A line that installs a local project: its folders, absolute, onto
/// `names`. `false` (no name to match) for anything else.
fn local(root: &Path, base: &Path, line: &str, names: &mut Vec<String>) -> bool {
    let dirs: Vec<String> = inputs::local_projects(root, base, line)
        .into_iter()
        .map(|d| if d.is_empty() { root.to_path_buf() } else { root.join(d) })
        .filter_map(|p| p.to_str().map(String::from))
        .collect();
    let found = !dirs.is_empty();
    names.extend(dirs);
    found
}

/// `name`, `name[extra]>=1`, `name @ https://…`; not a bare path or URL.
pub(crate) fn requirement_name(line: &str) -> Option<&str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
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
        // A local project stands by its folder; a URL names nothing.
        write(t.path(), "more.txt", "-e .[x]\n./libs/y\n");
        let root = t.path().to_str().unwrap();
        let mut got = listed_names(t.path(), &[&top]).unwrap().unwrap();
        got.sort();
        assert_eq!(got, [root.to_string(), format!("{root}/libs/y"), "six".into()]);
        write(t.path(), "more.txt", "-e git+https://example.org/x.git#egg=x\n");
        assert_eq!(listed_names(t.path(), &[&top]).unwrap(), None);
    }

    #[test]
    fn empty_files_have_nothing_to_install() {
        let t = tempfile::tempdir().unwrap();
        let r = Requirements { top: vec!["requirements.txt".into()] };
        write(t.path(), "requirements.txt", "# nothing\n--no-index\n");
        assert_eq!(r.summary(t.path(), &r.inputs(t.path()).unwrap()), None);
        write(t.path(), "requirements.txt", "six\n-e .\n");
        assert_eq!(r.summary(t.path(), &r.inputs(t.path()).unwrap()).unwrap(), "requirements.txt (2 requirements)");
    }
}
