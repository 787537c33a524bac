//! A local emulator of Azure Resource Manager, the Entra ID token endpoints and Microsoft
//! Graph user lookup, for tests, examples and users (like LocalStack or Azurite).
//!
//! A crate of its own, independent of the client: a client bug must not be able to hide
//! behind the same bug in the emulator, and the compiler keeps it so (this crate does not
//! depend on `azml-core`). Used by the Python bindings (`azml.emulator`), its binary
//! `azml-emulator` and the tests.
//!
//! Layout: one room per domain — `arm` (Resource Manager's front door, routes and resource
//! providers), `entra` (the Entra ID sign-in endpoints), `graph` (Microsoft Graph) and
//! `admin` (the emulator's own API) — over a shared platform that imports no room: `context`
//! (`Ctx`), `store` and its `operations`, `clock`, `faults`, `journal`, `throttle`, `tokens`,
//! `tls` and the small data modules. `server` sits on top and hands each request to its room.

mod admin;
mod api_versions;
mod arm;
mod assignments;
mod catalog;
mod clock;
mod config;
mod context;
mod directory;
mod entra;
mod errors;
mod faults;
mod graph;
mod http;
mod ids;
mod journal;
mod names;
mod operations;
mod private_links;
mod serde_b64;
mod server;
mod signin_state;
mod store;
mod throttle;
mod timestamps;
mod tls;
mod tokens;
mod x509;

pub use config::{
    EmulatorConfig, Latency, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_TENANT_ID,
};
pub use faults::{FaultAction, FaultRule, FaultStatus};
pub use journal::JournalEntry;
pub use throttle::{Bucket, ThrottleConfig};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    ctx: Arc<context::Ctx>,
    handle: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    tls: Option<tls::TlsMaterial>,
}

