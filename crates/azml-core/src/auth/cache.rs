//! An in-memory token cache in front of any [`TokenCredential`]: one entry per scope set,
//! refreshed ahead of expiry, one refresh at a time per scope set.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::{Duration, OffsetDateTime};

/// Refresh when the token has less than this left.
pub const REFRESH_WINDOW: Duration = Duration::minutes(5);

/// The clock the cache reads; replaceable so tests can move time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// In a token request's context: a claims challenge, the claims (JSON, as azure-core hands
/// them over) a service asked for when it refused the token it was given. The cache then asks
/// the credential for a new token (which replaces the cached one) instead of handing out the
/// refused one again, or falling back to it when the request fails; the client-credential
/// grants send the claims to the authority (`claims=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsChallenge(pub String);

impl ClaimsChallenge {
    /// Request options that carry `claims`.
    pub fn options(claims: impl Into<String>) -> TokenRequestOptions<'static> {
        let mut options = TokenRequestOptions::default();
        options
            .method_options
            .context
            .insert(ClaimsChallenge(claims.into()));
        options
    }

    /// The claims `options` carry, if any.
    pub fn of<'a>(options: Option<&'a TokenRequestOptions<'_>>) -> Option<&'a str> {
        options
            .and_then(|o| o.method_options.context.value::<ClaimsChallenge>())
            .map(|c| c.0.as_str())
    }
}

struct Entry {
    token: AccessToken,
    refresh_at: OffsetDateTime,
}

/// One scope set: the token behind a plain lock for cheap reads, and an async lock that
/// whoever refreshes holds across the request to the authority.
#[derive(Default)]
struct SlotState {
    entry: Mutex<Option<Entry>>,
    refresh: tokio::sync::Mutex<()>,
}

type Slot = Arc<SlotState>;

impl SlotState {
    fn fresh(&self, now: OffsetDateTime) -> Option<AccessToken> {
        let entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        entry
            .as_ref()
            .filter(|e| now < e.refresh_at && now < e.token.expires_on)
            .map(|e| e.token.clone())
    }

    fn usable(&self, now: OffsetDateTime) -> Option<AccessToken> {
        let entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        entry
            .as_ref()
            .filter(|e| now < e.token.expires_on)
            .map(|e| e.token.clone())
    }

    fn store(&self, token: AccessToken, refresh_at: OffsetDateTime) {
        let mut entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        *entry = Some(Entry { token, refresh_at });
    }
}

/// Caching wrapper used by every credential azml builds.
pub struct Cached<C> {
    inner: C,
    slots: Mutex<HashMap<String, Slot>>,
    clock: Clock,
}

impl<C> Cached<C> {
    pub fn new(inner: C) -> Self {
        Self::with_clock(inner, Arc::new(OffsetDateTime::now_utc))
    }

    pub fn with_clock(inner: C, clock: Clock) -> Self {
        Cached {
            inner,
            slots: Mutex::new(HashMap::new()),
            clock,
        }
    }

    pub fn inner(&self) -> &C {
        &self.inner
    }

    fn slot(&self, scopes: &[&str]) -> Slot {
        let mut key: Vec<&str> = scopes.to_vec();
        key.sort_unstable();
        key.dedup();
        let key = key.join(" ");
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(key).or_default().clone()
    }
}

/// When to refresh a token fetched at `now`: five minutes before expiry, but never earlier
/// than half its remaining life, so that a short-lived token is not fetched on every call.
fn refresh_at(now: OffsetDateTime, expires_on: OffsetDateTime) -> OffsetDateTime {
    let halfway = now + (expires_on - now) / 2;
    std::cmp::max(expires_on - REFRESH_WINDOW, halfway)
}

impl<C: fmt::Debug> fmt::Debug for Cached<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .finish()
    }
}

