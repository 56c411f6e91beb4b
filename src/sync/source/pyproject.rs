//! `pyproject.toml` with a `[project]` table and no lock: its
//! dependencies, the chosen PEP 735 dependency groups (`dev` by default,
//! as uv does) and extras, and the project itself in editable mode when it
//! is a package (has a `[build-system]`), as `uv sync` or `pip install -e .`
//! would. Building the editable project runs its build backend: code from
//! the folder, which is why all of this waits for `allow`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use toml::{Table, Value};

use crate::config::Settings;
use crate::error::{Error, Result};

use super::super::inputs::read_requirements as read_text;
use super::super::install::{plural, Failure, Installer};
use super::super::Inputs;
use super::requirements::requirement_name;
use super::{exists, normalize_name, Source};

const FILE: &str = "pyproject.toml";

pub(super) struct Pyproject {
    /// The project's name, normalized; `None` when it has none.
    name: Option<String>,
    /// Requirement strings to install (dependencies when the project is not
    /// installed itself, the chosen extras' and groups' requirements).
    reqs: Vec<String>,
    /// `-e .[extras]`: a package, installed editable.
    editable: Option<String>,
    groups: Vec<String>,
    extras: Vec<String>,
}

pub(super) fn marks(_: &Settings) -> Vec<String> {
    vec![FILE.into()]
}

pub(super) fn detect(root: &Path, s: &Settings) -> Result<Option<Box<dyn Source>>> {
    let path = root.join(FILE);
    if !exists(&path) {
        return Ok(None);
    }
    let doc = parse(&path)?;
    let Some(project) = doc.get("project") else { return Ok(None) };
    let bad = |what: &str| {
        Error::new(format!("{} {what}", path.display())).with_hint("fix it as PEP 621 says (packaging.python.org)")
    };
    let project = project.as_table().ok_or_else(|| bad("has a [project] that is not a table"))?;
    let strings = |v: Option<&Value>, what: &str| -> Result<Vec<String>> {
        match v {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(String::from).ok_or_else(|| bad(&format!("lists something not a string in {what}")))
                })
                .collect(),
            Some(_) => Err(bad(&format!("has {what} that is not a list of strings"))),
        }
    };
    let deps = strings(project.get("dependencies"), "project.dependencies")?;
    let optional: BTreeMap<String, Vec<String>> = match project.get("optional-dependencies") {
        None => BTreeMap::new(),
        Some(Value::Table(t)) => t
            .iter()
            .map(|(k, v)| Ok((normalize_name(k), strings(Some(v), &format!("project.optional-dependencies.{k}"))?)))
            .collect::<Result<_>>()?,
        Some(_) => return Err(bad("has project.optional-dependencies that is not a table")),
    };
    let groups_table = match doc.get("dependency-groups") {
        None => Table::new(),
        Some(Value::Table(t)) => t.clone(),
        Some(_) => return Err(bad("has [dependency-groups] that is not a table")),
    };
    let declared: BTreeMap<String, &str> = groups_table.keys().map(|k| (normalize_name(k), k.as_str())).collect();
    let groups: Vec<String> = match &s.groups {
        Some(g) => g.clone(),
        None => declared.contains_key("dev").then(|| "dev".to_string()).into_iter().collect(),
    };
    let mut reqs = Vec::new();
    for g in &groups {
        if !declared.contains_key(&normalize_name(g)) {
            return Err(Error::new(format!("dependency group '{g}' is not in {}", path.display())).with_hint(format!(
                "it has: {}; fix `groups` in the config",
                list_or_none(declared.values().copied())
            )));
        }
        group_requirements(&path, &groups_table, &declared, g, &mut Vec::new(), &mut reqs)?;
    }
    for e in &s.extras {
        if !optional.contains_key(&normalize_name(e)) {
            return Err(Error::new(format!("extra '{e}' is not in {}", path.display())).with_hint(format!(
                "it has: {}; fix `extras` in the config",
                list_or_none(optional.keys().map(String::as_str))
            )));
        }
    }
    // Without a [build-system], pip and uv build a project that has a
    // setup.py with setuptools (PEP 517's fallback): still a package.
    let package = doc.get("build-system").is_some() || exists(&root.join("setup.py"));
    let dynamic = strings(project.get("dynamic"), "project.dynamic")?;
    if !package && dynamic.iter().any(|d| d == "dependencies") {
        return Err(Error::new(format!(
            "{} declares its dependencies dynamic (project.dynamic) but has no [build-system] or setup.py to compute them",
            path.display()
        ))
        .with_hint("list them in project.dependencies, or add the [build-system] that computes them"));
    }
    let editable =
        package.then(|| if s.extras.is_empty() { ".".to_string() } else { format!(".[{}]", s.extras.join(",")) });
    if !package {
        // Not a package: its dependencies, and the extras', by themselves.
        let mut own = deps;
        for e in &s.extras {
            own.extend(optional[&normalize_name(e)].iter().cloned());
        }
        own.append(&mut reqs);
        reqs = own;
    }
    let name = project.get("name").and_then(Value::as_str).map(normalize_name);
    Ok(Some(Box::new(Pyproject { name, reqs, editable, groups, extras: s.extras.clone() })))
}

