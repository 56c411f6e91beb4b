//! Version numbers and specifiers: the PEP 440 subset requires-python uses in practice
//! (release numbers only; no pre-releases, epochs, local versions or `===`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Compatible,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Clause {
    op: Op,
    version: Vec<u64>,
    /// `==3.12.*` / `!=3.12.*`
    wildcard: bool,
}

/// Comma-separated clauses; an empty string is the empty set, which allows
/// every version (as in PEP 440).
pub(super) fn parse_specifiers(s: &str) -> Result<Vec<Clause>, String> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(|c| parse_clause(c.trim())).collect()
}

pub(super) fn parse_clause(c: &str) -> Result<Clause, String> {
    if c.is_empty() {
        return Err("empty clause between commas".into());
    }
    if c.starts_with("===") {
        return Err(format!("'{c}': arbitrary equality (===) is not supported"));
    }
    // Two-character operators first, so ">=" is not read as ">".
    const OPS: &[(&str, Op)] = &[
        ("~=", Op::Compatible),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let Some((op_text, op, rest)) = OPS.iter().find_map(|(t, op)| c.strip_prefix(t).map(|r| (*t, *op, r.trim())))
    else {
        return Err(format!("'{c}' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"));
    };
    let (number, wildcard) = match rest.strip_suffix(".*") {
        Some(n) => (n, true),
        None => (rest, false),
    };
    if wildcard && !matches!(op, Op::Eq | Op::Ne) {
        return Err(format!("'{c}': .* only goes with == and !="));
    }
    let version: Option<Vec<u64>> =
        number.split('.').map(|p| if p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None }).collect();
    let Some(version) = version.filter(|v| !v.is_empty()) else {
        return Err(format!("'{rest}' after {op_text} is not a version like 3.10 (pre-releases are not supported)"));
    };
    if op == Op::Compatible && version.len() < 2 {
        return Err(format!("'{c}': ~= needs at least two numbers, like ~=3.10"));
    }
    Ok(Clause { op, version, wildcard })
}

/// Compare release numbers, the shorter padded with `pad` (0 for real
/// versions; u64::MAX for the top of a partly known one).
pub(super) fn cmp_padded(a: &[u64], b: &[u64], pad_a: u64, pad_b: u64) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).copied().unwrap_or(pad_a).cmp(&b.get(i).copied().unwrap_or(pad_b)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The first `prefix.len()` numbers of `v` (zero-padded) equal `prefix`.
pub(super) fn has_prefix(v: &[u64], prefix: &[u64]) -> bool {
    prefix.iter().enumerate().all(|(i, p)| v.get(i).copied().unwrap_or(0) == *p)
}

impl Clause {
    pub(super) fn matches(&self, v: &[u64]) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let ord = cmp_padded(v, &self.version, 0, 0);
        match (self.op, self.wildcard) {
            (Op::Eq, true) => has_prefix(v, &self.version),
            (Op::Ne, true) => !has_prefix(v, &self.version),
            (Op::Eq, false) => ord == Equal,
            (Op::Ne, false) => ord != Equal,
            (Op::Ge, _) => ord != Less,
            (Op::Gt, _) => ord == Greater,
            (Op::Le, _) => ord != Greater,
            (Op::Lt, _) => ord == Less,
            // ~=3.10.2 means >=3.10.2, ==3.10.*
            (Op::Compatible, _) => ord != Less && has_prefix(v, &self.version[..self.version.len() - 1]),
        }
    }

    /// Could some version starting with `known` (e.g. [3, 12] from a file
    /// named python3.12) match? Decides which candidates are worth running;
    /// the run decides. Exact for every operator but `!=`, which never rules
    /// out a whole range.
    pub(super) fn may_match(&self, known: &[u64]) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        let common = known.len().min(self.version.len());
        let same_start = known[..common] == self.version[..common];
        let low = cmp_padded(known, &self.version, 0, 0); // known.0.0 vs V
        let high = cmp_padded(known, &self.version, u64::MAX, 0); // known.∞.∞ vs V
        match (self.op, self.wildcard) {
            (Op::Eq, true) => same_start,
            (Op::Eq, false) => low != Greater && high != Less,
            (Op::Ne, _) => true,
            (Op::Ge, _) => high != Less,
            (Op::Gt, _) => high == Greater,
            (Op::Le, _) => low != Greater,
            (Op::Lt, _) => low == Less,
            (Op::Compatible, _) => {
                let stem = &self.version[..self.version.len() - 1];
                let c = known.len().min(stem.len());
                high != Less && known[..c] == stem[..c]
            }
        }
    }
}

