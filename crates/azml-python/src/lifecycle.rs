//! When runtime threads may touch Python.
//!
//! A tokio worker that attaches to the interpreter while it finalizes can crash it (the
//! failure mode of pyo3-async-runtimes' issue #40). Every place where a runtime thread
//! attaches goes through [`with_python`], which refuses once [`shutdown`] (run from `atexit`)
//! has closed the gate; `shutdown` first lets the work in flight finish, then waits for the
//! threads already attached to leave. After that, no runtime thread ever touches Python.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use pyo3::Python;

#[derive(Default)]
struct State {
    /// `atexit` ran: no more attaching.
    closed: bool,
    /// The thread that ran `shutdown` (the one finalizing the interpreter).
    exiting: Option<ThreadId>,
    /// Threads attached through [`with_python`], or about to re-attach after a blocking
    /// call ([`before_reattach`]).
    attached: usize,
    /// Async calls whose result is not yet delivered (or dropped).
    in_flight: usize,
}

struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

static GATE: Gate = Gate {
    state: Mutex::new(State {
        closed: false,
        exiting: None,
        attached: 0,
        in_flight: 0,
    }),
    changed: Condvar::new(),
};

thread_local! {
    /// How many [`with_python`] calls this thread is inside (a Python callback may block on
    /// another azml call, which may park in [`park_if_exiting`]).
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn lock() -> MutexGuard<'static, State> {
    GATE.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` attached to Python, unless the interpreter is shutting down (then `None`).
/// For runtime threads only: a Python thread is attached already and needs no gate.
pub fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    {
        let mut s = lock();
        if s.closed {
            return None;
        }
        s.attached += 1;
    }
    DEPTH.with(|d| d.set(d.get() + 1));
    // Decrement even if `f` panics, or `shutdown` would wait for nothing.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
            let mut s = lock();
            s.attached -= 1;
            GATE.changed.notify_all();
        }
    }
    let _leave = Leave;
    Python::try_attach(f)
}

/// Counts one async call as in flight for as long as it lives (dropped when the task ends or
/// is aborted).
pub struct InFlight(());

impl InFlight {
    pub fn new() -> Self {
        lock().in_flight += 1;
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        GATE.changed.notify_all();
    }
}

fn wait_until(deadline: Instant, mut done: impl FnMut(&State) -> bool) {
    let mut s = lock();
    while !done(&s) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        s = GATE
            .changed
            .wait_timeout(s, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

/// Let in-flight async calls finish (at most `timeout`), then close the gate and wait for
/// the threads still attached to leave. The caller must have released the GIL, since those
/// threads may be waiting for it.
pub fn shutdown(timeout: Duration) {
    let deadline = Instant::now() + timeout;
    wait_until(deadline, |s| s.in_flight == 0);
    {
        let mut s = lock();
        s.closed = true;
        s.exiting = Some(std::thread::current().id());
    }
    // Attached threads need the GIL only briefly (deliver a result, call `get_token`); give
    // them a little more than the deadline so a slow credential cannot make us crash.
    wait_until(
        deadline.max(Instant::now() + Duration::from_millis(500)),
        |s| s.attached == 0,
    );
}

/// A Python thread that released the GIL (a blocking call) and is about to take it again.
/// Once the interpreter is exiting, any thread but the exiting one is a daemon thread, and
/// on CPython < 3.14 a thread that waits for the GIL when finalization starts is ended with
/// `pthread_exit`, whose forced unwind through Rust frames aborts the process. So:
/// - after `shutdown` closed the gate, such a thread parks forever instead (what CPython
///   3.14 does itself; the process is about to end);
/// - before, it is counted until it holds the GIL again (drop the returned guard once
///   attached), and `shutdown` waits for it, so it cannot be left waiting for the GIL.
pub fn before_reattach() -> Reattaching {
    let must_park = {
        let mut s = lock();
        let park = s.closed && s.exiting != Some(std::thread::current().id());
        if park {
            // This thread will never leave its `with_python` sections: stop counting them,
            // or `shutdown` would wait for it.
            s.attached -= DEPTH.with(|d| d.replace(0));
            GATE.changed.notify_all();
        } else {
            s.attached += 1;
        }
        park
    };
    if must_park {
        loop {
            std::thread::park();
        }
    }
    Reattaching(())
}

/// See [`before_reattach`]; drop once attached again.
pub struct Reattaching(());

impl Drop for Reattaching {
    fn drop(&mut self) {
        let mut s = lock();
        s.attached -= 1;
        GATE.changed.notify_all();
    }
}

/// Number of async calls in flight (for tests).
pub fn in_flight() -> usize {
    lock().in_flight
}

thread_local! {
    /// The gate's lock, held by the forking thread across `fork` so that no other thread
    /// holds it at that instant (the child would inherit it locked forever).
    static HELD_FOR_FORK: std::cell::RefCell<Option<MutexGuard<'static, State>>> =
        const { std::cell::RefCell::new(None) };
}

/// Before `fork` (the GIL is held; no thread waits for the GIL while holding this lock).
pub fn before_fork() {
    let guard = lock();
    HELD_FOR_FORK.with(|h| *h.borrow_mut() = Some(guard));
}

/// After `fork`, in the parent: release the lock.
pub fn after_fork_in_parent() {
    HELD_FOR_FORK.with(|h| h.borrow_mut().take());
}

/// After `fork`, in the child: the parent's tasks and attached threads do not exist here.
pub fn after_fork_in_child() {
    let guard = HELD_FOR_FORK.with(|h| h.borrow_mut().take());
    let mut s = guard.unwrap_or_else(lock);
    *s = State::default();
}
