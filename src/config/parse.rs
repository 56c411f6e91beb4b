//! Reading one table into a [`Layer`]: the value parsers the key
//! declarations use, and errors that name the file, the line and the key.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::did_you_mean::did_you_mean;
use super::expand_prefix;
use super::keys::{Choice, KEYS, TRUST_PREFIXES, TRUST_TABLE};
use super::toml_doc::{describe, line_of};
use super::Layer;
use crate::error::{Error, Result};

/// Where we are, for error messages.
pub(super) struct Ctx<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    /// The global config, the only place `trust.prefixes` is allowed.
    pub(super) global: bool,
}

impl Ctx<'_> {
    pub(super) fn at(&self, span: Range<usize>) -> String {
        format!("{} line {}", self.path.display(), line_of(self.text, span.start))
    }

    /// `'key' in FILE line N must … (got …)`
    pub(super) fn invalid(&self, span: Range<usize>, key: &str, must: &str, got: &str) -> Error {
        Error::new(format!("'{key}' in {} {must} (got {got})", self.at(span)))
    }

    pub(super) fn wrong_type(&self, key: &TomlKey<'_>, name: &str, must: &str, v: &DeValue<'_>) -> Error {
        self.invalid(key.span(), name, must, describe(v))
    }

    pub(super) fn unknown(&self, span: Range<usize>, key: &str, valid: &[&str]) -> Error {
        let mut msg = format!("unknown key '{key}' in {}", self.at(span));
        if let Some(best) = did_you_mean(key, valid) {
            msg.push_str(&format!("; did you mean '{best}'?"));
        }
        Error::new(msg).with_hint(format!("valid keys: {}", valid.join(", ")))
    }
}

/// A key as written, with where it was written.
pub(super) type TomlKey<'a> = Spanned<std::borrow::Cow<'a, str>>;

/// Entries in file order, so the first error reported is the first in the
/// file (DeTable itself iterates in key order).
fn in_file_order<'t, 'a>(table: &'t DeTable<'a>) -> Vec<(&'t TomlKey<'a>, &'t Spanned<DeValue<'a>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// Reads one table (a whole `.autovenv.toml` or global config, or
/// `[tool.autovenv]`) into a layer, each key by its declaration.
pub(super) fn parse_layer(ctx: &Ctx<'_>, table: &DeTable<'_>) -> Result<Layer> {
    let mut layer = Layer::default();
    for (key, value) in in_file_order(table) {
        let name: &str = key.get_ref();
        let v = value.get_ref();
        if let Some(decl) = KEYS.iter().find(|k| k.name == name) {
            (decl.parse)(ctx, key, v, &mut layer)?;
        } else if name == TRUST_TABLE && ctx.global {
            (TRUST_PREFIXES.parse)(ctx, key, v, &mut layer)?;
        } else if name == TRUST_TABLE {
            return Err(Error::new(format!(
                "'{}' in {} can only be set in the global config",
                TRUST_PREFIXES.name,
                ctx.at(key.span())
            ))
            .with_hint(
                "a project cannot trust itself; move it to $XDG_CONFIG_HOME/autovenv/config.toml \
                 (default ~/.config/autovenv/config.toml), or run `autovenv allow`",
            ));
        } else {
            // `trust_prefixes = …` is a likely slip for the dotted key, so
            // it is offered as a suggestion in the global file.
            let mut valid: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
            if ctx.global {
                valid.push(TRUST_PREFIXES.name);
            }
            return Err(ctx.unknown(key.span(), name, &valid));
        }
    }
    Ok(layer)
}

pub(super) fn string<'v>(
    ctx: &Ctx<'_>,
    key: &TomlKey<'_>,
    name: &str,
    must: &str,
    v: &'v DeValue<'_>,
) -> Result<&'v str> {
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