/// "3", "3.12", "3.12.1".
pub(super) fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// "3.12.1" → [3, 12, 1]; "3.13t" → [3, 13]; "3.12-dev" → [3, 12]; "pypy3.10" → [].
pub(super) fn leading_version(name: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in name.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifier_table() {
        let v = |s: &str| leading_version(s);
        let cases: &[(&str, &str, bool)] = &[
            (">=3.10", "3.10.0", true),
            (">=3.10", "3.9.18", false),
            (">3.10", "3.10.0", false),
            (">3.10", "3.10.1", true),
            ("<=3.12", "3.12.0", true),
            ("<=3.12", "3.12.1", false),
            ("<3.13", "3.12.9", true),
            ("<3.13", "3.13.0", false),
            ("==3.12", "3.12.0", true),
            ("==3.12", "3.12.1", false),
            ("==3.12.*", "3.12.7", true),
            ("==3.12.*", "3.13.0", false),
            ("!=3.12.*", "3.12.7", false),
            ("!=3.12.*", "3.11.7", true),
            ("!=3.11.7", "3.11.7", false),
            ("!=3.11.7", "3.11.8", true),
            ("~=3.10", "3.13.0", true),
            ("~=3.10", "4.0.0", false),
            ("~=3.10", "3.9.0", false),
            ("~=3.10.2", "3.10.5", true),
            ("~=3.10.2", "3.11.0", false),
            ("~=3.10.2", "3.10.1", false),
            (">=3.8, <3.12, !=3.9.*", "3.9.1", false),
            (">=3.8, <3.12, !=3.9.*", "3.10.1", true),
            (">=3.8,<3.12", "3.12.0", false),
            (" >= 3.10 ", "3.11.0", true),
            ("", "2.7.18", true),
        ];
        for (spec, version, want) in cases {
            let clauses = parse_specifiers(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let got = clauses.iter().all(|c| c.matches(&v(version)));
            assert_eq!(got, *want, "{spec} vs {version}");
        }
    }

    #[test]
    fn specifier_parse_errors() {
        let cases: &[(&str, &str)] = &[
            ("=>3.10", "'=>3.10' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"),
            ("3.10", "'3.10' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"),
            (">=3.10,", "empty clause between commas"),
            (">=3.*", "'>=3.*': .* only goes with == and !="),
            ("~=3", "'~=3': ~= needs at least two numbers, like ~=3.10"),
            (">=3.10rc1", "'3.10rc1' after >= is not a version like 3.10 (pre-releases are not supported)"),
            (">=", "'' after >= is not a version like 3.10 (pre-releases are not supported)"),
            ("===3.10", "'===3.10': arbitrary equality (===) is not supported"),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_specifiers(spec).unwrap_err(), *want, "{spec}");
        }
    }

    #[test]
    fn may_match_prunes_only_impossible_ranges() {
        let may = |spec: &str, known: &[u64]| parse_specifiers(spec).unwrap().iter().all(|c| c.may_match(known));
        assert!(may(">=3.10", &[3]));
        assert!(may(">=3.10", &[3, 10]));
        assert!(!may(">=3.10", &[3, 9]));
        assert!(!may(">3.10", &[3, 9]));
        assert!(may(">3.10.2", &[3, 10]));
        assert!(may("<3.10.5", &[3, 10]));
        assert!(!may("<3.10", &[3, 10]));
        assert!(may("<=3.10", &[3, 10]));
        assert!(may("==3.12.1", &[3, 12]));
        assert!(!may("==3.12.1", &[3, 11]));
        assert!(!may("==3.12.1", &[3, 12, 2]));
        assert!(may("==3.12.*", &[3]));
        assert!(!may("==3.12.*", &[3, 11, 9]));
        assert!(may("!=3.12.*", &[3, 12]));
        assert!(may("~=3.10", &[3, 12]));
        assert!(!may("~=3.10.2", &[3, 11]));
        assert!(may(">3.10.2,<3.10.5", &[3, 10]));
        assert!(may("", &[]));
    }

    #[test]
    fn leading_versions_and_version_strings() {
        assert_eq!(leading_version("3.12.1"), vec![3, 12, 1]);
        assert_eq!(leading_version("3.13t"), vec![3, 13]);
        assert_eq!(leading_version("3.12-dev"), vec![3, 12]);
        assert_eq!(leading_version("pypy3.10-7.3.15"), Vec::<u64>::new());
        assert!(is_version("3") && is_version("3.12") && is_version("3.12.1"));
        assert!(!is_version("3.12.1.1") && !is_version("3.") && !is_version("3.x") && !is_version(""));
    }
}
