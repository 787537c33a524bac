//! The tenant's sign-in state, kept in `Ctx` below the rooms: the app registrations beyond
//! the client secret (certificates, federated credentials), managed identities, the simulated
//! user's settings, and the codes and refresh tokens of the sign-ins in progress. The Entra
//! ID room's flows read and change it; the admin API registers into it.
//!
//! With a state file, what a tenant keeps across a restart of its service is kept too
//! (`Durable`): the registrations (certificates, federated credentials, managed identities),
//! the settings, the workload issuer's key, the managed-identity endpoint's secret and the
//! refresh tokens (server-side grants that Entra ID honours for 90 days whatever happens to
//! its front ends; only their SHA-256 is kept, in memory as in the file). Device codes and
//! authorization codes are not: they live minutes, belong to one sign-in in progress whose
//! client is waiting on this very process, and a restart simply ends that sign-in as an
//! expiry would (the client starts a new one).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::directory::DEFAULT_USER_UPN;
use crate::ids::{new_guid, random_bytes};
use crate::tokens::Signer;
use crate::x509::{certificate_der, rsa_public_key};

const REFRESH_LIFETIME_SECS: i64 = 90 * 86_400;

/// How the simulated user behaves; changed through `PATCH /_emulator/signin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Settings {
    /// User principal name of the user who approves device codes and consents in the browser.
    pub user: String,
    /// Device codes are approved (as `user`) once this many polls were answered
    /// `authorization_pending`; `None`: only the admin API approves.
    pub auto_approve_after_polls: Option<u32>,
    /// The `interval` device codes announce (seconds).
    pub interval: u64,
    /// Answer `slow_down` to a poll that comes sooner than `interval` after the previous one.
    pub enforce_interval: bool,
    /// The browser's user refuses consent (`error=access_denied` to the redirect URI).
    pub deny_consent: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            user: DEFAULT_USER_UPN.to_string(),
            auto_approve_after_polls: Some(1),
            interval: 5,
            enforce_interval: false,
            deny_consent: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct User {
    pub oid: String,
    pub upn: String,
    pub name: String,
}

/// Only the public half is ever known (as in Entra ID): keeping it is no secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Certificate {
    pub client_id: String,
    pub x5t: String,
    pub x5t_s256: String,
    /// PKCS#1 `RSAPublicKey`, as `ring` verifies with.
    #[serde(with = "crate::serde_b64")]
    pub public_key: Vec<u8>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Federated {
    pub client_id: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub name: String,
    pub client_id: String,
    pub principal_id: String,
    pub system: bool,
}

pub(crate) enum DeviceState {
    Pending,
    Approved(User),
    Denied,
    Redeemed,
}

pub(crate) struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    pub resource: String,
    pub openid: bool,
    pub expires_at: i64,
    pub last_poll_ms: Option<i64>,
    pub polls: u32,
    pub state: DeviceState,
}

pub(crate) struct AuthCode {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub resource: String,
    pub openid: bool,
    pub user: User,
    pub expires_at: i64,
    pub redeemed: bool,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Refresh {
    /// SHA-256 of the token (base64url): the token itself is only ever in the client's hands.
    pub token_hash: String,
    pub client_id: String,
    pub user: User,
    pub expires_at: i64,
}

/// What the state file keeps of sign-in (see the module's documentation for what it does not
/// keep, and why). Every field defaults, so a file from before any of them loads.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Durable {
    pub settings: Settings,
    /// The workload issuer's key: a service account token projected before a restart is
    /// still accepted after it, as a cluster's issuer keys outlive an Entra ID restart.
    #[serde(with = "crate::serde_b64")]
    pub issuer_key: Vec<u8>,
    /// Apps keep `IDENTITY_HEADER` from their environment: a new one would lock them out.
    pub identity_header: String,
    pub identities: Vec<Identity>,
    pub certificates: Vec<Certificate>,
    pub federated: Vec<Federated>,
    pub refresh_tokens: Vec<Refresh>,
}

