//! Configuration: the global `config.toml`, and per project `.autovenv.toml`
//! or `[tool.autovenv]` in `pyproject.toml`.
//!
//! Files are parsed with `toml::de::DeTable` rather than `#[derive(Deserialize)]`
//! because every error has to name the file, the line and the key, and suggest
//! the nearest valid key; walking the spanned table gives all of that directly,
//! and the first error in file order is the one reported.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SyncMode {
    #[default]
    Install,
    Exact,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Creator {
    #[default]
    Auto,
    Uv,
    Venv,
    Virtualenv,
}

/// Raw values from one file; every field optional so layers can merge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    pub env_dir: Option<String>,
    pub python: Option<String>,
    pub requirements: Option<Vec<String>>,
    pub sync: Option<SyncMode>,
    pub creator: Option<Creator>,
    pub prompt: Option<String>,
    pub gitignore: Option<bool>,
    pub trust_prefixes: Option<Vec<String>>,
}

/// Fully resolved settings for one project (defaults applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
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
}

pub const PROJECT_FILE: &str = ".autovenv.toml";
pub const PYPROJECT: &str = "pyproject.toml";

/// Keys valid in every file, in the order the hint lists them.
const KEYS: &[&str] = &["env_dir", "python", "requirements", "sync", "creator", "prompt", "gitignore"];
const SYNC_VALUES: &[(&str, SyncMode)] =
    &[("install", SyncMode::Install), ("exact", SyncMode::Exact), ("off", SyncMode::Off)];
const CREATOR_VALUES: &[(&str, Creator)] =
    &[("auto", Creator::Auto), ("uv", Creator::Uv), ("venv", Creator::Venv), ("virtualenv", Creator::Virtualenv)];

/// Loads the global config. A missing file is the normal case and gives an
/// empty layer; `trust.prefixes` is allowed here and nowhere else.
pub fn load_global(path: &Path) -> Result<Layer> {
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
pub fn load_project(root: &Path) -> Result<Layer> {
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
pub fn project_config_files(root: &Path) -> Vec<PathBuf> {
    [PROJECT_FILE, PYPROJECT].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect()
}

/// Project values win over global ones; then the defaults.
pub fn resolve(global: &Layer, project: &Layer) -> Settings {
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
    }
}

/// `"~"` and `"~/code"` expand against `home`; absolute paths stay as they
/// are. Anything else (relative, `~user`) gives `None`; `load_global` has
/// already rejected those with an error, so `None` here only means "no HOME".
pub fn expand_prefix(p: &str, home: Option<&Path>) -> Option<PathBuf> {
    if p == "~" {
        return home.map(Path::to_path_buf);
    }
    if let Some(rest) = p.strip_prefix("~/") {
        return home.map(|h| h.join(rest.trim_start_matches('/')));
    }
    let path = Path::new(p);
    path.is_absolute().then(|| path.to_path_buf())
}

// ---------------------------------------------------------------------------
// Shared TOML helpers (python.rs reads `requires-python` with these too).

/// Reads a TOML file as text. `Ok(None)` when it does not exist.
pub(crate) fn read_toml_text(path: &Path) -> Result<Option<String>> {
    match crate::fsutil::read_regular(path)? {
        Some(bytes) => {
            String::from_utf8(bytes).map(Some).map_err(|_| Error::new(format!("{} is not valid UTF-8", path.display())))
        }
        None => Ok(None),
    }
}

/// Parses a whole document; a syntax error becomes one line naming the file
/// and the line (toml's own rendering is a multi-line snippet).
pub(crate) fn parse_toml<'a>(path: &Path, text: &'a str) -> Result<Spanned<DeTable<'a>>> {
    DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        let mut msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        // toml says only "duplicate key"; the span holds which one.
        if msg == "duplicate key" {
            if let Some(key) = e.span().and_then(|s| text.get(s)).filter(|k| !k.is_empty()) {
                msg = format!("duplicate key '{key}'");
            }
        }
        Error::new(format!("{} line {line}: invalid TOML: {msg}", path.display()))
    })
}

/// 1-based line of a byte offset. An offset at the very end of a file that
/// ends in a newline belongs to the last line, not to a phantom one after it.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    if offset == text.len() && text.ends_with('\n') && offset > 0 {
        offset -= 1;
    }
    text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

/// "a string", "an integer", … for "(got …)". The type, not the value: the
/// line number already points at it.
pub(crate) fn describe(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

// ---------------------------------------------------------------------------
// Parsing one table into a Layer.

/// Where we are, for error messages.
struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    global: bool,
}

impl Ctx<'_> {
    fn at(&self, span: Range<usize>) -> String {
        format!("{} line {}", self.path.display(), line_of(self.text, span.start))
    }

    /// `'key' in FILE line N must … (got …)`
    fn invalid(&self, span: Range<usize>, key: &str, must: &str, got: &str) -> Error {
        Error::new(format!("'{key}' in {} {must} (got {got})", self.at(span)))
    }

    fn wrong_type(&self, key: &Key<'_>, name: &str, must: &str, v: &DeValue<'_>) -> Error {
        self.invalid(key.span(), name, must, describe(v))
    }

    fn unknown(&self, span: Range<usize>, key: &str, valid: &[&str]) -> Error {
        let mut msg = format!("unknown key '{key}' in {}", self.at(span));
        if let Some(best) = did_you_mean(key, valid) {
            msg.push_str(&format!("; did you mean '{best}'?"));
        }
        Error::new(msg).with_hint(format!("valid keys: {}", valid.join(", ")))
    }
}

