//! Configuration: the global `config.toml`, and per project `.autovenv.toml`
//! or `[tool.autovenv]` in `pyproject.toml`.
//!
//! Files are parsed with `toml::de::DeTable` rather than `#[derive(Deserialize)]`
//! because every error has to name the file, the line and the key, and suggest
//! the nearest valid key; walking the spanned table gives all of that directly,
//! and the first error in file order is the one reported.

mod did_you_mean;
mod keys;
mod parse;
mod toml_doc;

use std::path::{Path, PathBuf};

use toml::de::DeValue;

pub(crate) use keys::{Creator, SyncMode};
use parse::{parse_layer, Ctx};
pub(crate) use toml_doc::{describe, line_of, parse_toml, read_toml_text};

use crate::error::Result;

/// Raw values from one file; every field optional so layers can merge.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Layer {
    pub env_dir: Option<String>,
    pub python: Option<String>,
    pub requirements: Option<Vec<String>>,
    pub sync: Option<SyncMode>,
    pub creator: Option<Creator>,
    pub prompt: Option<String>,
    pub gitignore: Option<bool>,
    pub trust_prefixes: Option<Vec<String>>,
    pub sources: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub extras: Option<Vec<String>>,
}

/// Fully resolved settings for one project (defaults applied).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    pub env_dir: String,
    pub python: Option<String>,
    pub requirements: Vec<String>,
    pub sync: SyncMode,
    pub creator: Creator,
    /// `None`: the caller uses the project folder's name.
    pub prompt: Option<String>,
    pub gitignore: bool,
    /// True if some file set `env_dir` explicitly: then `.venv`/`venv` adoption is off.
    pub env_dir_configured: bool,
    /// `python` came from the global config only: a default for every
    /// project, which a project's `.python-version` overrides (a project's
    /// own `python` overrides `.python-version`).
    pub python_is_global: bool,
    /// Dependency sources to consider, in order; `None`: all, in the
    /// precedence table's order.
    pub sources: Option<Vec<String>>,
    /// Dependency groups; `None`: each source's default.
    pub groups: Option<Vec<String>>,
    pub extras: Vec<String>,
}

pub(crate) const PROJECT_FILE: &str = ".autovenv.toml";
pub(crate) const PYPROJECT: &str = "pyproject.toml";

/// Loads the global config. A missing file is the normal case and gives an
/// empty layer; `trust.prefixes` is allowed here and nowhere else.
pub(crate) fn load_global(path: &Path) -> Result<Layer> {
    match read_toml_text(path)? {
        None => Ok(Layer::default()),
        Some(text) => {
            let doc = parse_toml(path, &text)?;
            parse_layer(&Ctx { path, text: &text, global: true }, doc.get_ref())
        }
    }
}

/// Loads the project's config: `.autovenv.toml` if it exists (then
/// `pyproject.toml` is not read at all, so it cannot break activation), else
/// `[tool.autovenv]` of `pyproject.toml`, else an empty layer.
pub(crate) fn load_project(root: &Path) -> Result<Layer> {
    let own = root.join(PROJECT_FILE);
    if let Some(text) = read_toml_text(&own)? {
        let doc = parse_toml(&own, &text)?;
        return parse_layer(&Ctx { path: &own, text: &text, global: false }, doc.get_ref());
    }
    let pyproject = root.join(PYPROJECT);
    let Some(text) = read_toml_text(&pyproject)? else {
        return Ok(Layer::default());
    };
    // A syntax error anywhere in pyproject.toml is still an error: we cannot
    // tell whether it hides a [tool.autovenv] table, and half-read settings
    // could build the env the wrong way.
    let doc = parse_toml(&pyproject, &text)?;
    let ctx = Ctx { path: &pyproject, text: &text, global: false };
    let Some((tool_key, tool)) = doc.get_ref().get_key_value("tool") else {
        return Ok(Layer::default());
    };
    // Everything else in pyproject.toml belongs to other tools; only a `tool`
    // that is not a table at all is malformed enough to mention.
    let DeValue::Table(tool) = tool.get_ref() else {
        return Err(ctx.wrong_type(tool_key, "tool", "must be a table", tool.get_ref()));
    };
    match tool.get_key_value("autovenv") {
        None => Ok(Layer::default()),
        Some((key, value)) => match value.get_ref() {
            DeValue::Table(table) => parse_layer(&ctx, table),
            other => Err(ctx.wrong_type(key, "tool.autovenv", "must be a table", other)),
        },
    }
}

