//! Every config key, declared once: its name, how its value is read, and
//! what the README's table says of its values and default. The list of
//! valid keys in errors, the did-you-mean hint and (checked by a test) the
//! README table all come from here.
//!
//! A new key is a `Key` here, a field in `Layer` and `Settings` with its
//! default in `resolve`, and its row in README.md's table.

use std::fmt;

use toml::de::DeValue;

use super::parse::{self, Ctx, TomlKey};
use super::Layer;
use crate::error::Result;

pub(super) struct Key {
    pub(super) name: &'static str,
    /// The README table's "values" cell. (This and `default` are read only
    /// by the tests that hold README.md's table to these declarations.)
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) values: &'static str,
    /// The README table's "default" cell: a TOML literal in backticks (a
    /// test checks it is what `resolve` applies) or a description.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) default: &'static str,
    /// Reads the value into its field of the layer.
    pub(super) parse: fn(&Ctx<'_>, &TomlKey<'_>, &DeValue<'_>, &mut Layer) -> Result<()>,
}

/// The keys valid in every file, in the order errors and the README list them.
pub(super) const KEYS: &[Key] = &[
    Key {
        name: "env_dir",
        values: "one folder name inside the project (no `/`, not `..`); also what goes in `.gitignore` (`/.venv` for `.venv`). Setting it turns off the adoption of an existing `.venv`/`venv`. A project's own config may also name a folder outside it: an absolute path or `~/…` (see below)",
        default: "`\"env\"`",
        parse: |ctx, key, v, layer| {
            layer.env_dir = Some(parse::env_dir(ctx, key.span(), v)?);
            Ok(())
        },
    },
    Key {
        name: "python",
        values: "`\"3.12\"`, `\"3.12.1\"`, `\">=3.10\"`, an interpreter name (`\"pypy3\"`) or absolute path",
        default: "see below",
        parse: |ctx, key, v, layer| {
            layer.python = Some(parse::python(ctx, key, v)?);
            Ok(())
        },
    },
    Key {
        name: "requirements",
        values: "list of files relative to the project root (`..` allowed, for monorepos)",
        default: "`[\"requirements.txt\"]`",
        parse: |ctx, key, v, layer| {
            layer.requirements = Some(parse::requirements(ctx, key, v)?);
            Ok(())
        },
    },
    Key {
        name: "sync",
        values: "`\"install\"`, `\"exact\"`, `\"off\"`",
        default: "`\"install\"`",
        parse: |ctx, key, v, layer| {
            layer.sync = Some(parse::choice(ctx, key.span(), "sync", v)?);
            Ok(())
        },
    },
    Key {
        name: "creator",
        values: "`\"auto\"`, `\"uv\"`, `\"venv\"`, `\"virtualenv\"`",
        default: "`\"auto\"`",
        parse: |ctx, key, v, layer| {
            layer.creator = Some(parse::choice(ctx, key.span(), "creator", v)?);
            Ok(())
        },
    },
    Key {
        name: "prompt",
        values: "any string",
        default: "the project folder's name",
        parse: |ctx, key, v, layer| {
            layer.prompt = Some(parse::string(ctx, key, "prompt", "must be a string", v)?.to_string());
            Ok(())
        },
    },
    Key {
        name: "gitignore",
        values: "`true`, `false`",
        default: "`true`",
        parse: |ctx, key, v, layer| {
            layer.gitignore = Some(parse::boolean(ctx, key, "gitignore", v)?);
            Ok(())
        },
    },
    Key {
        name: "env_store",
        values: "`\"project\"` (the env in the project), `\"cache\"` (under `$XDG_CACHE_HOME/autovenv/envs/`, nothing written in the project)",
        default: "`\"project\"`",
        parse: |ctx, key, v, layer| {
            layer.env_store = Some(parse::choice(ctx, key.span(), "env_store", v)?);
            Ok(())
        },
    },
    // Where dependencies come from (sync::source).
    Key {
        name: "sources",
        values: "the dependency sources to consider, in order: `\"uv.lock\"`, `\"poetry.lock\"`, `\"requirements\"`, `\"Pipfile.lock\"`, `\"pyproject.toml\"`, `\"setup.py\"`",
        default: "all, in the order of the table above",
        parse: |ctx, key, v, layer| {
            let names: Vec<&str> = crate::sync::source::ORDER.iter().map(|r| r.name).collect();
            layer.sources = Some(parse::names(ctx, key, "sources", v, Some(&names))?);
            Ok(())
        },
    },
    Key {
        name: "groups",
        values: "dependency groups to install: PEP 735 `[dependency-groups]` of pyproject.toml (and of uv.lock, poetry's groups of poetry.lock), `\"develop\"` (or another category) of Pipfile.lock",
        default: "pyproject.toml's `dev` group if it has one; uv's and poetry's own defaults; none of Pipfile.lock",
        parse: |ctx, key, v, layer| {
            layer.groups = Some(parse::names(ctx, key, "groups", v, None)?);
            Ok(())
        },
    },
    Key {
        name: "extras",
        values: "extras (`[project.optional-dependencies]`) of pyproject.toml (uv.lock, poetry.lock) to install",
        default: "`[]`",
        parse: |ctx, key, v, layer| {
            layer.extras = Some(parse::names(ctx, key, "extras", v, None)?);
            Ok(())
        },
    },
];

/// The table `trust.prefixes` lives in.
pub(super) const TRUST_TABLE: &str = "trust";