type Key<'a> = Spanned<std::borrow::Cow<'a, str>>;

/// Entries in file order, so the first error reported is the first in the
/// file (DeTable itself iterates in key order).
fn in_file_order<'t, 'a>(table: &'t DeTable<'a>) -> Vec<(&'t Key<'a>, &'t Spanned<DeValue<'a>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn parse_layer(ctx: &Ctx<'_>, table: &DeTable<'_>) -> Result<Layer> {
    let mut layer = Layer::default();
    for (key, value) in in_file_order(table) {
        let name: &str = key.get_ref();
        let v = value.get_ref();
        let span = key.span();
        match name {
            "env_dir" => layer.env_dir = Some(env_dir(ctx, span, v)?),
            "python" => {
                let must = "must be a string like \"3.12\", or an interpreter name or path";
                let s = string(ctx, key, name, must, v)?;
                if s.trim().is_empty() {
                    return Err(ctx.invalid(span, name, must, "an empty string"));
                }
                layer.python = Some(s.to_string());
            }
            "requirements" => {
                layer.requirements = Some(requirements(ctx, key, v)?);
            }
            "sync" => layer.sync = Some(one_of(ctx, span, name, SYNC_VALUES, v)?),
            "creator" => layer.creator = Some(one_of(ctx, span, name, CREATOR_VALUES, v)?),
            "prompt" => layer.prompt = Some(string(ctx, key, name, "must be a string", v)?.to_string()),
            "gitignore" => match v {
                DeValue::Boolean(b) => layer.gitignore = Some(*b),
                other => return Err(ctx.wrong_type(key, name, "must be true or false", other)),
            },
            "trust" if ctx.global => layer.trust_prefixes = trust(ctx, key, v)?,
            "trust" => {
                return Err(Error::new(format!(
                    "'trust.prefixes' in {} can only be set in the global config",
                    ctx.at(span)
                ))
                .with_hint(
                    "a project cannot trust itself; move it to $XDG_CONFIG_HOME/autovenv/config.toml \
                     (default ~/.config/autovenv/config.toml), or run `autovenv allow`",
                ))
            }
            _ => {
                // `trust_prefixes = …` is a likely slip for the dotted key, so
                // it is offered as a suggestion in the global file.
                let mut valid = KEYS.to_vec();
                if ctx.global {
                    valid.push("trust.prefixes");
                }
                return Err(ctx.unknown(span, name, &valid));
            }
        }
    }
    Ok(layer)
}

fn string<'v>(ctx: &Ctx<'_>, key: &Key<'_>, name: &str, must: &str, v: &'v DeValue<'_>) -> Result<&'v str> {
    let literal = match v {
        DeValue::String(s) => return Ok(s),
        DeValue::Float(f) => Some(f.as_str()),
        DeValue::Integer(i) => Some(i.as_str()),
        _ => None,
    };
    let err = ctx.wrong_type(key, name, must, v);
    // `python = 3.12` is the classic slip: TOML reads it as a number.
    Err(match literal {
        Some(n) if name == "python" => err.with_hint(format!("write it in quotes: python = \"{n}\"")),
        _ => err,
    })
}

fn one_of<T: Copy>(ctx: &Ctx<'_>, span: Range<usize>, name: &str, values: &[(&str, T)], v: &DeValue<'_>) -> Result<T> {
    let list = values.iter().map(|(s, _)| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let must = format!("must be one of {list}");
    match v {
        DeValue::String(s) => match values.iter().find(|(name, _)| *name == s.as_ref()) {
            Some((_, t)) => Ok(*t),
            None => Err(ctx.invalid(span, name, &must, &format!("{:?}", s.as_ref()))),
        },
        other => Err(ctx.invalid(span, name, &must, describe(other))),
    }
}

/// `env_dir` is one folder name inside the project: the env is deleted and
/// rebuilt when broken, added to .gitignore and put on PATH, so it must not be
/// able to point anywhere else (absolute, `..`) or at the project itself (`.`, "").
fn env_dir(ctx: &Ctx<'_>, span: Range<usize>, v: &DeValue<'_>) -> Result<String> {
    let must = "must be a folder name inside the project, like \"env\"";
    let s = match v {
        DeValue::String(s) => s.as_ref(),
        other => return Err(ctx.invalid(span, "env_dir", must, describe(other))),
    };
    let why = if s.is_empty() {
        Some("an empty string".to_string())
    } else if Path::new(s).is_absolute() {
        Some(format!("{s:?}, an absolute path"))
    } else if s == "." || s == ".." {
        Some(format!("{s:?}, which is not a folder inside the project"))
    } else if s.contains('/') {
        Some(format!("{s:?}; nested paths are not supported"))
    } else if s.chars().any(char::is_control) {
        // It is written into .gitignore and shown in messages: a newline
        // would add a line of the project's choosing.
        Some(format!("{s:?}, which holds a control character"))
    } else {
        None
    };
    match why {
        Some(got) => Err(ctx.invalid(span, "env_dir", must, &got)),
        None => Ok(s.to_string()),
    }
}

/// Requirement files are relative to the project root. `..` is allowed (a
/// monorepo's shared constraints file); absolute paths are not, because a
/// committed config pointing at one machine's file breaks for everyone else.
fn requirements(ctx: &Ctx<'_>, key: &Key<'_>, v: &DeValue<'_>) -> Result<Vec<String>> {
    let must = "must be a list of file names";
    let DeValue::Array(items) = v else {
        let err = ctx.wrong_type(key, "requirements", must, v);
        return Err(match v {
            DeValue::String(s) => err.with_hint(format!("write it as a list: requirements = [{:?}]", s.as_ref())),
            _ => err,
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items.iter() {
        let span = item.span();
        match item.get_ref() {
            DeValue::String(s) if s.is_empty() => {
                return Err(ctx.invalid(span, "requirements", must, "an empty string in the list"))
            }
            DeValue::String(s) if Path::new(s.as_ref()).is_absolute() => {
                return Err(ctx.invalid(
                    span,
                    "requirements",
                    "must list files relative to the project root",
                    &format!("the absolute path {:?}", s.as_ref()),
                ))
            }
            DeValue::String(s) => out.push(s.to_string()),
            other => return Err(ctx.invalid(span, "requirements", must, &format!("{} in the list", describe(other)))),
        }
    }
    Ok(out)
}

/// `[trust] prefixes = [...]` (or `trust.prefixes = [...]`). Prefixes must be
/// absolute or start with `~/`: a relative prefix would trust different
/// folders depending on where the shell happens to be.
fn trust(ctx: &Ctx<'_>, key: &Key<'_>, v: &DeValue<'_>) -> Result<Option<Vec<String>>> {
    let DeValue::Table(table) = v else {
        return Err(ctx.wrong_type(key, "trust", "must be a table with a 'prefixes' key", v));
    };
    let mut prefixes = None;
    for (k, value) in in_file_order(table) {
        if k.get_ref() != "prefixes" {
            return Err(ctx.unknown(k.span(), &format!("trust.{}", k.get_ref()), &["trust.prefixes"]));
        }
        let must = "must be a list of folders";
        let DeValue::Array(items) = value.get_ref() else {
            return Err(ctx.wrong_type(k, "trust.prefixes", must, value.get_ref()));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let s = match item.get_ref() {
                DeValue::String(s) => s.as_ref(),
                other => {
                    return Err(ctx.invalid(
                        item.span(),
                        "trust.prefixes",
                        must,
                        &format!("{} in the list", describe(other)),
                    ))
                }
            };
            if expand_prefix(s, Some(Path::new("/"))).is_none() {
                return Err(ctx.invalid(
                    item.span(),
                    "trust.prefixes",
                    "must hold absolute paths or paths starting with ~/",
                    &format!("{s:?}"),
                ));
            }
            out.push(s.to_string());
        }
        prefixes = Some(out);
    }
    Ok(prefixes)
}

// ---------------------------------------------------------------------------
// Did-you-mean.

/// The valid key closest to `key`, if it is close enough to be a typo: at most
/// a third of the candidate's length in edits (so "synk" → "sync", but
/// "reqs" does not become "requirements"). Compared case-insensitively and
/// with `-` read as `_`, the usual slips.
fn did_you_mean<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace('-', "_");
    let key = norm(key);
    valid
        .iter()
        .map(|c| (levenshtein(&key, &norm(c)), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Classic edit distance with one row of memory.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
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
        }
    }

    #[test]
    fn every_key_from_autovenv_toml() {
        let dir = project(&[(".autovenv.toml", ALL_KEYS)]);
        assert_eq!(load_project(dir.path()).unwrap(), all_keys_layer());
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
            Some("valid keys: env_dir, python, requirements, sync, creator, prompt, gitignore")
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
        assert!(hint.unwrap().ends_with(", gitignore, trust.prefixes"));
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

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("envdir", "env_dir"), 1);
        assert_eq!(levenshtein("same", "same"), 0);
        assert_eq!(did_you_mean("synk", KEYS), Some("sync"));
        assert_eq!(did_you_mean("env-dir", KEYS), Some("env_dir"));
        assert_eq!(did_you_mean("GITIGNORE", KEYS), Some("gitignore"));
        assert_eq!(did_you_mean("requirement", KEYS), Some("requirements"));
        assert_eq!(did_you_mean("reqs", KEYS), None);
        assert_eq!(did_you_mean("x", KEYS), None);
    }

    #[test]
    fn line_numbers() {
        assert_eq!(line_of("a\nb\n", 0), 1);
        assert_eq!(line_of("a\nb\n", 2), 2);
        assert_eq!(line_of("a\nb\n", 4), 2, "EOF after a final newline is the last line");
        assert_eq!(line_of("a\nb", 3), 2);
    }
}
