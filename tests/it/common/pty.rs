//! A minimal pseudo-terminal driver: spawn a process on a fresh pty, collect
//! everything it writes into one growing byte buffer, and let the caller
//! wait (with a condition variable, no polling) until a predicate over that
//! buffer holds.
//!
//! Why not rexpect's session type: it polls every 100 ms (≈ a second of dead
//! time per test with our prompt round-trips), turns each byte into a `char`
//! (mangling UTF-8), cannot set the window size, and its Drop sends SIGTERM in
//! a loop, which an interactive bash ignores. This is ~100 lines of libc.

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    eof: bool,
}

pub(crate) struct Pty {
    master: File,
    child: Child,
    shared: Arc<(Mutex<Buf>, Condvar)>,
}

fn check(ret: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if ret < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(ret)
    }
}

impl Pty {
    /// Start `cmd` as the session leader of a new pty of `cols`×`rows`, with
    /// the pty as its controlling terminal and as stdin, stdout and stderr.
    pub(crate) fn spawn(mut cmd: Command, cols: u16, rows: u16) -> io::Result<Pty> {
        // SAFETY: plain libc calls on a descriptor we own; ptsname_r writes
        // a NUL-terminated name into the buffer we pass.
        let (master, slave_name) = unsafe {
            let fd = check(libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC), "posix_openpt")?;
            let master = File::from_raw_fd(fd);
            check(libc::grantpt(fd), "grantpt")?;
            check(libc::unlockpt(fd), "unlockpt")?;
            let mut name = [0 as libc::c_char; 256];
            let r = libc::ptsname_r(fd, name.as_mut_ptr(), name.len());
            if r != 0 {
                return Err(io::Error::from_raw_os_error(r));
            }
            let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
            check(libc::ioctl(fd, libc::TIOCSWINSZ as _, &ws), "TIOCSWINSZ")?;
            (master, CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned())
        };
        let slave = OpenOptions::new().read(true).write(true).custom_flags(libc::O_NOCTTY).open(&slave_name)?;
        cmd.stdin(Stdio::from(slave.try_clone()?)).stdout(Stdio::from(slave.try_clone()?)).stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                check(libc::setsid(), "setsid")?;
                check(libc::ioctl(0, libc::TIOCSCTTY as _, 0), "TIOCSCTTY")?;
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        drop(cmd); // closes our copies of the slave side

        let shared = Arc::new((Mutex::new(Buf::default()), Condvar::new()));
        let mut reader = master.try_clone()?;
        let mut answer = master.try_clone()?;
        let sink = Arc::clone(&shared);
        thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        // A line editor that asks where the cursor is (nushell's
                        // reedline) waits for the answer a terminal would give.
                        for _ in chunk[..n].windows(4).filter(|w| w == b"\x1b[6n") {
                            let _ = answer.write_all(b"\x1b[1;1R");
                        }
                        let (lock, cv) = &*sink;
                        lock.lock().unwrap().data.extend_from_slice(&chunk[..n]);
                        cv.notify_all();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // EIO: every slave descriptor is closed (the shell exited).
                    Err(_) => break,
                }
            }
            let (lock, cv) = &*sink;
            lock.lock().unwrap().eof = true;
            cv.notify_all();
        });
        Ok(Pty { master, child, shared })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("writing to the pty");
        self.master.flush().expect("flushing the pty");
    }

    /// A copy of everything the process has written so far.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        self.shared.0.lock().unwrap().data.clone()
    }

    /// Wait until `found` returns `Some` for the bytes written so far.
    /// `Err(true)` if the process closed the pty first, `Err(false)` on timeout.
    pub(crate) fn wait_for<T>(&self, timeout: Duration, mut found: impl FnMut(&[u8]) -> Option<T>) -> Result<T, bool> {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.shared;
        let mut buf = lock.lock().unwrap();
        loop {
            if let Some(t) = found(&buf.data) {
                return Ok(t);
            }
            if buf.eof {
                return Err(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(false);
            }
            buf = cv.wait_timeout(buf, deadline - now).unwrap().0;
        }
    }

    /// Is the child still running?
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.alive() {
            // SIGHUP first, as a closing terminal would (interactive shells
            // ignore SIGTERM); then make sure.
            // SAFETY: signalling our own child by pid.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGHUP) };
            if self.wait_exit(Duration::from_millis(500)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