/// A group's requirements, `{include-group = "…"}` followed (a cycle or an
/// unknown group is an error, as PEP 735 says).
fn group_requirements(
    path: &Path,
    table: &Table,
    declared: &BTreeMap<String, &str>,
    group: &str,
    stack: &mut Vec<String>,
    out: &mut Vec<String>,
) -> Result<()> {
    let key = normalize_name(group);
    if stack.contains(&key) {
        stack.push(key);
        return Err(Error::new(format!(
            "dependency groups include each other in {}: {}",
            path.display(),
            stack.join(" -> ")
        )));
    }
    let Some(real) = declared.get(&key) else {
        return Err(Error::new(format!(
            "dependency group '{}' includes '{group}', which is not in {}",
            stack.last().map_or("", String::as_str),
            path.display()
        )));
    };
    let Some(Value::Array(items)) = table.get(*real) else {
        return Err(Error::new(format!("dependency group '{real}' in {} is not a list", path.display())));
    };
    stack.push(key);
    for item in items {
        match item {
            Value::String(r) => out.push(r.clone()),
            Value::Table(t) => match t.get("include-group").and_then(Value::as_str) {
                Some(inc) => group_requirements(path, table, declared, inc, stack, out)?,
                None => {
                    return Err(Error::new(format!(
                        "dependency group '{real}' in {} has a table that is not {{include-group = \"…\"}}",
                        path.display()
                    )))
                }
            },
            _ => {
                return Err(Error::new(format!(
                    "dependency group '{real}' in {} lists something not a string",
                    path.display()
                )))
            }
        }
    }
    stack.pop();
    Ok(())
}

fn list_or_none<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = names.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// A capped read of a regular file, as TOML: one error naming it otherwise.
pub(super) fn parse(path: &Path) -> Result<Table> {
    let text = read_text(path)?;
    text.parse::<Table>().map_err(|e| {
        Error::new(format!("{} is not valid TOML: {}", path.display(), e.message().trim_end()))
            .with_hint("fix the file")
    })
}

impl Source for Pyproject {
    fn label(&self) -> String {
        FILE.into()
    }

    fn inputs(&self, _root: &Path) -> Result<Inputs> {
        let mut i = Inputs { reqs: vec![FILE.into()], ..Inputs::default() };
        i.meta = if self.editable.is_some() {
            // A package's metadata may come from these too (dynamic fields).
            vec!["setup.py".into(), "setup.cfg".into()]
        } else {
            // One appearing makes the project a package.
            vec!["setup.py".into()]
        };
        Ok(i)
    }

    fn inputs_lenient(&self, _root: &Path) -> Vec<String> {
        vec![FILE.into()]
    }

    fn digest_extra(&self) -> String {
        format!("pyproject groups={:?} extras={:?}", self.groups, self.extras)
    }

    fn summary(&self, _root: &Path, _inputs: &Inputs) -> Option<String> {
        if self.reqs.is_empty() && self.editable.is_none() {
            return None;
        }
        let mut parts = vec![plural(self.reqs.len(), "requirement")];
        if self.editable.is_some() {
            parts.push("the project editable".into());
        }
        if !self.groups.is_empty() {
            parts.push(format!("groups: {}", self.groups.join(", ")));
        }
        if !self.extras.is_empty() {
            parts.push(format!("extras: {}", self.extras.join(", ")));
        }
        Some(format!("{FILE} ({})", parts.join("; ")))
    }