/// The files that can change this project's settings, those that exist, for
/// change detection. Both files when both exist: `.autovenv.toml` shadows
/// `[tool.autovenv]`, but pyproject.toml still holds `requires-python`, and
/// deleting `.autovenv.toml` brings its table back into play.
/// (`.python-version` is listed by `python::input_files`.)
pub(crate) fn project_config_files(root: &Path) -> Vec<PathBuf> {
    [PROJECT_FILE, PYPROJECT].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect()
}

/// Project values win over global ones; then the defaults.
pub(crate) fn resolve(global: &Layer, project: &Layer) -> Settings {
    fn pick<T: Clone>(p: &Option<T>, g: &Option<T>) -> Option<T> {
        p.clone().or_else(|| g.clone())
    }
    let env_dir = pick(&project.env_dir, &global.env_dir);
    Settings {
        env_dir_configured: env_dir.is_some(),
        env_dir: env_dir.unwrap_or_else(|| "env".to_string()),
        python: pick(&project.python, &global.python),
        python_is_global: project.python.is_none() && global.python.is_some(),
        requirements: pick(&project.requirements, &global.requirements)
            .unwrap_or_else(|| vec!["requirements.txt".to_string()]),
        sync: pick(&project.sync, &global.sync).unwrap_or_default(),
        creator: pick(&project.creator, &global.creator).unwrap_or_default(),
        prompt: pick(&project.prompt, &global.prompt),
        gitignore: pick(&project.gitignore, &global.gitignore).unwrap_or(true),
        sources: pick(&project.sources, &global.sources),
        groups: pick(&project.groups, &global.groups),
        extras: pick(&project.extras, &global.extras).unwrap_or_default(),
    }
}