#[async_trait::async_trait]
impl<C: TokenCredential> TokenCredential for Cached<C> {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let slot = self.slot(scopes);
        let fresh_wanted = ClaimsChallenge::of(options.as_ref()).is_some();
        if !fresh_wanted {
            if let Some(token) = slot.fresh((self.clock)()) {
                return Ok(token);
            }
        }
        // Concurrent callers for the same scopes queue here; the first refreshes, the others
        // then find its token on the second look instead of each asking the authority.
        let _refreshing = slot.refresh.lock().await;
        let now = (self.clock)();
        if !fresh_wanted {
            if let Some(token) = slot.fresh(now) {
                return Ok(token);
            }
        }
        match self.inner.get_token(scopes, options).await {
            Ok(token) => {
                let now = (self.clock)();
                slot.store(token.clone(), refresh_at(now, token.expires_on));
                Ok(token)
            }
            Err(err) if fresh_wanted => Err(err),
            // An early refresh failed but the token we hold still works: use it, and try
            // again on the next call.
            Err(err) => match slot.usable(now) {
                Some(token) => {
                    tracing::warn!("token refresh failed, using the cached token until it expires");
                    Ok(token)
                }
                None => Err(err),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
        fail_after_first: bool,
        clock_offset: Arc<AtomicI64>,
    }

    #[async_trait::async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail_after_first && n > 0 {
                return Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "authority down",
                ));
            }
            let now = OffsetDateTime::now_utc()
                + Duration::seconds(self.clock_offset.load(Ordering::SeqCst));
            Ok(AccessToken::new(format!("token-{n}"), now + self.lifetime))
        }
    }

    fn setup(lifetime: Duration, fail_after_first: bool) -> (Cached<Counting>, Arc<AtomicI64>) {
        let offset = Arc::new(AtomicI64::new(0));
        let o = offset.clone();
        let cached = Cached::with_clock(
            Counting {
                calls: AtomicUsize::new(0),
                lifetime,
                fail_after_first,
                clock_offset: offset.clone(),
            },
            Arc::new(move || {
                OffsetDateTime::now_utc() + Duration::seconds(o.load(Ordering::SeqCst))
            }),
        );
        (cached, offset)
    }

    #[tokio::test]
    async fn refreshes_within_five_minutes_of_expiry() {
        let (c, offset) = setup(Duration::hours(1), false);
        let t0 = c.get_token(&["s/.default"], None).await.unwrap();
        assert_eq!(t0.token.secret(), "token-0");
        offset.store(54 * 60, Ordering::SeqCst);
        let t1 = c.get_token(&["s/.default"], None).await.unwrap();
        assert_eq!(t1.token.secret(), "token-0", "6 minutes left: still cached");
        offset.store(56 * 60, Ordering::SeqCst);
        let t2 = c.get_token(&["s/.default"], None).await.unwrap();
        assert_eq!(t2.token.secret(), "token-1", "4 minutes left: refreshed");
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn scope_sets_are_cached_separately_and_order_insensitive() {
        let (c, _) = setup(Duration::hours(1), false);
        c.get_token(&["a", "b"], None).await.unwrap();
        c.get_token(&["b", "a"], None).await.unwrap();
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 1);
        c.get_token(&["c"], None).await.unwrap();
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn short_lived_token_is_not_fetched_on_every_call() {
        let (c, offset) = setup(Duration::minutes(2), false);
        c.get_token(&["s"], None).await.unwrap();
        c.get_token(&["s"], None).await.unwrap();
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 1);
        offset.store(61, Ordering::SeqCst);
        c.get_token(&["s"], None).await.unwrap();
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_fresh_token_request_skips_the_cache_and_replaces_its_entry() {
        let (c, _) = setup(Duration::hours(1), false);
        let t0 = c.get_token(&["s"], None).await.unwrap();
        let t1 = c
            .get_token(&["s"], Some(ClaimsChallenge::options("{}")))
            .await
            .unwrap();
        assert_eq!(
            (t0.token.secret(), t1.token.secret()),
            ("token-0", "token-1")
        );
        let t2 = c.get_token(&["s"], None).await.unwrap();
        assert_eq!(
            t2.token.secret(),
            "token-1",
            "the new token is the cached one now"
        );
        assert_eq!(c.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_fresh_token_request_does_not_fall_back_to_the_cached_token() {
        let (c, _) = setup(Duration::hours(1), true);
        c.get_token(&["s"], None).await.unwrap();
        assert!(c
            .get_token(&["s"], Some(ClaimsChallenge::options("{}")))
            .await
            .is_err());
        assert_eq!(
            c.get_token(&["s"], None).await.unwrap().token.secret(),
            "token-0"
        );
    }

    #[tokio::test]
    async fn failed_early_refresh_keeps_valid_token_but_not_expired_one() {
        let (c, offset) = setup(Duration::hours(1), true);
        c.get_token(&["s"], None).await.unwrap();
        offset.store(58 * 60, Ordering::SeqCst);
        let t = c.get_token(&["s"], None).await.unwrap();
        assert_eq!(t.token.secret(), "token-0");
        offset.store(61 * 60, Ordering::SeqCst);
        assert!(c.get_token(&["s"], None).await.is_err());
    }
}
