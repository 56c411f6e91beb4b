//! `autovenv remove PKG…`.

use crate::context::Context;
use crate::error::{Error, Result};

pub(crate) fn run(_ctx: &Context, _packages: &[String]) -> Result<Vec<u8>> {
    Err(Error::new("not yet"))
}
