//! Shared helpers of the emulator's integration tests: they talk to it with plain reqwest,
//! never through azml's client code, so that the two implementations check each other.
#![allow(dead_code)]

use std::time::Duration;

use azml_emulator::{Emulator, EmulatorConfig, Latency};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ARM: &str = "https://management.azure.com/.default";

pub struct Env {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

/// ring as rustls's provider, as the emulator's own TLS uses (reqwest is built without one).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Plain reqwest that reaches loopback only. The client crate's loopback-only guard is not
/// ours to use (this crate stands apart from the client), so the same rule is kept here:
/// every request names the emulator, and anything else goes to a proxy on loopback's discard
/// port, where nothing listens: refused, without a DNS query or a packet off the machine.
pub fn client() -> reqwest::Client {
    install_tls_provider();
    let off_machine = |url: &url::Url| -> Option<&'static str> {
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        (!loopback).then_some("http://127.0.0.1:9")
    };
    reqwest::Client::builder()
        .no_proxy()
        .proxy(reqwest::Proxy::custom(off_machine))
        .build()
        .unwrap()
}

pub async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::start(config).await.expect("emulator starts");
    let http = client();
    let token = token_for(&http, &emu, ARM).await;
    Env { emu, http, token }
}

pub async fn start(latency: Latency) -> Env {
    start_with(EmulatorConfig {
        latency,
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn token_for(http: &reqwest::Client, emu: &Emulator, scope: &str) -> String {
    sign_in(http, emu, emu.client_id(), emu.client_secret(), scope).await
}

/// A token for any service principal the emulator knows (client credentials).
pub async fn sign_in(
    http: &reqwest::Client,
    emu: &Emulator,
    client_id: &str,
    client_secret: &str,
    scope: &str,
) -> String {
    let r = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.url(),
            emu.tenant_id()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("scope", scope),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    Reply {
        status,
        headers,
        body,
    }
}

impl Env {
    pub fn sub(&self) -> &str {
        self.emu.subscription_id()
    }
    /// `{url}/subscriptions/{sub}{path}`; `path` carries its own `?api-version=`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/subscriptions/{}{}", self.emu.url(), self.sub(), path)
    }
    pub async fn send(&self, method: Method, url: &str, body: Option<Value>) -> Reply {
        self.send_as(&self.token, method, url, body).await
    }
    /// A request with another principal's token.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        reply(rb.send().await.unwrap()).await
    }
    pub async fn get(&self, url: &str) -> Reply {
        self.send(Method::GET, url, None).await
    }
    pub async fn put(&self, url: &str, body: Value) -> Reply {
        self.send(Method::PUT, url, Some(body)).await
    }
    pub async fn patch(&self, url: &str, body: Value) -> Reply {
        self.send(Method::PATCH, url, Some(body)).await
    }
    pub async fn delete(&self, url: &str) -> Reply {
        self.send(Method::DELETE, url, None).await
    }
    pub async fn post(&self, url: &str, body: Value) -> Reply {
        self.send(Method::POST, url, Some(body)).await
    }

    pub async fn group(&self, name: &str) -> Reply {
        let r = self
            .put(
                &self.url(&format!("/resourcegroups/{name}?api-version=2025-04-01")),
                json!({"location": "westeurope"}),
            )
            .await;
        assert!(r.status.is_success(), "group {name}: {}", r.body);
        r
    }
    pub fn rid(&self, rg: &str, ns_type: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/{ns_type}/{name}",
            self.sub()
        )
    }
    pub async fn storage(&self, rg: &str, name: &str) -> Reply {
        self.put(
            &format!(
                "{}{}?api-version=2025-01-01",
                self.emu.url(),
                self.rid(rg, "Microsoft.Storage/storageAccounts", name)
            ),
            json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}),
        )
        .await
    }
    pub async fn vault(&self, rg: &str, name: &str) -> Reply {
        self.put(
            &format!(
                "{}{}?api-version=2025-05-01",
                self.emu.url(),
                self.rid(rg, "Microsoft.KeyVault/vaults", name)
            ),
            json!({"location": "westeurope", "properties": {
                "tenantId": self.emu.tenant_id(),
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
            }}),
        )
        .await
    }
    pub async fn component(&self, rg: &str, name: &str) -> Reply {
        self.put(
            &format!(
                "{}{}?api-version=2020-02-02",
                self.emu.url(),
                self.rid(rg, "Microsoft.Insights/components", name)
            ),
            json!({"location": "westeurope", "kind": "web", "properties": {"Application_Type": "web"}}),
        )
        .await
    }
    /// A group with a storage account, a vault and an App Insights component; returns the
    /// workspace create body that links them.
    pub async fn dependents(&self, rg: &str, prefix: &str) -> Value {
        self.group(rg).await;
        let sa = format!("{prefix}sa");
        let kv = format!("{prefix}-kv");
        let ai = format!("{prefix}-ai");
        // 202 under `realistic`: the account exists (`Creating`) and can be linked at once.
        let st = self.storage(rg, &sa).await.status;
        assert!(st == StatusCode::OK || st == StatusCode::ACCEPTED, "{st}");
        assert_eq!(self.vault(rg, &kv).await.status, StatusCode::OK);
        assert_eq!(self.component(rg, &ai).await.status, StatusCode::OK);
        json!({
            "location": "westeurope",
            "identity": {"type": "SystemAssigned"},
            "tags": {"team": "ml"},
            "properties": {
                "friendlyName": "My workspace",
                "description": "made by a test",
                "storageAccount": self.rid(rg, "Microsoft.Storage/storageAccounts", &sa),
                "keyVault": self.rid(rg, "Microsoft.KeyVault/vaults", &kv),
                "applicationInsights": self.rid(rg, "Microsoft.Insights/components", &ai),
                "hbiWorkspace": false,
            }
        })
    }
    pub fn ws_url(&self, rg: &str, name: &str) -> String {
        format!(
            "{}{}?api-version=2025-12-01",
            self.emu.url(),
            self.rid(rg, "Microsoft.MachineLearningServices/workspaces", name)
        )
    }

    /// Polls an `Azure-AsyncOperation` URL until a terminal status; returns it.
    pub async fn wait_async(&self, url: &str) -> Value {
        for _ in 0..1000 {
            let r = self.get(url).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let status = r.body["status"].as_str().unwrap().to_string();
            if ["Succeeded", "Failed", "Canceled"].contains(&status.as_str()) {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("operation {url} never finished");
    }
    /// Polls a `Location` URL until it stops answering 202; returns the final reply.
    pub async fn wait_location(&self, url: &str) -> Reply {
        for _ in 0..1000 {
            let r = self.get(url).await;
            if r.status != StatusCode::ACCEPTED {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("operation {url} never finished");
    }
}

/// An `application/x-www-form-urlencoded` body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
