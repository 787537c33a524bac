//! The emulator's notion of "now": real time plus an offset that tests can move forward, so
//! that token expiry and long-running operations can be exercised without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
    /// Real time (ms) the clock stopped at, or 0 while it runs with real time.
    frozen_at_ms: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        let frozen = self.frozen_at_ms.load(Ordering::Relaxed);
        let base = if frozen != 0 { frozen } else { real_ms() };
        base + self.offset_ms.load(Ordering::Relaxed)
    }
    /// Stops the clock where it is: from then on only `advance` moves it, so that tests
    /// depend on no real time passing.
    pub(crate) fn freeze(&self) {
        let _ =
            self.frozen_at_ms
                .compare_exchange(0, real_ms(), Ordering::Relaxed, Ordering::Relaxed);
    }
    /// Whether only `advance` moves the clock (tests then wait on nothing real).
    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen_at_ms.load(Ordering::Relaxed) != 0
    }
    pub(crate) fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
    pub(crate) fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
