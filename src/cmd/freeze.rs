//! `autovenv freeze [FILE]`.

use std::path::Path;

use crate::context::Context;
use crate::error::{Error, Result};

pub(crate) fn run(_ctx: &Context, _file: Option<&Path>, _force: bool) -> Result<Vec<u8>> {
    Err(Error::new("not yet"))
}
