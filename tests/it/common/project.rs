//! Python projects on disk, as a user would have them.

use std::fs;
use std::path::{Path, PathBuf};

use super::sandbox::Sandbox;

/// A project directory made by `ProjectBuilder::create`.
#[derive(Clone, Debug)]
pub(crate) struct Project {
    pub root: PathBuf,
}

impl Project {
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }
    /// The env autovenv creates: `<root>/env`.
    pub(crate) fn env_dir(&self) -> PathBuf {
        self.root.join("env")
    }
    /// `<root>/env/bin`, as a PATH entry.
    pub(crate) fn env_bin(&self) -> String {
        self.env_dir().join("bin").to_str().unwrap().to_string()
    }
    pub(crate) fn env_str(&self) -> String {
        self.env_dir().to_str().unwrap().to_string()
    }
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
    pub(crate) fn read(&self, rel: &str) -> Option<String> {
        fs::read_to_string(self.root.join(rel)).ok()
    }
    /// The folder name, which autovenv uses as `VIRTUAL_ENV_PROMPT`.
    pub(crate) fn name(&self) -> String {
        self.root.file_name().unwrap().to_str().unwrap().to_string()
    }
}

pub(crate) struct ProjectBuilder<'a> {
    sb: &'a Sandbox,
    root: PathBuf,
    requirements: Option<Vec<String>>,
    files: Vec<(String, String)>,
    git: bool,
}

impl<'a> ProjectBuilder<'a> {
    pub(crate) fn new(sb: &'a Sandbox, root: PathBuf) -> Self {
        ProjectBuilder { sb, root, requirements: Some(Vec::new()), files: Vec::new(), git: false }
    }

    /// Add a line such as `mypkg==1.0` to `requirements.txt`. The file always
    /// starts with `--no-index` and `--find-links <sandbox wheels>`.
    pub(crate) fn require(mut self, line: &str) -> Self {
        self.requirements.get_or_insert_with(Vec::new).push(line.to_string());
        self
    }

    /// No `requirements.txt` (use `file` for another marker).
    pub(crate) fn no_requirements(mut self) -> Self {
        self.requirements = None;
        self
    }

    /// Any other file, relative to the root (parent dirs are created).
    pub(crate) fn file(mut self, rel: &str, content: &str) -> Self {
        self.files.push((rel.to_string(), content.to_string()));
        self
    }

    /// Make the root a git work tree (`git init`, branch `main`).
    pub(crate) fn git(mut self) -> Self {
        self.git = true;
        self
    }

    pub(crate) fn create(self) -> Project {
        fs::create_dir_all(&self.root).unwrap();
        if let Some(reqs) = &self.requirements {
            let mut text = format!("--no-index\n--find-links {}\n", self.sb.wheels().display());
            for r in reqs {
                text.push_str(r);
                text.push('\n');
            }
            fs::write(self.root.join("requirements.txt"), text).unwrap();
        }
        for (rel, content) in &self.files {
            let p = self.root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, content).unwrap();
        }
        if self.git {
            let mut cmd = self.sb.command("git");
            cmd.args(["-c", "init.defaultBranch=main", "init", "-q"]).current_dir(&self.root);
            self.sb.run_ok(&mut cmd);
        }
        Project { root: self.root }
    }
}
