//! Ctrl-C while an installer runs must stop the installer, not autovenv:
//! autovenv still has to print the activation for the shell and must not
//! record the interrupted install as done.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn note_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// While alive, SIGINT only sets a flag here. A handler (not SIG_IGN) is
/// used on purpose: handlers reset to the default on exec, so the child
/// installer still dies on Ctrl-C, while an ignored signal would be inherited.
pub(crate) struct DeferInterrupt {
    old: libc::sighandler_t,
}

impl DeferInterrupt {
    pub(crate) fn new() -> Self {
        let handler = note_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installing a handler that only touches an atomic.
        let old = unsafe { libc::signal(libc::SIGINT, handler) };
        DeferInterrupt { old }
    }
}

impl Drop for DeferInterrupt {
    fn drop(&mut self) {
        // SAFETY: restoring the disposition saved in `new`.
        unsafe { libc::signal(libc::SIGINT, self.old) };
    }
}

pub(crate) fn was_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
