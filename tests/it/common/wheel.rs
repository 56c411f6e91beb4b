//! Real, installable wheels built in-process, so tests never need an index.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The name as it appears in file names and the import package:
/// `my-pkg` → `my_pkg` (PEP 427 escaping, lowercased).
pub(crate) fn normalize(name: &str) -> String {
    name.chars().map(|c| if c == '-' || c == '.' { '_' } else { c.to_ascii_lowercase() }).collect()
}

/// Write `{dir}/{name}-{version}-py3-none-any.whl`: a pure-Python wheel whose
/// package `{name}` has `VERSION = "{version}"`, requiring each of `deps`
/// (any PEP 508 string, e.g. `"other>=1"`). Returns the wheel's path.
pub(crate) fn build_wheel(dir: &Path, name: &str, version: &str, deps: &[&str]) -> PathBuf {
    build_wheel_with(dir, name, version, deps, &[])
}

/// `build_wheel` with `extra` files (path in the wheel, content) beside the
/// package, for example a top-level `.pth` file, which Python runs at every
/// start of an env it is installed in.
pub(crate) fn build_wheel_with(
    dir: &Path,
    name: &str,
    version: &str,
    deps: &[&str],
    extra: &[(&str, &str)],
) -> PathBuf {
    let norm = normalize(name);
    let dist_info = format!("{norm}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for d in deps {
        metadata.push_str(&format!("Requires-Dist: {d}\n"));
    }
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (format!("{norm}/__init__.py"), format!("VERSION = \"{version}\"\n").into_bytes()),
        (format!("{dist_info}/METADATA"), metadata.into_bytes()),
        (
            format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: autovenv-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ),
    ];
    files.extend(extra.iter().map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())));
    let mut record = String::new();
    for (path, data) in &files {
        let digest = urlsafe_b64_nopad(&Sha256::digest(data));
        record.push_str(&format!("{path},sha256={digest},{}\n", data.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));

    fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{norm}-{version}-py3-none-any.whl"));
    let mut zip = ZipWriter::new(fs::File::create(&path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in files.iter().chain(std::iter::once(&(format!("{dist_info}/RECORD"), record.into_bytes()))) {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// RFC 4648 §5 base64 without padding, as wheel RECORD files use.
pub(crate) fn urlsafe_b64_nopad(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
