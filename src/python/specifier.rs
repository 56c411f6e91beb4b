//! Version specifiers: the PEP 440 subset requires-python uses in practice
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
        use std::cmp::Ordering::*;
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
        use std::cmp::Ordering::*;
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