    fn install(&self, ix: &Installer, _inputs: &Inputs) -> std::result::Result<(), Failure> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(e) = &self.editable {
            args.push("-e".into());
            args.push(e.into());
        }
        args.extend(self.reqs.iter().map(OsString::from));
        // For `exact` with pip: what is listed (the project's own
        // dependencies follow from its name).
        let mut names: Option<Vec<String>> = self.reqs.iter().map(|r| requirement_name(r).map(String::from)).collect();
        if self.editable.is_some() {
            match (&mut names, &self.name) {
                (Some(n), Some(own)) => n.push(own.clone()),
                _ => names = None,
            }
        }
        ix.pip_install(&args, true, names, FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(groups: Option<&[&str]>, extras: &[&str]) -> Settings {
        let mut s = crate::config::resolve(&Default::default(), &Default::default());
        s.groups = groups.map(|g| g.iter().map(ToString::to_string).collect());
        s.extras = extras.iter().map(ToString::to_string).collect();
        s
    }

    fn plan(text: &str, s: &Settings) -> Result<Option<Box<dyn Source>>> {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(FILE), text).unwrap();
        detect(t.path(), s)
    }

    const APP: &str = r#"
[project]
name = "App"
dependencies = ["attrs>=23", "six"]
[project.optional-dependencies]
socks = ["pysocks"]
[dependency-groups]
test = ["pytest"]
dev = [{include-group = "test"}, "ruff"]
docs = ["sphinx"]
"#;

    #[test]
    fn dependencies_dev_group_and_extras() {
        let p = plan(APP, &settings(None, &[])).unwrap().unwrap();
        let s = p.summary(Path::new("/"), &Inputs::default()).unwrap();
        assert_eq!(s, "pyproject.toml (4 requirements; groups: dev)");
        let p = plan(APP, &settings(Some(&["docs"]), &["socks"])).unwrap().unwrap();
        assert_eq!(
            p.summary(Path::new("/"), &Inputs::default()).unwrap(),
            "pyproject.toml (4 requirements; groups: docs; extras: socks)"
        );
        assert_ne!(p.digest_extra(), plan(APP, &settings(None, &[])).unwrap().unwrap().digest_extra());
        let pkg = format!("[build-system]\nrequires = []\n{APP}");
        let p = plan(&pkg, &settings(Some(&[]), &[])).unwrap().unwrap();
        assert_eq!(
            p.summary(Path::new("/"), &Inputs::default()).unwrap(),
            "pyproject.toml (0 requirements; the project editable)"
        );
    }

    #[test]
    fn no_project_table_is_not_this_source() {
        assert!(plan("[tool.black]\nline-length = 100\n", &settings(None, &[])).unwrap().is_none());
        let empty = plan("[project]\nname = \"x\"\n", &settings(None, &[])).unwrap().unwrap();
        assert_eq!(empty.summary(Path::new("/"), &Inputs::default()), None);
    }

    #[test]
    fn bad_choices_and_files_are_one_clear_error() {
        let e = |text: &str, s: &Settings| plan(text, s).err().unwrap();
        let got = e(APP, &settings(Some(&["lint"]), &[]));
        assert!(got.message.starts_with("dependency group 'lint' is not in "), "{}", got.message);
        assert_eq!(got.hint.as_deref(), Some("it has: dev, docs, test; fix `groups` in the config"));
        let got = e(APP, &settings(None, &["http2"]));
        assert!(got.message.starts_with("extra 'http2' is not in "), "{}", got.message);
        let cyc =
            "[project]\nname='x'\n[dependency-groups]\na = [{include-group = 'b'}]\nb = [{include-group = 'a'}]\n";
        let got = e(cyc, &settings(Some(&["a"]), &[]));
        assert!(got.message.contains("include each other") && got.message.ends_with("a -> b -> a"), "{}", got.message);
        let got = e("[project\n", &settings(None, &[]));
        assert!(got.message.contains("is not valid TOML"), "{}", got.message);
        let got = e("[project]\ndependencies = \"six\"\n", &settings(None, &[]));
        assert!(got.message.ends_with("has project.dependencies that is not a list of strings"), "{}", got.message);
        let got = e("[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n", &settings(None, &[]));
        assert!(got.message.ends_with("but has no [build-system] or setup.py to compute them"), "{}", got.message);
        assert!(got.hint.unwrap().starts_with("list them in project.dependencies"));
    }

    #[test]
    fn a_setup_py_makes_a_package_without_a_build_system() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(FILE), "[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n").unwrap();
        std::fs::write(t.path().join("setup.py"), "").unwrap();
        let p = detect(t.path(), &settings(None, &[])).unwrap().unwrap();
        assert_eq!(
            p.summary(t.path(), &Inputs::default()).unwrap(),
            "pyproject.toml (0 requirements; the project editable)"
        );
        // Not a package: the file whose appearance would make it one is watched.
        let plain = plan("[project]\nname = \"x\"\ndependencies = [\"six\"]\n", &settings(None, &[])).unwrap().unwrap();
        assert_eq!(plain.inputs(t.path()).unwrap().meta, ["setup.py"]);
    }
}
