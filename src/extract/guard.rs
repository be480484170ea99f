//! Bounds on reading one document: a panic inside a parser becomes an error message, and a
//! parse that runs too long is abandoned.
//!
//! The PDF and spreadsheet crates index, unwrap and recurse on what the file says, so a
//! damaged file can panic or loop; neither may reach the caller.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    TimedOut,
    Panicked(String),
}

/// Runs `f`, turning a panic into its message.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    // Unwind safety: whatever `f` borrows is only read, or thrown away with the failed page.
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

/// Runs `f` on a thread of its own and waits at most `timeout` for it. On time-out the
/// thread is left to finish by itself (a thread cannot be killed); `f` owns what it uses, so
/// nothing it holds is freed under it.
pub(crate) fn run_bounded<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Stopped> {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("foi-extract".into())
        .spawn(move || {
            let outcome = catch(f);
            // The receiver is gone when the caller stopped waiting; nobody needs the result.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(Stopped::Panicked(format!(
            "could not start a reader thread: {e}"
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(Stopped::Panicked(message)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Stopped::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Stopped::Panicked(
            "the reader thread stopped without a result".into(),
        )),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_panic_becomes_its_message() {
        let r: Result<(), String> = catch(|| panic!("index out of bounds"));
        assert_eq!(r, Err("index out of bounds".to_string()));
        let n = 7;
        let r: Result<(), String> = catch(|| panic!("object {n} missing"));
        assert_eq!(r, Err("object 7 missing".to_string()));
    }

    #[test]
    fn a_slow_job_is_abandoned_at_the_timeout() {
        let start = Instant::now();
        let r = run_bounded(Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(5));
            1
        });
        assert_eq!(r, Err(Stopped::TimedOut));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_quick_job_returns_its_value_and_a_panicking_one_its_message() {
        assert_eq!(run_bounded(Duration::from_secs(5), || 42), Ok(42));
        let r: Result<(), Stopped> = run_bounded(Duration::from_secs(5), || panic!("boom"));
        assert_eq!(r, Err(Stopped::Panicked("boom".into())));
    }
}