// Written by hand: the keys and the refresh-token hashes stay out of logs.
impl std::fmt::Debug for Durable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durable")
            .field("identities", &self.identities.len())
            .field("certificates", &self.certificates.len())
            .field("federated", &self.federated.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

pub(crate) struct SignIn {
    pub settings: Settings,
    /// Signs the workload issuer's service account tokens (a key of its own, so that those
    /// never pass for access tokens).
    pub issuer_signer: Signer,
    /// The secret of the managed-identity endpoint (`IDENTITY_HEADER`).
    pub identity_header: String,
    pub identities: Vec<Identity>,
    pub certificates: Vec<Certificate>,
    pub federated: Vec<Federated>,
    pub device_codes: Vec<DeviceCode>,
    pub auth_codes: Vec<AuthCode>,
    pub refresh_tokens: Vec<Refresh>,
}

impl SignIn {
    pub(crate) fn new(default_user: &str) -> Self {
        SignIn {
            settings: Settings {
                user: default_user.to_string(),
                ..Settings::default()
            },
            issuer_signer: Signer::random(),
            identity_header: URL_SAFE_NO_PAD.encode(random_bytes(24)),
            identities: vec![Identity {
                name: "system-assigned".into(),
                client_id: new_guid(),
                principal_id: new_guid(),
                system: true,
            }],
            certificates: Vec::new(),
            federated: Vec::new(),
            device_codes: Vec::new(),
            auth_codes: Vec::new(),
            refresh_tokens: Vec::new(),
        }
    }

    /// The sign-in a state file saved (`None`: a new one, as for an emulator without a state
    /// file). Whatever a file from an older emulator lacks is made up now.
    pub(crate) fn restore(saved: Option<Durable>) -> Self {
        let Some(d) = saved else {
            return SignIn::new(DEFAULT_USER_UPN);
        };
        let fresh = SignIn::new(&d.settings.user);
        let mut identities = d.identities;
        if !identities.iter().any(|i| i.system) {
            identities.splice(0..0, fresh.identities);
        }
        SignIn {
            settings: d.settings,
            issuer_signer: Signer::from_key(&d.issuer_key),
            identity_header: if d.identity_header.is_empty() {
                fresh.identity_header
            } else {
                d.identity_header
            },
            identities,
            certificates: d.certificates,
            federated: d.federated,
            device_codes: Vec::new(),
            auth_codes: Vec::new(),
            refresh_tokens: d.refresh_tokens,
        }
    }

    /// What the state file keeps (expired refresh tokens left out).
    pub(crate) fn durable(&self, now: i64) -> Durable {
        Durable {
            settings: self.settings.clone(),
            issuer_key: self.issuer_signer.key().to_vec(),
            identity_header: self.identity_header.clone(),
            identities: self.identities.clone(),
            certificates: self.certificates.clone(),
            federated: self.federated.clone(),
            refresh_tokens: self
                .refresh_tokens
                .iter()
                .filter(|r| r.expires_at > now)
                .cloned()
                .collect(),
        }
    }

    /// Registers a certificate (PEM or base64 DER) for `client_id`; returns its `x5t` and
    /// `x5t#S256`.
    pub(crate) fn add_certificate(
        &mut self,
        client_id: &str,
        certificate: &str,
    ) -> Result<(String, String), String> {
        let der = certificate_der(certificate)?;
        let public_key = rsa_public_key(&der).ok_or(
            "the certificate could not be read, or its key is not RSA (only RS256 assertions \
             are supported)",
        )?;
        let x5t = URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref());
        let x5t_s256 = URL_SAFE_NO_PAD.encode(Sha256::digest(&der));
        self.certificates
            .retain(|c| !(c.client_id.eq_ignore_ascii_case(client_id) && c.x5t == x5t));
        self.certificates.push(Certificate {
            client_id: client_id.to_string(),
            x5t: x5t.clone(),
            x5t_s256: x5t_s256.clone(),
            public_key,
        });
        Ok((x5t, x5t_s256))
    }

    pub(crate) fn add_federated(
        &mut self,
        client_id: &str,
        issuer: &str,
        subject: &str,
        audiences: Vec<String>,
    ) {
        self.federated.push(Federated {
            client_id: client_id.to_string(),
            issuer: issuer.to_string(),
            subject: subject.to_string(),
            audiences,
        });
    }

    /// A service account token of the emulator's own workload issuer, as a Kubernetes
    /// cluster projects into a pod.
    pub(crate) fn issue_federated_token(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        now: i64,
        lifetime: i64,
    ) -> String {
        self.issuer_signer.mint_json(&json!({
            "aud": [audience],
            "iss": issuer,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": new_guid(),
        }))
    }

    pub(crate) fn add_identity(&mut self, name: &str) -> Identity {
        if let Some(i) = self.identities.iter().find(|i| i.name == name) {
            return i.clone();
        }
        let identity = Identity {
            name: name.to_string(),
            client_id: new_guid(),
            principal_id: new_guid(),
            system: false,
        };
        self.identities.push(identity.clone());
        identity
    }

    /// Approves (or denies) the pending device code whose user code is `user_code`.
    pub(crate) fn decide_device_code(
        &mut self,
        user_code: &str,
        decision: Option<User>,
        now: i64,
    ) -> Result<(), String> {
        let norm = |c: &str| c.replace('-', "").to_ascii_uppercase();
        let wanted = norm(user_code);
        let Some(dc) = self
            .device_codes
            .iter_mut()
            .find(|d| norm(&d.user_code) == wanted)
        else {
            return Err(format!("no device code with user code '{user_code}'"));
        };
        if now >= dc.expires_at {
            return Err(format!("the device code '{user_code}' has expired"));
        }
        if !matches!(dc.state, DeviceState::Pending) {
            return Err(format!(
                "the device code '{user_code}' is no longer pending"
            ));
        }
        dc.state = match decision {
            Some(user) => DeviceState::Approved(user),
            None => DeviceState::Denied,
        };
        Ok(())
    }

    /// User codes of the device codes waiting for approval (never the device codes).
    pub(crate) fn pending_user_codes(&self, now: i64) -> Vec<String> {
        self.device_codes
            .iter()
            .filter(|d| matches!(d.state, DeviceState::Pending) && now < d.expires_at)
            .map(|d| d.user_code.clone())
            .collect()
    }

    pub(crate) fn new_refresh_token(&mut self, client_id: &str, user: &User, now: i64) -> String {
        self.refresh_tokens.retain(|r| r.expires_at > now);
        let token = format!("1.AZML.{}", URL_SAFE_NO_PAD.encode(random_bytes(48)));
        self.refresh_tokens.push(Refresh {
            token_hash: token_hash(&token),
            client_id: client_id.to_string(),
            user: user.clone(),
            expires_at: now + REFRESH_LIFETIME_SECS,
        });
        token
    }
}
