//! The nearest valid key to a misspelt one.

/// The valid key closest to `key`, if it is close enough to be a typo: at most
/// a third of the candidate's length in edits (so "synk" → "sync", but
/// "reqs" does not become "requirements"). Compared case-insensitively and
/// with `-` read as `_`, the usual slips.
pub(super) fn did_you_mean<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
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

    #[test]
    fn edit_distance_and_suggestions() {
        let keys: Vec<&str> = super::super::keys::KEYS.iter().map(|k| k.name).collect();
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("envdir", "env_dir"), 1);
        assert_eq!(levenshtein("same", "same"), 0);
        assert_eq!(did_you_mean("synk", &keys), Some("sync"));
        assert_eq!(did_you_mean("env-dir", &keys), Some("env_dir"));
        assert_eq!(did_you_mean("GITIGNORE", &keys), Some("gitignore"));
        assert_eq!(did_you_mean("requirement", &keys), Some("requirements"));
        assert_eq!(did_you_mean("reqs", &keys), None);
        assert_eq!(did_you_mean("x", &keys), None);
    }
}
