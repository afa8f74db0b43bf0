//! A cancelled job: SIGINT and SIGTERM on Unix; Ctrl-C and Ctrl-Break on Windows. The handlers
//! (signal-hook's) only record the signal; the run notices it within a fraction of a second, writes
//! its outputs and exits 130 / 143. Installed by the binary itself because, as PID 1 in a
//! container, it gets no default handling from the kernel.
//!
//! Windows: the C runtime turns Ctrl-C into SIGINT and Ctrl-Break (what a CI runner sends after
//! Ctrl-C when a cancelled step does not stop) into SIGBREAK, read here as a termination request.
//! Closing the console gives a process no time to finish: Windows ends it when the handler
//! returns, so that case is not caught.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::ending::Signal;

/// SIGBREAK, the C runtime's signal for Ctrl-Break (`signal.h`; not in `signal_hook::consts`).
#[cfg(windows)]
const SIGBREAK: std::ffi::c_int = 21;

/// The signals that cancel a run, and what each means.
#[cfg(unix)]
const CANCELLING: [(std::ffi::c_int, Signal); 2] =
    [(SIGINT, Signal::Interrupt), (SIGTERM, Signal::Terminate)];
#[cfg(windows)]
const CANCELLING: [(std::ffi::c_int, Signal); 3] = [
    (SIGINT, Signal::Interrupt),
    (SIGBREAK, Signal::Terminate),
    (SIGTERM, Signal::Terminate),
];

/// Which signal arrived last (its number), 0 for none. Set by the handlers, read by the run.
static RECEIVED: LazyLock<Arc<AtomicUsize>> = LazyLock::new(Arc::default);

/// Installs the handlers.
pub fn install() -> std::io::Result<()> {
    for (signal, _) in CANCELLING {
        let number = usize::try_from(signal).unwrap_or_default();
        signal_hook::flag::register_usize(signal, Arc::clone(&RECEIVED), number)?;
    }
    Ok(())
}

/// The last cancelling signal received, if any.
pub fn received() -> Option<Signal> {
    let number = RECEIVED.load(Ordering::SeqCst);
    CANCELLING
        .into_iter()
        .find(|(signal, _)| usize::try_from(*signal).ok() == Some(number))
        .map(|(_, meaning)| meaning)
}
