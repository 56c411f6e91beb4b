//! The man pages in `docs/man/` are generated from the clap definitions in
//! `cli.rs`, so `man autovenv` says what `--help` says. They are checked in
//! (packagers install them without building anything); this test fails when
//! they no longer match, and regenerates them when asked:
//!
//! ```sh
//! AUTOVENV_UPDATE_MAN=1 cargo test --bin autovenv man_pages
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// Every page, by file name: `autovenv.1` and one `autovenv-COMMAND.1` per
/// command, as `git` and `cargo` have them.
fn render() -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(Cli::command(), out.path()).unwrap();
    read_pages(out.path())
}

fn read_pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "1"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn man_pages_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    let want = render();
    if std::env::var_os("AUTOVENV_UPDATE_MAN").is_some() {
        for name in read_pages(&dir).keys() {
            fs::remove_file(dir.join(name)).unwrap();
        }
        fs::create_dir_all(&dir).unwrap();
        for (name, page) in &want {
            fs::write(dir.join(name), page).unwrap();
        }
        return;
    }
    let have = read_pages(&dir);
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&have),
        names(&want),
        "docs/man/ does not hold one page per command; regenerate: AUTOVENV_UPDATE_MAN=1 cargo test --bin autovenv man_pages"
    );
    for (name, page) in &want {
        assert!(
            have[name] == *page,
            "docs/man/{name} is out of date with src/cli.rs; regenerate: AUTOVENV_UPDATE_MAN=1 cargo test --bin autovenv man_pages"
        );
    }
}