/// `[trust] prefixes = [...]`: global config only, and a table rather than
/// a value, so it is not among `KEYS`.
pub(super) const TRUST_PREFIXES: Key = Key {
    name: "trust.prefixes",
    values: "global config only: absolute paths or `~/…`",
    default: "`[]`",
    parse: |ctx, key, v, layer| parse::trust(ctx, key, v, layer),
};

/// `[trust] worktrees = true`: a git worktree of an allowed repository is
/// trusted too. Global config only, read with `trust.prefixes` (one table).
pub(super) const TRUST_WORKTREES: Key = Key {
    name: "trust.worktrees",
    values: "global config only: `true` trusts a git worktree of an allowed repository",
    default: "`false`",
    parse: |ctx, key, v, layer| parse::trust(ctx, key, v, layer),
};

/// Where a project's env lives when `env_dir` names no folder outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum EnvStore {
    #[default]
    Project,
    Cache,
}

impl Choice for EnvStore {
    const ALL: &'static [Self] = &[EnvStore::Project, EnvStore::Cache];
    fn as_str(self) -> &'static str {
        match self {
            EnvStore::Project => "project",
            EnvStore::Cache => "cache",
        }
    }
}

/// A key whose value is one of a few names.
pub(super) trait Choice: Copy + 'static {
    /// In the order errors list them.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum SyncMode {
    #[default]
    Install,
    Exact,
    Off,
}

impl SyncMode {
    /// The name the config uses, also recorded in the sync state.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SyncMode::Install => "install",
            SyncMode::Exact => "exact",
            SyncMode::Off => "off",
        }
    }
}

impl Choice for SyncMode {
    const ALL: &'static [Self] = &[SyncMode::Install, SyncMode::Exact, SyncMode::Off];
    fn as_str(self) -> &'static str {
        SyncMode::as_str(self)
    }
}

impl fmt::Display for SyncMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Creator {
    #[default]
    Auto,
    Uv,
    Venv,
    Virtualenv,
}

impl Creator {
    /// The name the config uses.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Creator::Auto => "auto",
            Creator::Uv => "uv",
            Creator::Venv => "venv",
            Creator::Virtualenv => "virtualenv",
        }
    }
}

impl Choice for Creator {
    const ALL: &'static [Self] = &[Creator::Auto, Creator::Uv, Creator::Venv, Creator::Virtualenv];
    fn as_str(self) -> &'static str {
        Creator::as_str(self)
    }
}

impl fmt::Display for Creator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse::parse_layer;
    use super::super::toml_doc::parse_toml;
    use super::super::{resolve, Layer};
    use super::*;

    fn declared() -> impl Iterator<Item = &'static Key> {
        KEYS.iter().chain([&TRUST_PREFIXES, &TRUST_WORKTREES])
    }

    /// The table under `| key | values | default |` in README.md, row by row.
    fn readme_table() -> Vec<[String; 3]> {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        readme
            .lines()
            .skip_while(|l| l.trim() != "| key | values | default |")
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<String> = l.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
                assert_eq!(cells.len(), 3, "a README config table row has three cells: {l}");
                [cells[0].clone(), cells[1].clone(), cells[2].clone()]
            })
            .collect()
    }

    #[test]
    fn readme_table_is_the_declared_keys() {
        let want: Vec<[String; 3]> =
            declared().map(|k| [format!("`{}`", k.name), k.values.to_string(), k.default.to_string()]).collect();
        assert_eq!(readme_table(), want, "README.md's config table and src/config/keys.rs disagree");
    }

    /// Setting a key to its documented default changes nothing.
    #[test]
    fn documented_defaults_are_what_resolve_applies() {
        let defaults = resolve(&Layer::default(), &Layer::default());
        let path = Path::new("config.toml");
        for key in KEYS {
            let Some(literal) = key.default.strip_prefix('`').and_then(|d| d.strip_suffix('`')) else {
                continue;
            };
            let text = format!("{} = {literal}\n", key.name);
            let doc = parse_toml(path, &text).unwrap();
            let layer = parse_layer(&Ctx { path, text: &text, global: false }, doc.get_ref()).unwrap();
            let mut got = resolve(&Layer::default(), &layer);
            // Naming env_dir at all turns adoption off; the value is what is compared.
            got.env_dir_configured = false;
            assert_eq!(got, defaults, "{}", key.name);
        }
        // A default that is a description is checked by hand; a new key
        // must not slip into this list unnoticed.
        let described: Vec<&str> = KEYS.iter().filter(|k| !k.default.starts_with('`')).map(|k| k.name).collect();
        assert_eq!(described, ["python", "prompt", "sources", "groups"]);
        assert_eq!((defaults.python, defaults.prompt), (None, None));
        assert_eq!((defaults.sources, defaults.groups), (None, None));
    }

    #[test]
    fn choice_values_are_listed_from_the_enums() {
        fn listed<T: Choice>() -> String {
            T::ALL.iter().map(|c| format!("`\"{}\"`", c.as_str())).collect::<Vec<_>>().join(", ")
        }
        let values = |name: &str| KEYS.iter().find(|k| k.name == name).unwrap().values;
        assert_eq!(values("sync"), listed::<SyncMode>());
        assert_eq!(values("creator"), listed::<Creator>());
        for (mode, text) in [(SyncMode::Install, "install"), (SyncMode::Exact, "exact"), (SyncMode::Off, "off")] {
            assert_eq!(mode.to_string(), text);
        }
        assert_eq!(Creator::Virtualenv.to_string(), "virtualenv");
    }
}
