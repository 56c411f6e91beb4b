//! A requirements file read the way pip reads it (`pip/_internal/req/req_file.py`),
//! so that what autovenv watches is what the installer will take:
//! lines ending in `\` are joined, a `#` at the start of a line or after
//! whitespace (a tab too) starts a comment, `${VAR}` is replaced by the
//! variable's value when it is set and not empty, and the options are read
//! like optparse does (`-rfile`, `--requirement=file`, unique abbreviations
//! such as `--requ`, quoting as in a POSIX shell).

/// What one logical line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Item {
    /// `-r`/`-c`: another file, or URL, as written (after `${VAR}`).
    Include { target: String, constraint: bool },
    /// `-e TARGET`.
    Editable(String),
    /// A requirement: a name with a specifier, a path, a URL.
    Requirement(String),
    /// Only options (`--index-url`, `--hash`, …), or an option pip rejects.
    Options,
}

/// (first physical line number, item) for every line that is not empty.
pub(super) fn items(text: &str, var: &dyn Fn(&str) -> Option<String>) -> Vec<(usize, Item)> {
    logical_lines(text)
        .into_iter()
        .filter_map(|(n, line)| {
            let line = strip_comment(&line).trim().to_string();
            (!line.is_empty()).then(|| (n, item(&expand_vars(&line, var))))
        })
        .collect()
}

/// pip's `join_lines`: a line ending in `\` continues on the next (all
/// backslashes at either end of it are dropped, as `str.strip("\\")` does),
/// except a comment line, which ends the joined line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut joined: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let comment = line.trim_start().starts_with('#');
        if !line.ends_with('\\') || comment {
            let line = if comment { format!(" {line}") } else { line.to_string() };
            match joined.take() {
                Some((n, mut acc)) => {
                    acc.push_str(&line);
                    out.push((n, acc));
                }
                None => out.push((i + 1, line)),
            }
        } else {
            joined.get_or_insert_with(|| (i + 1, String::new())).1.push_str(line.trim_matches('\\'));
        }
    }
    out.extend(joined);
    out
}

/// `(^|\s+)#.*$` removed: the first `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// `${NAME}` with NAME of `A-Z`, `0-9`, `_`, replaced when set and not empty.
fn expand_vars(line: &str, var: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let end = after.find('}');
        let name = end.map(|e| &after[..e]);
        if let Some(n) = name
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
        {
            match var(n).filter(|v| !v.is_empty()) {
                Some(v) => {
                    out.push_str(&rest[..at]);
                    out.push_str(&v);
                }
                None => out.push_str(&rest[..at + 3 + n.len()]),
            }
        } else {
            out.push_str(&rest[..at + 2]);
            rest = after;
            continue;
        }
        rest = &after[name.map_or(0, str::len) + 1..];
    }
    out.push_str(rest);
    out
}

/// pip's `break_args_options` and `ParsedLine`: the words before the first
/// one starting with `-` are a requirement; else the first `-e`; else the
/// first `-r`, else the first `-c` (one include per line, as in pip).
fn item(line: &str) -> Item {
    let tokens: Vec<&str> = line.split(' ').collect();
    let args = tokens.iter().take_while(|t| !t.starts_with('-')).count();
    if args > 0 {
        return Item::Requirement(tokens[..args].join(" "));
    }
    let Some(words) = shlex(&tokens.join(" ")) else {
        return Item::Options;
    };
    let (mut reqs, mut cons, mut edits) = (Vec::new(), Vec::new(), Vec::new());
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let (dest, value) = if let Some(long) = w.strip_prefix("--") {
            if long.is_empty() {
                break; // "--": the rest are arguments
            }
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(&(full, takes)) = abbrev(name) else {
                return Item::Options; // unknown or ambiguous: pip refuses the line
            };
            let value = if takes { inline.or_else(|| words.next()) } else { None };
            if takes && value.is_none() {
                return Item::Options;
            }
            (full, value)
        } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            let (flag, rest) = short.split_at(short.chars().next().map_or(0, char::len_utf8));
            let dest = match flag {
                "r" => "requirement",
                "c" => "constraint",
                "e" => "editable",
                "i" | "f" => "index-url",
                _ => return Item::Options,
            };
            let value = if rest.is_empty() { words.next() } else { Some(rest.to_string()) };
            if value.is_none() {
                return Item::Options;
            }
            (dest, value)
        } else {
            continue; // a stray argument: optparse keeps going
        };
        match (dest, value) {
            ("requirement", Some(v)) => reqs.push(v),
            ("constraint", Some(v)) => cons.push(v),
            ("editable", Some(v)) => edits.push(v),
            _ => {}
        }
    }
    if let Some(e) = edits.into_iter().next() {
        return Item::Editable(e);
    }
    match (reqs.into_iter().next(), cons.into_iter().next()) {
        (Some(r), _) => Item::Include { target: r, constraint: false },
        (None, Some(c)) => Item::Include { target: c, constraint: true },
        _ => Item::Options,
    }
}

