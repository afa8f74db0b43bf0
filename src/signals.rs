//! SIGINT and SIGTERM: a cancelled job. The handlers only record the signal; the run notices it
//! within a fraction of a second, writes its outputs and exits 130 / 143. Installed by the binary
//! itself because, as PID 1 in a container, it gets no default handling from the kernel.

use std::sync::atomic::{AtomicI32, Ordering};

use crate::outcome::Signal;

static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int) {
    // Only an atomic store: anything more is not async-signal-safe.
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// Installs the SIGINT and SIGTERM handlers.
pub fn install() -> std::io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `sigaction` is given a zeroed (valid) struct whose handler is an `extern "C"`
        // function that only stores to an atomic; `sa_mask` is initialised by `sigemptyset`.
        let result = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The last signal received, if any.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(Ordering::SeqCst) {
        libc::SIGINT => Some(Signal::Interrupt),
        libc::SIGTERM => Some(Signal::Terminate),
        _ => None,
    }
}