/// One of the names of `T`'s values.
pub(super) fn choice<T: Choice>(ctx: &Ctx<'_>, span: Range<usize>, name: &str, v: &DeValue<'_>) -> Result<T> {
    let list = T::ALL.iter().map(|c| format!("\"{}\"", c.as_str())).collect::<Vec<_>>().join(", ");
    let must = format!("must be one of {list}");
    match v {
        DeValue::String(s) => match T::ALL.iter().find(|c| c.as_str() == s.as_ref()) {
            Some(c) => Ok(*c),
            None => Err(ctx.invalid(span, name, &must, &format!("{:?}", s.as_ref()))),
        },
        other => Err(ctx.invalid(span, name, &must, describe(other))),
    }
}

/// `python`: a non-empty string.
pub(super) fn python(ctx: &Ctx<'_>, key: &TomlKey<'_>, v: &DeValue<'_>) -> Result<String> {
    let must = "must be a string like \"3.12\", or an interpreter name or path";
    let s = string(ctx, key, "python", must, v)?;
    if s.trim().is_empty() {
        return Err(ctx.invalid(key.span(), "python", must, "an empty string"));
    }
    Ok(s.to_string())
}

pub(super) fn boolean(ctx: &Ctx<'_>, key: &TomlKey<'_>, name: &str, v: &DeValue<'_>) -> Result<bool> {
    match v {
        DeValue::Boolean(b) => Ok(*b),
        other => Err(ctx.wrong_type(key, name, "must be true or false", other)),
    }
}

/// `env_dir` is one folder name inside the project: the env is deleted and
/// rebuilt when broken, added to .gitignore and put on PATH, so it must not be
/// able to point anywhere else (absolute, `..`) or at the project itself (`.`, "").
pub(super) fn env_dir(ctx: &Ctx<'_>, span: Range<usize>, v: &DeValue<'_>) -> Result<String> {
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
pub(super) fn requirements(ctx: &Ctx<'_>, key: &TomlKey<'_>, v: &DeValue<'_>) -> Result<Vec<String>> {
    let must = "must be a list of file names";
    let DeValue::Array(items) = v else {
        let err = ctx.wrong_type(key, "requirements", must, v);
        return Err(match v {
            DeValue::String(s) => err.with_hint(format!("write it as a list: requirements = [{:?}]", s.as_ref())),
            _ => err,
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
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

/// A list of names (`sources`, `groups`, `extras`): non-empty strings,
/// each one of `allowed` when given (with a did-you-mean).
pub(super) fn names(
    ctx: &Ctx<'_>,
    key: &TomlKey<'_>,
    name: &str,
    v: &DeValue<'_>,
    allowed: Option<&[&str]>,
) -> Result<Vec<String>> {
    let must = "must be a list of names";
    let DeValue::Array(items) = v else {
        let err = ctx.wrong_type(key, name, must, v);
        return Err(match v {
            DeValue::String(s) => err.with_hint(format!("write it as a list: {name} = [{:?}]", s.as_ref())),
            _ => err,
        });
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let span = item.span();
        match item.get_ref() {
            DeValue::String(s) if s.trim().is_empty() => {
                return Err(ctx.invalid(span, name, must, "an empty string in the list"))
            }
            DeValue::String(s) => {
                if let Some(valid) = allowed.filter(|v| !v.contains(&s.as_ref())) {
                    let list = valid.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
                    let mut got = format!("{:?}", s.as_ref());
                    if let Some(best) = did_you_mean(s, valid) {
                        got.push_str(&format!("; did you mean \"{best}\"?"));
                    }
                    return Err(ctx.invalid(span, name, &format!("must list names among {list}"), &got));
                }
                out.push(s.to_string());
            }
            other => return Err(ctx.invalid(span, name, must, &format!("{} in the list", describe(other)))),
        }
    }
    Ok(out)
}

/// `[trust] prefixes = [...]` (or `trust.prefixes = [...]`). Prefixes must be
/// absolute or start with `~/`: a relative prefix would trust different
/// folders depending on where the shell happens to be.
pub(super) fn trust(ctx: &Ctx<'_>, key: &TomlKey<'_>, v: &DeValue<'_>) -> Result<Option<Vec<String>>> {
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
        for item in items {
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