/// The long options pip accepts in a requirements file, and whether each
/// takes a value.
const LONG: &[(&str, bool)] = &[
    ("index-url", true),
    ("pypi-url", true),
    ("extra-index-url", true),
    ("no-index", false),
    ("constraint", true),
    ("requirement", true),
    ("editable", true),
    ("find-links", true),
    ("no-binary", true),
    ("only-binary", true),
    ("prefer-binary", false),
    ("require-hashes", false),
    ("pre", false),
    ("trusted-host", true),
    ("use-feature", true),
    ("global-option", true),
    ("hash", true),
    ("config-settings", true),
];

/// optparse's rule: an exact name, or a prefix of exactly one.
fn abbrev(name: &str) -> Option<&'static (&'static str, bool)> {
    if let Some(exact) = LONG.iter().find(|(n, _)| *n == name) {
        return Some(exact);
    }
    let mut hits = LONG.iter().filter(|(n, _)| n.starts_with(name));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// `shlex.split` (POSIX mode, no comments): quotes and backslashes.
/// `None` for an unterminated quote, which pip refuses too.
fn shlex(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => out.extend(cur.take()),
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('\\' | '"' | '$' | '`' | '\n') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => cur.get_or_insert_with(String::new).push(chars.next()?),
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(cur);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(usize, Item)> {
        items(text, &|n| (n == "HOME_REQS").then(|| "/srv/reqs".to_string()))
    }
    fn inc(t: &str) -> Item {
        Item::Include { target: t.into(), constraint: false }
    }

    #[test]
    fn comments_follow_pip() {
        assert_eq!(parse("-r base.txt\t# pinned\n"), [(1, inc("base.txt"))]);
        assert_eq!(parse("-r base.txt # pinned\n"), [(1, inc("base.txt"))]);
        assert_eq!(parse("-r base#1.txt\n"), [(1, inc("base#1.txt"))]);
        assert_eq!(parse("# -r a.txt\n   # x\n\n"), []);
        assert_eq!(parse("six==1.16#egg\n"), [(1, Item::Requirement("six==1.16#egg".into()))]);
    }

    #[test]
    fn continuations_follow_pip() {
        assert_eq!(parse("-r \\\nbase.txt\nsix\n"), [(1, inc("base.txt")), (3, Item::Requirement("six".into()))]);
        // A comment line ends the continued line (and is dropped).
        assert_eq!(parse("-r a.txt \\\n# note \\\nsix\n"), [(1, inc("a.txt")), (3, Item::Requirement("six".into()))]);
        // A continuation at the end of the file.
        assert_eq!(parse("-c \\\npins.txt\\"), [(1, Item::Include { target: "pins.txt".into(), constraint: true })]);
    }

    #[test]
    fn option_forms_follow_optparse() {
        assert_eq!(parse("-rbase.txt"), [(1, inc("base.txt"))]);
        assert_eq!(parse("--requirement=base.txt"), [(1, inc("base.txt"))]);
        assert_eq!(parse("--requirem base.txt"), [(1, inc("base.txt"))]);
        assert_eq!(parse("--requ base.txt"), [(1, Item::Options)], "ambiguous: --requirement, --require-hashes");
        assert_eq!(parse("--requirement 'my reqs.txt'"), [(1, inc("my reqs.txt"))]);
        assert_eq!(parse("--con pins.txt"), [(1, Item::Options)], "ambiguous: --constraint, --config-settings");
        assert_eq!(parse("--requirementsx a.txt"), [(1, Item::Options)]);
        assert_eq!(parse("-e . -r a.txt"), [(1, Item::Editable(".".into()))]);
        assert_eq!(parse("-r a.txt -r b.txt"), [(1, inc("a.txt"))], "pip follows the first only");
        assert_eq!(parse("six -r a.txt"), [(1, Item::Requirement("six".into()))]);
        assert_eq!(
            parse("--index-url https://x -c c.txt"),
            [(1, Item::Include { target: "c.txt".into(), constraint: true })]
        );
    }

    #[test]
    fn env_vars_follow_pip() {
        assert_eq!(parse("-r ${HOME_REQS}/a.txt"), [(1, inc("/srv/reqs/a.txt"))]);
        assert_eq!(parse("-r ${UNSET}/a.txt"), [(1, inc("${UNSET}/a.txt"))]);
        assert_eq!(parse("-r $HOME_REQS/a.txt"), [(1, inc("$HOME_REQS/a.txt"))]);
        assert_eq!(parse("-r ${home_reqs}/a.txt"), [(1, inc("${home_reqs}/a.txt"))]);
        assert_eq!(parse("-r ${/a.txt"), [(1, inc("${/a.txt"))]);
    }
}