/// `"~"` and `"~/code"` expand against `home`; absolute paths stay as they
/// are. Anything else (relative, `~user`) gives `None`; `load_global` has
/// already rejected those with an error, so `None` here only means "no HOME".
pub(crate) fn expand_prefix(p: &str, home: Option<&Path>) -> Option<PathBuf> {
    if p == "~" {
        return home.map(Path::to_path_buf);
    }
    if let Some(rest) = p.strip_prefix("~/") {
        return home.map(|h| h.join(rest.trim_start_matches('/')));
    }
    let path = Path::new(p);
    path.is_absolute().then(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use std::fs;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    /// The error's message, with the temp dir replaced by `/p` so the
    /// expected texts read like the documented ones.
    fn err(dir: &tempfile::TempDir, r: Result<Layer>) -> (String, Option<String>) {
        let e = r.expect_err("expected an error");
        let root = dir.path().display().to_string();
        (e.message.replace(&root, "/p"), e.hint)
    }

    const ALL_KEYS: &str = r#"env_dir = ".env311"
python = "3.12"
requirements = ["requirements.txt", "../shared/dev.txt"]
sync = "exact"
creator = "uv"
prompt = "my app"
gitignore = false
sources = ["Pipfile.lock", "pyproject.toml"]
groups = ["dev", "docs"]
extras = ["socks"]
"#;

    fn all_keys_layer() -> Layer {
        Layer {
            env_dir: Some(".env311".into()),
            python: Some("3.12".into()),
            requirements: Some(vec!["requirements.txt".into(), "../shared/dev.txt".into()]),
            sync: Some(SyncMode::Exact),
            creator: Some(Creator::Uv),
            prompt: Some("my app".into()),
            gitignore: Some(false),
            trust_prefixes: None,
            sources: Some(vec!["Pipfile.lock".into(), "pyproject.toml".into()]),
            groups: Some(vec!["dev".into(), "docs".into()]),
            extras: Some(vec!["socks".into()]),
        }
    }

    #[test]
    fn every_key_from_autovenv_toml() {
        let dir = project(&[(".autovenv.toml", ALL_KEYS)]);
        assert_eq!(load_project(dir.path()).unwrap(), all_keys_layer());
        let set: Vec<&str> = ALL_KEYS.lines().filter_map(|l| l.split(" = ").next()).collect();
        let declared: Vec<&str> = keys::KEYS.iter().map(|k| k.name).collect();
        assert_eq!(set, declared, "ALL_KEYS sets every declared key once, in order");
    }

    #[test]
    fn every_key_from_pyproject_tool_table() {
        // Other tables and tools' keys (even ones that look like ours) are
        // none of our business.
        let text = format!(
            "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n\n[tool.ruff]\nline-length = 100\nenvdir = 3\n\n[tool.autovenv]\n{ALL_KEYS}\n[tool.other]\nsync = 1\n"
        );
        let dir = project(&[("pyproject.toml", &text)]);
        assert_eq!(load_project(dir.path()).unwrap(), all_keys_layer());
    }

    #[test]
    fn enum_values() {
        for (text, sync) in [("install", SyncMode::Install), ("exact", SyncMode::Exact), ("off", SyncMode::Off)] {
            let dir = project(&[(".autovenv.toml", &format!("sync = {text:?}"))]);
            assert_eq!(load_project(dir.path()).unwrap().sync, Some(sync));
        }
        for (text, c) in
            [("auto", Creator::Auto), ("uv", Creator::Uv), ("venv", Creator::Venv), ("virtualenv", Creator::Virtualenv)]
        {
            let dir = project(&[(".autovenv.toml", &format!("creator = {text:?}"))]);
            assert_eq!(load_project(dir.path()).unwrap().creator, Some(c));
        }
    }

    #[test]
    fn no_files_and_no_tool_table_give_empty_layers() {
        let dir = project(&[]);
        assert_eq!(load_project(dir.path()).unwrap(), Layer::default());
        assert!(project_config_files(dir.path()).is_empty());
        let dir = project(&[("pyproject.toml", "[project]\nname = \"x\"\n[tool.black]\nx = 1\n")]);
        assert_eq!(load_project(dir.path()).unwrap(), Layer::default());
        assert_eq!(project_config_files(dir.path()), vec![dir.path().join("pyproject.toml")]);
        assert_eq!(load_global(&dir.path().join("missing/config.toml")).unwrap(), Layer::default());
    }

    #[test]
    fn autovenv_toml_wins_over_pyproject_entirely() {
        // Not merged: pyproject's table is not even parsed, so its bad key is
        // no error either.
        let dir = project(&[
            (".autovenv.toml", "env_dir = \"a\"\n"),
            ("pyproject.toml", "[tool.autovenv]\nenv_dir = \"b\"\nprompt = \"p\"\nbogus = 1\n"),
        ]);
        let layer = load_project(dir.path()).unwrap();
        assert_eq!(layer, Layer { env_dir: Some("a".into()), ..Layer::default() });
        let files = project_config_files(dir.path());
        assert_eq!(files, vec![dir.path().join(".autovenv.toml"), dir.path().join("pyproject.toml")]);
    }

    #[test]
    fn project_overrides_global_and_defaults_fill_the_rest() {
        let global = Layer {
            env_dir: Some("venvs".into()),
            sync: Some(SyncMode::Off),
            gitignore: Some(false),
            prompt: Some("g".into()),
            trust_prefixes: Some(vec!["~/code".into()]),
            ..Layer::default()
        };
        let proj = Layer { sync: Some(SyncMode::Exact), prompt: Some("p".into()), ..Layer::default() };
        let s = resolve(&global, &proj);
        assert_eq!(
            s,
            Settings {
                env_dir: "venvs".into(),
                python: None,
                requirements: vec!["requirements.txt".into()],
                sync: SyncMode::Exact,
                creator: Creator::Auto,
                prompt: Some("p".into()),
                gitignore: false,
                env_dir_configured: true,
                python_is_global: false,
                sources: None,
                groups: None,
                extras: vec![],
            }
        );
        let d = resolve(&Layer::default(), &Layer::default());
        assert_eq!(
            d,
            Settings {
                env_dir: "env".into(),
                python: None,
                requirements: vec!["requirements.txt".into()],
                sync: SyncMode::Install,
                creator: Creator::Auto,
                prompt: None,
                gitignore: true,
                env_dir_configured: false,
                python_is_global: false,
                sources: None,
                groups: None,
                extras: vec![],
            }
        );
        // A project list replaces the global one, it does not extend it.
        let g = Layer { requirements: Some(vec!["a.txt".into()]), ..Layer::default() };
        let p = Layer { requirements: Some(vec![]), env_dir: Some("env".into()), ..Layer::default() };
        let s = resolve(&g, &p);
        assert_eq!(s.requirements, Vec::<String>::new());
        assert!(s.env_dir_configured, "an explicit env_dir = \"env\" still counts as configured");
    }

    #[test]
    fn global_file_with_trust() {
        let dir = project(&[("config.toml", "sync = \"off\"\n[trust]\nprefixes = [\"~/code\", \"/srv/work\"]\n")]);
        let layer = load_global(&dir.path().join("config.toml")).unwrap();
        assert_eq!(layer.sync, Some(SyncMode::Off));
        assert_eq!(layer.trust_prefixes, Some(vec!["~/code".into(), "/srv/work".into()]));
        // The dotted form is the same table.
        let dir = project(&[("config.toml", "trust.prefixes = []\n")]);
        assert_eq!(load_global(&dir.path().join("config.toml")).unwrap().trust_prefixes, Some(vec![]));
    }

    #[test]
    fn expand_prefixes() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(expand_prefix("~/code", home), Some(PathBuf::from("/home/u/code")));
        assert_eq!(expand_prefix("~", home), Some(PathBuf::from("/home/u")));
        assert_eq!(expand_prefix("/srv", home), Some(PathBuf::from("/srv")));
        assert_eq!(expand_prefix("~/code", None), None);
        assert_eq!(expand_prefix("code", home), None);
        assert_eq!(expand_prefix("~bob/code", home), None);
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let dir = project(&[(".autovenv.toml", "envdir = \"x\"\n")]);
        let (msg, hint) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "unknown key 'envdir' in /p/.autovenv.toml line 1; did you mean 'env_dir'?");
        assert_eq!(
            hint.as_deref(),
            Some(
                "valid keys: env_dir, python, requirements, sync, creator, prompt, gitignore, sources, groups, extras"
            )
        );
        // Far from everything: no guess, still the list.
        let dir = project(&[(".autovenv.toml", "python = \"3.12\"\n\nreqs = []\n")]);
        let (msg, hint) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "unknown key 'reqs' in /p/.autovenv.toml line 3");
        assert!(hint.unwrap().starts_with("valid keys: "));
        // In pyproject.toml, line numbers count from the top of the file.
        let dir = project(&[("pyproject.toml", "[project]\nname = 'x'\n\n[tool.autovenv]\nPyhton = '3'\n")]);
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "unknown key 'Pyhton' in /p/pyproject.toml line 5; did you mean 'python'?");
        // Global: the trust key is offered too.
        let dir = project(&[("config.toml", "trust_prefixes = []\n")]);
        let (msg, hint) = err(&dir, load_global(&dir.path().join("config.toml")));
        assert_eq!(msg, "unknown key 'trust_prefixes' in /p/config.toml line 1; did you mean 'trust.prefixes'?");
        assert!(hint.unwrap().ends_with(", gitignore, sources, groups, extras, trust.prefixes"));
        let dir = project(&[("config.toml", "[trust]\nprefix = []\n")]);
        let (msg, _) = err(&dir, load_global(&dir.path().join("config.toml")));
        assert_eq!(msg, "unknown key 'trust.prefix' in /p/config.toml line 2; did you mean 'trust.prefixes'?");
    }

    #[test]
    fn first_error_in_file_order_is_reported() {
        // "zzz" sorts after "sync" but comes first in the file.
        let dir = project(&[(".autovenv.toml", "zzz = 1\nsync = \"fast\"\n")]);
        assert_eq!(err(&dir, load_project(dir.path())).0, "unknown key 'zzz' in /p/.autovenv.toml line 1");
    }

    #[test]
    fn wrong_types_say_what_was_expected() {
        let cases: &[(&str, &str)] = &[
            ("\n\nsync = \"fast\"\n", r#"'sync' in /p/.autovenv.toml line 3 must be one of "install", "exact", "off" (got "fast")"#),
            ("sync = 1\n", r#"'sync' in /p/.autovenv.toml line 1 must be one of "install", "exact", "off" (got an integer)"#),
            ("creator = \"pip\"\n", r#"'creator' in /p/.autovenv.toml line 1 must be one of "auto", "uv", "venv", "virtualenv" (got "pip")"#),
            ("requirements = 5\n", "'requirements' in /p/.autovenv.toml line 1 must be a list of file names (got an integer)"),
            ("requirements = [\n  \"a.txt\",\n  true,\n]\n", "'requirements' in /p/.autovenv.toml line 3 must be a list of file names (got a boolean in the list)"),
            ("requirements = [\"\"]\n", "'requirements' in /p/.autovenv.toml line 1 must be a list of file names (got an empty string in the list)"),
            ("requirements = [\"/etc/req.txt\"]\n", r#"'requirements' in /p/.autovenv.toml line 1 must list files relative to the project root (got the absolute path "/etc/req.txt")"#),
            ("gitignore = \"yes\"\n", "'gitignore' in /p/.autovenv.toml line 1 must be true or false (got a string)"),
            ("prompt = []\n", "'prompt' in /p/.autovenv.toml line 1 must be a string (got a list)"),
            ("python = \"\"\n", r#"'python' in /p/.autovenv.toml line 1 must be a string like "3.12", or an interpreter name or path (got an empty string)"#),
            ("[python]\nv = 1\n", r#"'python' in /p/.autovenv.toml line 1 must be a string like "3.12", or an interpreter name or path (got a table)"#),
            ("env_dir = 1\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got an integer)"#),
            ("env_dir = \"\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got an empty string)"#),
            ("env_dir = \"e\\nx\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got "e\nx", which holds a control character)"#),
            ("env_dir = \"e\\u001b[2J\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got "e\u{1b}[2J", which holds a control character)"#),
            ("env_dir = \"/tmp/e\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got "/tmp/e", an absolute path)"#),
            ("env_dir = \"..\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got "..", which is not a folder inside the project)"#),
            ("env_dir = \"a/b\"\n", r#"'env_dir' in /p/.autovenv.toml line 1 must be a folder name inside the project, like "env" (got "a/b"; nested paths are not supported)"#),
        ];
        for (text, expected) in cases {
            let dir = project(&[(".autovenv.toml", text)]);
            assert_eq!(&err(&dir, load_project(dir.path())).0, expected, "for {text:?}");
        }
        // The same checks apply inside pyproject.toml, with its own line numbers.
        let dir = project(&[("pyproject.toml", "[project]\nname = \"x\"\n\n[tool.autovenv]\nrequirements = 12\n")]);
        assert_eq!(
            err(&dir, load_project(dir.path())).0,
            "'requirements' in /p/pyproject.toml line 5 must be a list of file names (got an integer)"
        );
        let dir = project(&[("pyproject.toml", "[tool]\nautovenv = \"x\"\n")]);
        assert_eq!(
            err(&dir, load_project(dir.path())).0,
            "'tool.autovenv' in /p/pyproject.toml line 2 must be a table (got a string)"
        );
    }

    #[test]
    fn helpful_hints_for_common_slips() {
        let dir = project(&[(".autovenv.toml", "python = 3.12\n")]);
        let (msg, hint) = err(&dir, load_project(dir.path()));
        assert!(msg.ends_with("(got a float)"), "{msg}");
        assert_eq!(hint.as_deref(), Some("write it in quotes: python = \"3.12\""));
        let dir = project(&[(".autovenv.toml", "requirements = \"dev.txt\"\n")]);
        let (_, hint) = err(&dir, load_project(dir.path()));
        assert_eq!(hint.as_deref(), Some("write it as a list: requirements = [\"dev.txt\"]"));
    }

    #[test]
    fn invalid_toml_names_file_and_line() {
        let dir = project(&[(".autovenv.toml", "sync = \"off\"\nenv_dir = \n")]);
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert_eq!(
            msg,
            "/p/.autovenv.toml line 2: invalid TOML: string values must be quoted, expected literal string"
        );
        let dir = project(&[(".autovenv.toml", "sync = \"off\"\nsync = \"exact\"\n")]);
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "/p/.autovenv.toml line 2: invalid TOML: duplicate key 'sync'");
        // Even when .autovenv.toml is absent, a broken pyproject.toml is an error.
        let dir = project(&[("pyproject.toml", "[project]\nname = \"x\n")]);
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert!(msg.starts_with("/p/pyproject.toml line 2: invalid TOML: "), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn non_utf8_and_unreadable_files() {
        let dir = project(&[]);
        fs::write(dir.path().join(".autovenv.toml"), b"prompt = \"caf\xe9\"\n").unwrap();
        assert_eq!(err(&dir, load_project(dir.path())).0, "/p/.autovenv.toml is not valid UTF-8");
        // A directory or a FIFO where the file should be: named, and not
        // waited on.
        let dir = project(&[]);
        fs::create_dir(dir.path().join(".autovenv.toml")).unwrap();
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "/p/.autovenv.toml is not a regular file");
        let dir = project(&[]);
        let fifo = dir.path().join("pyproject.toml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (msg, _) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "/p/pyproject.toml is not a regular file");
    }

    #[test]
    fn trust_only_in_global() {
        let dir = project(&[(".autovenv.toml", "sync = \"off\"\n[trust]\nprefixes = [\"/\"]\n")]);
        let (msg, hint) = err(&dir, load_project(dir.path()));
        assert_eq!(msg, "'trust.prefixes' in /p/.autovenv.toml line 2 can only be set in the global config");
        assert!(hint.unwrap().contains("~/.config/autovenv/config.toml"));
        let dir = project(&[("pyproject.toml", "[tool.autovenv]\ntrust.prefixes = [\"/\"]\n")]);
        assert_eq!(
            err(&dir, load_project(dir.path())).0,
            "'trust.prefixes' in /p/pyproject.toml line 2 can only be set in the global config"
        );
    }

    #[test]
    fn trust_prefix_validation() {
        let dir = project(&[("config.toml", "[trust]\nprefixes = [\"~/ok\", \"code\"]\n")]);
        assert_eq!(
            err(&dir, load_global(&dir.path().join("config.toml"))).0,
            "'trust.prefixes' in /p/config.toml line 2 must hold absolute paths or paths starting with ~/ (got \"code\")"
        );
        let dir = project(&[("config.toml", "trust = [\"/a\"]\n")]);
        assert_eq!(
            err(&dir, load_global(&dir.path().join("config.toml"))).0,
            "'trust' in /p/config.toml line 1 must be a table with a 'prefixes' key (got a list)"
        );
        let dir = project(&[("config.toml", "trust.prefixes = \"/a\"\n")]);
        assert_eq!(
            err(&dir, load_global(&dir.path().join("config.toml"))).0,
            "'trust.prefixes' in /p/config.toml line 1 must be a list of folders (got a string)"
        );
    }
}
