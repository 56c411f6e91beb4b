// TEMPORARY stub, replaced by the wt-config branch.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)] pub enum SyncMode { #[default] Install, Exact, Off }
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)] pub enum Creator { #[default] Auto, Uv, Venv, Virtualenv }
#[derive(Clone, Debug, Default, PartialEq)] pub struct Layer { pub env_dir: Option<String>, pub python: Option<String>, pub requirements: Option<Vec<String>>, pub sync: Option<SyncMode>, pub creator: Option<Creator>, pub prompt: Option<String>, pub gitignore: Option<bool>, pub trust_prefixes: Option<Vec<String>> }
#[derive(Clone, Debug, PartialEq)] pub struct Settings { pub env_dir: String, pub python: Option<String>, pub requirements: Vec<String>, pub sync: SyncMode, pub creator: Creator, pub prompt: Option<String>, pub gitignore: bool, pub env_dir_configured: bool }
pub fn load_global(_path: &Path) -> Result<Layer> { Ok(Layer::default()) }
pub fn load_project(_root: &Path) -> Result<Layer> { Ok(Layer::default()) }
pub fn project_config_files(root: &Path) -> Vec<PathBuf> { [".autovenv.toml", "pyproject.toml"].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect() }
pub fn resolve(_g: &Layer, _p: &Layer) -> Settings { Settings { env_dir: "env".into(), python: None, requirements: vec!["requirements.txt".into()], sync: SyncMode::Install, creator: Creator::Auto, prompt: None, gitignore: true, env_dir_configured: false } }
pub fn expand_prefix(p: &str, home: Option<&Path>) -> Option<PathBuf> { p.strip_prefix("~/").and_then(|r| home.map(|h| h.join(r))).or_else(|| Some(PathBuf::from(p))) }
