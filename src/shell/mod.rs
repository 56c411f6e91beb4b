// TEMPORARY stub, replaced by the wt-shell branch.
#![allow(dead_code)]
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell { Bash, Zsh, Fish }
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change { SetEnv(&'static str, OsString), UnsetEnv(&'static str), SetLocal(&'static str, OsString), SetLocalList(&'static str, Vec<OsString>) }
fn q(v: &[u8]) -> Vec<u8> { let mut o = b"'".to_vec(); for &b in v { if b == b'\'' { o.extend_from_slice(b"'\\''") } else { o.push(b) } } o.push(b'\''); o }
fn fq(v: &[u8]) -> Vec<u8> { let mut o = b"'".to_vec(); for &b in v { if b == b'\'' || b == b'\\' { o.push(b'\\') } o.push(b) } o.push(b'\''); o }
pub fn render(shell: Shell, changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in changes { match (shell, c) {
        (Shell::Fish, Change::SetEnv(k, v)) if *k == "PATH" => { out.extend(format!("set -gx {k}").bytes()); for p in v.as_bytes().split(|&b| b == b':') { out.push(b' '); out.extend(fq(p)); } out.push(b'\n'); }
        (Shell::Fish, Change::SetEnv(k, v)) => { out.extend(format!("set -gx {k} ").bytes()); out.extend(fq(v.as_bytes())); out.push(b'\n'); }
        (Shell::Fish, Change::UnsetEnv(k)) => { out.extend(format!("set -e -g {k}\n").bytes()); }
        (Shell::Fish, Change::SetLocal(k, v)) => { out.extend(format!("set -g {k} ").bytes()); out.extend(fq(v.as_bytes())); out.push(b'\n'); }
        (Shell::Fish, Change::SetLocalList(k, vs)) => { out.extend(format!("set -g {k}").bytes()); for v in vs { out.push(b' '); out.extend(fq(v.as_bytes())); } out.push(b'\n'); }
        (_, Change::SetEnv(k, v)) => { out.extend(format!("export {k}=").bytes()); out.extend(q(v.as_bytes())); out.push(b'\n'); }
        (_, Change::UnsetEnv(k)) => { out.extend(format!("unset {k}\n").bytes()); }
        (_, Change::SetLocal(k, v)) => { out.extend(format!("{k}=").bytes()); out.extend(q(v.as_bytes())); out.push(b'\n'); }
        (_, Change::SetLocalList(k, vs)) => { out.extend(format!("{k}=(").bytes()); for v in vs { out.push(b' '); out.extend(q(v.as_bytes())); } out.extend(b" )\n"); }
    } }
    out
}
pub fn render_json(_changes: &[Change]) -> String { String::new() }
pub fn quote(shell: Shell, v: &[u8]) -> Vec<u8> { match shell { Shell::Fish => fq(v), _ => q(v) } }
