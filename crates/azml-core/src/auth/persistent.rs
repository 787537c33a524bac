//! An opt-in token cache file shared by credential instances and processes: JSON keyed by
//! authority, tenant, client and scopes, mode 0600, replaced atomically (write a temporary
//! file beside it, then rename). Its contents are never logged.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::cache::REFRESH_WINDOW;

#[derive(Serialize, Deserialize, Default)]
struct FileDoc {
    version: u32,
    tokens: BTreeMap<String, FileEntry>,
}

#[derive(Serialize, Deserialize, Clone)]
struct FileEntry {
    access_token: String,
    expires_on: i64,
}

/// A credential whose tokens are also kept in a file. Wrap it in [`super::Cached`] (as
/// [`super::persistent`] does) so the file is read only when the memory cache misses.
pub struct PersistentCache<C> {
    inner: C,
    path: PathBuf,
    key_prefix: String,
    lock: tokio::sync::Mutex<()>,
}

impl<C: fmt::Debug> fmt::Debug for PersistentCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistentCache")
            .field("inner", &self.inner)
            .field("path", &self.path)
            .finish()
    }
}

impl<C> PersistentCache<C> {
    /// `authority`, `tenant_id` and `client_id` identify whose tokens these are; with the
    /// scopes they make the key, so one file can serve several identities.
    pub fn new(
        inner: C,
        path: impl Into<PathBuf>,
        authority: &str,
        tenant_id: &str,
        client_id: &str,
    ) -> Self {
        PersistentCache {
            inner,
            path: path.into(),
            key_prefix: format!(
                "{}|{}|{}",
                authority.trim().trim_end_matches('/').to_ascii_lowercase(),
                tenant_id.trim().to_ascii_lowercase(),
                client_id.trim().to_ascii_lowercase()
            ),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(&self, scopes: &[&str]) -> String {
        let mut s: Vec<&str> = scopes.to_vec();
        s.sort_unstable();
        s.dedup();
        format!("{}|{}", self.key_prefix, s.join(" "))
    }
}

/// A missing, unreadable or corrupt file is an empty cache: the credential then simply asks
/// for a token.
fn read_doc(path: &Path) -> FileDoc {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            tracing::warn!(path = %path.display(), "ignoring an unreadable token cache file");
            FileDoc::default()
        }),
        Err(_) => FileDoc::default(),
    }
}

fn write_doc(path: &Path, doc: &FileDoc) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "token-cache".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(&serde_json::to_vec(doc).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[async_trait::async_trait]
impl<C: TokenCredential> TokenCredential for PersistentCache<C> {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let key = self.key(scopes);
        let _guard = self.lock.lock().await;
        let now = OffsetDateTime::now_utc();
        let file_token = if super::cache::ClaimsChallenge::of(options.as_ref()).is_some() {
            None
        } else {
            read_doc(&self.path).tokens.get(&key).cloned()
        };
        if let Some(e) = file_token {
            if let Ok(exp) = OffsetDateTime::from_unix_timestamp(e.expires_on) {
                if exp - now > REFRESH_WINDOW {
                    return Ok(AccessToken::new(e.access_token.clone(), exp));
                }
            }
        }
        let token = self.inner.get_token(scopes, options).await?;
        // Re-read so that entries another process wrote meanwhile survive; drop expired ones.
        let mut doc = read_doc(&self.path);
        doc.version = 1;
        let now_ts = now.unix_timestamp();
        doc.tokens.retain(|_, e| e.expires_on > now_ts);
        doc.tokens.insert(
            key,
            FileEntry {
                access_token: token.token.secret().to_string(),
                expires_on: token.expires_on.unix_timestamp(),
            },
        );
        if let Err(e) = write_doc(&self.path, &doc) {
            // The token is good; only its reuse by the next process is lost.
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write the token cache file");
        }
        Ok(token)
    }
}