impl Emulator {
    /// Bind and start serving on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        if config.page_size == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "page_size must be at least 1",
            ));
        }
        if !(config.time_scale.is_finite() && config.time_scale >= 0.0) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "time_scale must be a finite number >= 0",
            ));
        }
        let listener = std::net::TcpListener::bind(config.bind)?;
        let local = listener.local_addr()?;
        // Clients are told "127.0.0.1"/"localhost" rather than an unspecified address.
        let host = match local.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let scheme = if config.tls { "https" } else { "http" };
        let url = format!("{scheme}://{host}:{}", local.port());
        let tls_material = if config.tls {
            Some(tls::TlsMaterial::generate(local.port())?)
        } else {
            None
        };
        let ctx = Arc::new(context::Ctx::new(config, url)?);
        let app = server::router(ctx.clone());
        let handle = axum_server::Handle::new();
        let task = match &tls_material {
            Some(material) => {
                let rustls = material.rustls_config().await?;
                let server = axum_server::from_tcp_rustls(listener, rustls)?.handle(handle.clone());
                tokio::spawn(server.serve(app.into_make_service_with_connect_info::<SocketAddr>()))
            }
            None => {
                let server = axum_server::from_tcp(listener)?.handle(handle.clone());
                tokio::spawn(server.serve(app.into_make_service_with_connect_info::<SocketAddr>()))
            }
        };
        if handle.listening().await.is_none() {
            // The server task ended before listening: surface its error.
            return match task.await {
                Ok(Err(e)) => Err(e),
                _ => Err(std::io::Error::other("the emulator failed to start")),
            };
        }
        Ok(Emulator {
            ctx,
            handle,
            task: Some(task),
            tls: tls_material,
        })
    }
    /// `http://127.0.0.1:PORT` (or `https://…` under TLS), no trailing `/`. Serves ARM, the
    /// token endpoints (`{url}/{tenant}/oauth2/v2.0/token`) and Graph (`{url}/v1.0/…`).
    pub fn url(&self) -> String {
        self.ctx.url.clone()
    }
    pub fn subscription_id(&self) -> &str {
        &self.ctx.cfg.subscription_id
    }
    /// The subscriptions served besides `subscription_id` (`EmulatorConfig::extra_subscriptions`).
    pub fn extra_subscriptions(&self) -> &[String] {
        &self.ctx.cfg.extra_subscriptions
    }
    pub fn tenant_id(&self) -> &str {
        &self.ctx.cfg.tenant_id
    }
    pub fn client_id(&self) -> &str {
        &self.ctx.cfg.client_id
    }
    pub fn client_secret(&self) -> &str {
        &self.ctx.cfg.client_secret
    }
    /// PEM of the CA that signed the TLS certificate, when `tls`.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|t| t.ca_path.clone())
    }
    /// The environment variables that point azml and the Azure SDKs at this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let url = self.url();
        let mut env = vec![
            (
                "AZURE_SUBSCRIPTION_ID".to_string(),
                self.subscription_id().to_string(),
            ),
            ("AZURE_TENANT_ID".to_string(), self.tenant_id().to_string()),
            ("AZURE_CLIENT_ID".to_string(), self.client_id().to_string()),
            (
                "AZURE_CLIENT_SECRET".to_string(),
                self.client_secret().to_string(),
            ),
            ("AZURE_AUTHORITY_HOST".to_string(), url.clone()),
            ("AZML_ENDPOINT".to_string(), url),
        ];
        if let Some(ca) = self.ca_file() {
            let ca = ca.display().to_string();
            for name in ["AZML_CA_FILE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"] {
                env.push((name.to_string(), ca.clone()));
            }
        }
        env
    }
    /// Moves the emulator's clock forward (token expiry, long-running operations), so that
    /// tests need not wait for real time to pass.
    pub fn advance_clock(&self, by: Duration) {
        self.ctx.clock.advance(by);
    }
    /// Stops the emulator's clock: from then on it only moves through `advance_clock` (or
    /// `POST /_emulator/clock/advance`), which makes throttling and operations deterministic.
    pub fn freeze_clock(&self) {
        self.ctx.clock.freeze();
    }
    /// Adds a Microsoft Graph user (`GET {url}/v1.0/users/{upn-or-id}` finds it) and returns
    /// its object id; an existing user's id is returned unchanged. Every emulator starts with
    /// `user@azml-emulator.onmicrosoft.com`.
    pub fn add_user(&self, user_principal_name: &str, display_name: &str) -> String {
        let id = self.ctx.store().add_user(user_principal_name, display_name);
        self.ctx.persist();
        id
    }
    /// Adds a service principal that can sign in with `client_id`/`client_secret` (client
    /// credentials) and returns its object id (the `oid` of its tokens); an existing one's id
    /// is returned unchanged. It has no role assignment of its own.
    pub fn add_service_principal(&self, client_id: &str, client_secret: &str) -> String {
        let oid = admin::signin::add_app(&self.ctx, client_id, client_secret);
        self.ctx.persist();
        oid
    }
    /// Registers a certificate (PEM, or base64 DER) for the application `client_id`, which
    /// may then sign in with RS256 client assertions signed by its key (also
    /// `POST /_emulator/apps/{clientId}/certificates`). Returns its `x5t#S256` thumbprint.
    pub fn add_certificate(&self, client_id: &str, certificate: &str) -> Result<String, String> {
        let added = admin::signin::add_certificate(&self.ctx, client_id, certificate);
        self.ctx.persist();
        added.map(|(_, s256)| s256)
    }
    /// Lets the application `client_id` sign in with tokens of `issuer` for `subject`
    /// (workload identity; audience `api://AzureADTokenExchange`). Only the emulator's own
    /// issuer ([`Emulator::workload_issuer`]) can be verified. Also
    /// `POST /_emulator/apps/{clientId}/federatedCredentials`.
    pub fn add_federated_credential(
        &self,
        client_id: &str,
        issuer: &str,
        subject: &str,
    ) -> Result<(), String> {
        let added = admin::signin::add_federated(
            &self.ctx,
            client_id,
            issuer,
            subject,
            vec![entra::TOKEN_EXCHANGE_AUDIENCE.to_string()],
        );
        self.ctx.persist();
        added
    }
    /// The issuer URL of the service account tokens the emulator hands out.
    pub fn workload_issuer(&self) -> String {
        entra::workload_issuer(&self.ctx)
    }
    /// A service account token for `subject` from the emulator's workload issuer, valid an
    /// hour (what a Kubernetes cluster projects into `AZURE_FEDERATED_TOKEN_FILE`). Also
    /// `POST /_emulator/workload-issuer/tokens`.
    pub fn issue_federated_token(&self, subject: &str) -> String {
        admin::signin::issue_federated_token(
            &self.ctx,
            subject,
            entra::TOKEN_EXCHANGE_AUDIENCE,
            3600,
        )
    }
    /// Approves the pending device code `user_code` as `user_principal_name` (default: the
    /// sign-in user, `user@azml-emulator.onmicrosoft.com` unless changed). Also
    /// `POST /_emulator/devicecode/approve`.
    pub fn approve_device_code(
        &self,
        user_code: &str,
        user_principal_name: Option<&str>,
    ) -> Result<(), String> {
        admin::signin::decide_device_code(&self.ctx, user_code, true, user_principal_name)
    }
    /// Declines the pending device code `user_code` (`POST /_emulator/devicecode/deny`).
    pub fn deny_device_code(&self, user_code: &str) -> Result<(), String> {
        admin::signin::decide_device_code(&self.ctx, user_code, false, None)
    }
    /// Device codes are approved by themselves once `polls` polls were answered
    /// `authorization_pending` (1 by default); `None`: only an explicit approval does. Also
    /// `PATCH /_emulator/signin {"deviceCodeAutoApproveAfterPolls": N}`.
    pub fn set_device_code_auto_approve(&self, polls: Option<u32>) {
        self.ctx.signin().settings.auto_approve_after_polls = polls;
        self.ctx.persist();
    }
    /// The App Service style managed-identity endpoint (`IDENTITY_ENDPOINT`).
    pub fn identity_endpoint(&self) -> String {
        admin::signin::identity_endpoint(&self.ctx)
    }
    /// The secret that endpoint expects in `X-IDENTITY-HEADER` (`IDENTITY_HEADER`).
    pub fn identity_header(&self) -> String {
        self.ctx.signin().identity_header.clone()
    }
    /// Client id and principal (object) id of the host's system-assigned identity.
    pub fn system_identity(&self) -> (String, String) {
        let s = self.ctx.signin();
        let i = s
            .identities
            .iter()
            .find(|i| i.system)
            .expect("a system-assigned identity");
        (i.client_id.clone(), i.principal_id.clone())
    }
    /// Adds (or finds) the user-assigned identity `name`; returns its client id and principal
    /// id. Also `POST /_emulator/managed-identity/identities`.
    pub fn add_user_assigned_identity(&self, name: &str) -> (String, String) {
        let i = self.ctx.signin().add_identity(name);
        self.ctx.persist();
        (i.client_id, i.principal_id)
    }
    /// Gives a service principal added with [`Emulator::add_service_principal`] a federated
    /// credential: it then also signs in with `token` as its client assertion (workload
    /// identity: `client_assertion_type` jwt-bearer). `false` when there is no such
    /// principal.
    pub fn set_federated_token(&self, client_id: &str, token: &str) -> bool {
        let set = self.ctx.set_federated_token(client_id, token);
        self.ctx.persist();
        set
    }
    /// Gives `principal_id` (an object id) the built-in role `role` (its name, e.g.
    /// `"Reader"`, or its GUID) over `scope` (`/subscriptions/…`, a group's or a resource's
    /// id), as a role assignment ARM lists and enforces; returns the assignment's name.
    /// For tests, without going through ARM.
    pub fn assign_role(
        &self,
        principal_id: &str,
        role: &str,
        scope: &str,
    ) -> Result<String, String> {
        let assigned =
            arm::providers::authorization::assign_role(&self.ctx, principal_id, role, scope);
        self.ctx.persist();
        assigned
    }
    /// Sets a resource-provider namespace's registration at once (also
    /// `POST /_emulator/providers/{ns}/register|unregister`): `false` leaves it
    /// `NotRegistered`, and its resource types answer 409 `MissingSubscriptionRegistration`.
    pub fn set_provider_registered(&self, namespace: &str, registered: bool) -> Result<(), String> {
        let set = arm::dispatch::set_registered(&self.ctx, namespace, registered);
        self.ctx.persist();
        set.map(|_| ())
    }
    /// Object id of the configured service principal.
    pub fn principal_oid(&self) -> &str {
        &self.ctx.principal_oid
    }
    /// Adds a fault rule (also `POST /_emulator/faults`); returns its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<u64, String> {
        self.ctx.faults.add(rule)
    }
    /// The fault rules with their counters (also `GET /_emulator/faults`).
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.ctx.faults.list()
    }
    /// Removes one fault rule; `false` when there is none with this id.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.ctx.faults.remove(id)
    }
    /// Removes every fault rule (also `DELETE /_emulator/faults`).
    pub fn clear_faults(&self) {
        self.ctx.faults.clear()
    }
    /// The requests served so far, oldest first, without secrets (also
    /// `GET /_emulator/journal`).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.ctx.journal.entries()
    }
    /// Empties the journal (also `DELETE /_emulator/journal`).
    pub fn clear_journal(&self) {
        self.ctx.journal.clear()
    }
    /// The throttling in force.
    pub fn throttling(&self) -> ThrottleConfig {
        self.ctx.throttle_cfg
    }
    /// Stop serving; waits at most `grace` for in-flight requests.
    pub async fn stop(mut self, grace: Duration) {
        self.handle.graceful_shutdown(Some(grace));
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // Whatever changed outside a request (through these methods, or an operation that
        // came due) is on disk before the next start reads it.
        self.ctx.persist();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.handle.shutdown();
            self.ctx.persist();
        }
    }
}
