//! The one tokio runtime the client side runs on (shared by `Client`, `AsyncClient` and the
//! blocking calls). A tokio runtime does not survive `fork`, so it is keyed by process id and
//! re-created in a child.

use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The shared runtime, created on first use (and again after a fork).
pub fn shared() -> Arc<Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, rt)) = slot.as_ref() {
        if *owner == pid {
            return rt.clone();
        }
        // Inherited from the parent through fork: its worker threads do not exist here.
        // Leak it rather than drop it, since dropping would try to join threads that are gone.
        if let Some((_, old)) = slot.take() {
            std::mem::forget(old);
        }
    }
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("azml-worker")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime"),
    );
    *slot = Some((pid, rt.clone()));
    rt
}
