//! Azure clouds: where ARM, the token authority and Graph live for each sovereign cloud, and
//! the same read from an ARM `/metadata/endpoints` document (Azure Stack, the emulator).

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::http::parse_endpoint;

/// The api-version `az` asks `/metadata/endpoints` for (one cloud object, not the list).
pub const METADATA_API_VERSION: &str = "2022-09-01";

/// The variable az (and the Azure SDKs) read the URL of a cloud metadata document from.
pub const METADATA_URL_VARIABLE: &str = "ARM_CLOUD_METADATA_URL";

/// A metadata document is a few kilobytes; anything far larger is not one.
const METADATA_MAX_BYTES: usize = 4 << 20;

/// The endpoints of one cloud. URLs keep the trailing `/` their metadata documents use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cloud {
    pub name: Cow<'static, str>,
    /// e.g. `https://management.azure.com/`.
    pub arm_endpoint: Cow<'static, str>,
    /// e.g. `https://login.microsoftonline.com/`.
    pub authority_host: Cow<'static, str>,
    /// The audience ARM tokens are requested for; the scope is this plus `.default`.
    pub arm_audience: Cow<'static, str>,
    /// e.g. `https://graph.microsoft.com/`.
    pub graph_endpoint: Cow<'static, str>,
}

/// The public cloud.
pub const AZURE_CLOUD: Cloud = Cloud {
    name: Cow::Borrowed("AzureCloud"),
    arm_endpoint: Cow::Borrowed("https://management.azure.com/"),
    authority_host: Cow::Borrowed("https://login.microsoftonline.com/"),
    arm_audience: Cow::Borrowed("https://management.azure.com/"),
    graph_endpoint: Cow::Borrowed("https://graph.microsoft.com/"),
};

/// Azure operated by 21Vianet.
pub const AZURE_CHINA_CLOUD: Cloud = Cloud {
    name: Cow::Borrowed("AzureChinaCloud"),
    arm_endpoint: Cow::Borrowed("https://management.chinacloudapi.cn/"),
    authority_host: Cow::Borrowed("https://login.chinacloudapi.cn/"),
    arm_audience: Cow::Borrowed("https://management.chinacloudapi.cn/"),
    graph_endpoint: Cow::Borrowed("https://microsoftgraph.chinacloudapi.cn/"),
};

/// Azure Government (US).
pub const AZURE_US_GOVERNMENT: Cloud = Cloud {
    name: Cow::Borrowed("AzureUSGovernment"),
    arm_endpoint: Cow::Borrowed("https://management.usgovcloudapi.net/"),
    authority_host: Cow::Borrowed("https://login.microsoftonline.us/"),
    arm_audience: Cow::Borrowed("https://management.usgovcloudapi.net/"),
    graph_endpoint: Cow::Borrowed("https://graph.microsoft.us/"),
};

/// The clouds known by name.
pub const KNOWN_CLOUDS: [Cloud; 3] = [AZURE_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOVERNMENT];

fn with_slash(s: &str) -> String {
    let s = s.trim();
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

fn same_url(a: &str, b: &str) -> bool {
    with_slash(a).eq_ignore_ascii_case(&with_slash(b))
}

impl Cloud {
    /// The token scope for ARM, e.g. `https://management.azure.com/.default`.
    pub fn arm_scope(&self) -> String {
        format!("{}.default", with_slash(&self.arm_audience))
    }

    /// The ARM endpoint without trailing `/`, as [`super::ArmConfig`] wants it.
    pub fn arm_endpoint_trimmed(&self) -> &str {
        self.arm_endpoint.trim_end_matches('/')
    }

    /// An [`super::ArmConfig`] for this cloud's ARM endpoint and scope.
    pub fn arm_config(&self) -> super::ArmConfig {
        let mut config = super::ArmConfig::new(self.arm_endpoint_trimmed());
        config.scope = self.arm_scope();
        config
    }

    /// A known cloud by its az name (`AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`,
    /// any case) or a common alias (`public`, `china`, `usgov`).
    pub fn by_name(name: &str) -> Result<Cloud> {
        let n = name
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "");
        let cloud = match n.as_str() {
            "azurecloud" | "public" | "azurepubliccloud" => AZURE_CLOUD,
            "azurechinacloud" | "china" => AZURE_CHINA_CLOUD,
            "azureusgovernment" | "usgov" | "usgovernment" | "azureusgovernmentcloud" => {
                AZURE_US_GOVERNMENT
            }
            _ => {
                return Err(Error::validation(format!(
                    "unknown cloud {name:?}; known clouds: AzureCloud, AzureChinaCloud, \
                     AzureUSGovernment (others can be read from their /metadata/endpoints \
                     document)"
                )))
            }
        };
        Ok(cloud)
    }

    /// The cloud chosen by the environment: `AZURE_CLOUD` (a name) first, then
    /// `AZURE_AUTHORITY_HOST` (the known cloud with that authority; an unknown authority,
    /// e.g. an emulator, keeps the public cloud's other endpoints), else [`AZURE_CLOUD`].
    pub fn from_env() -> Result<Cloud> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// [`Cloud::from_env`] reading variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Cloud> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        if let Some(name) = get("AZURE_CLOUD") {
            return Self::by_name(&name);
        }
        if let Some(authority) = get("AZURE_AUTHORITY_HOST") {
            if let Some(c) = KNOWN_CLOUDS
                .iter()
                .find(|c| same_url(&c.authority_host, &authority))
            {
                return Ok(c.clone());
            }
            crate::http::parse_endpoint(
                "AZURE_AUTHORITY_HOST",
                authority.trim().trim_end_matches('/'),
            )?;
            let mut c = AZURE_CLOUD;
            c.authority_host = Cow::Owned(with_slash(&authority));
            return Ok(c);
        }
        Ok(AZURE_CLOUD)
    }

    /// Reads an ARM `/metadata/endpoints` document. From api-version 2019-05-01 on ARM
    /// answers with a list of clouds: the first is returned (see
    /// [`Cloud::all_from_metadata`]); older versions answer with a single object.
    pub fn from_metadata(json: &str) -> Result<Cloud> {
        Self::all_from_metadata(json)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::validation("the cloud metadata document lists no cloud"))
    }

    /// Every cloud of a `/metadata/endpoints` document (an array or a single object).
    pub fn all_from_metadata(json: &str) -> Result<Vec<Cloud>> {
        let doc: Value = serde_json::from_str(json.trim_start_matches('\u{feff}'))
            .map_err(|e| Error::validation(format!("the cloud metadata is not JSON: {e}")))?;
        match doc {
            Value::Array(items) => items.iter().map(Self::from_metadata_value).collect(),
            Value::Object(_) => Ok(vec![Self::from_metadata_value(&doc)?]),
            _ => Err(Error::validation(
                "the cloud metadata is neither an object nor an array",
            )),
        }
    }

    fn from_metadata_value(doc: &Value) -> Result<Cloud> {
        let text = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let name = text(doc.get("name")).unwrap_or_else(|| "Custom".to_string());
        let missing = |field: &str| {
            Error::validation(format!("the cloud metadata for {name:?} has no '{field}'"))
        };
        let arm = text(doc.get("resourceManager")).ok_or_else(|| missing("resourceManager"))?;
        let auth = doc.get("authentication");
        let login = text(auth.and_then(|a| a.get("loginEndpoint")))
            .ok_or_else(|| missing("authentication.loginEndpoint"))?;
        let audiences: Vec<String> = auth
            .and_then(|a| a.get("audiences"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| text(Some(v))).collect())
            .unwrap_or_default();
        // Prefer the audience naming ARM itself, the one tokens for the ARM endpoint carry;
        // otherwise the first, as the Azure SDKs do.
        let audience = audiences
            .iter()
            .find(|a| same_url(a, &arm))
            .or_else(|| audiences.first())
            .cloned()
            .unwrap_or_else(|| arm.clone());
        let graph = text(doc.get("microsoftGraphResourceId"))
            .or_else(|| text(doc.get("graph")))
            .ok_or_else(|| missing("microsoftGraphResourceId"))?;
        let cloud = Cloud {
            name: Cow::Owned(name),
            arm_endpoint: Cow::Owned(with_slash(&arm)),
            authority_host: Cow::Owned(with_slash(&login)),
            arm_audience: Cow::Owned(with_slash(&audience)),
            graph_endpoint: Cow::Owned(with_slash(&graph)),
        };
        // A document is input like any other: plain http to a real host would send tokens
        // in clear, so it gets the same checks as a cloud given by hand.
        cloud
            .validate()
            .map_err(|e| Error::validation(format!("the cloud metadata: {}", e.message)))?;
        Ok(cloud)
    }

    /// A cloud given by hand (Azure Stack, a private emulator). `audience` defaults to the
    /// ARM endpoint. Every endpoint must be https, or http to a loopback host.
    pub fn custom(
        name: &str,
        arm_endpoint: &str,
        authority_host: &str,
        audience: Option<&str>,
        graph_endpoint: &str,
    ) -> Result<Cloud> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::validation("a cloud's name must not be empty"));
        }
        let audience = audience
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .unwrap_or(arm_endpoint);
        let cloud = Cloud {
            name: Cow::Owned(name.to_string()),
            arm_endpoint: Cow::Owned(with_slash(arm_endpoint)),
            authority_host: Cow::Owned(with_slash(authority_host)),
            arm_audience: Cow::Owned(with_slash(audience)),
            graph_endpoint: Cow::Owned(with_slash(graph_endpoint)),
        };
        cloud.validate()?;
        Ok(cloud)
    }

    /// Checks the endpoints as the ARM pipeline checks its own (https, or plain http to a
    /// loopback host; no credentials, query or fragment). The audience is a name, not an
    /// address: it only has to be an absolute URI.
    pub fn validate(&self) -> Result<()> {
        parse_endpoint("arm_endpoint", self.arm_endpoint.trim())?;
        parse_endpoint("authority_host", self.authority_host.trim())?;
        parse_endpoint("graph_endpoint", self.graph_endpoint.trim())?;
        url::Url::parse(self.arm_audience.trim()).map_err(|e| {
            Error::validation(format!(
                "audience {:?} is not an absolute URI: {e}",
                self.arm_audience
            ))
        })?;
        Ok(())
    }

    /// Where to read a cloud's metadata: `url` as given when it already names
    /// `/metadata/endpoints` (a query, e.g. an api-version, is kept), else, as for an ARM
    /// endpoint given alone, `{url}/metadata/endpoints?api-version=2022-09-01` (what `az`
    /// asks).
    pub fn metadata_url(url: &str) -> Result<url::Url> {
        let url = url.trim();
        let mut parsed = url::Url::parse(url).map_err(|e| {
            Error::validation(format!(
                "cloud metadata URL {url:?} is not a valid URL: {e}"
            ))
        })?;
        if parsed.fragment().is_some() {
            return Err(Error::validation(format!(
                "cloud metadata URL {url:?} must not have a fragment"
            )));
        }
        // The scheme, host and credential checks of an endpoint, on the URL without its query.
        let mut base = parsed.clone();
        base.set_query(None);
        parse_endpoint("cloud metadata URL", base.as_str())?;
        let names_document = parsed
            .path()
            .trim_end_matches('/')
            .to_ascii_lowercase()
            .ends_with("/metadata/endpoints");
        if !names_document {
            if parsed.query().is_some() {
                return Err(Error::validation(format!(
                    "cloud metadata URL {url:?} has a query but no /metadata/endpoints path; \
                     give either an ARM endpoint or the document's full URL"
                )));
            }
            let path = format!("{}/metadata/endpoints", parsed.path().trim_end_matches('/'));
            parsed.set_path(&path);
            parsed.set_query(Some(&format!("api-version={METADATA_API_VERSION}")));
        }
        Ok(parsed)
    }

    /// GETs a metadata document (see [`Cloud::metadata_url`]) and reads every cloud in it.
    /// `ca_file`: an extra CA certificate to trust (an emulator's), as for ARM.
    pub async fn fetch_metadata(url: &str, ca_file: Option<&Path>) -> Result<Vec<Cloud>> {
        let url = Self::metadata_url(url)?;
        let http = crate::http::build_http_client(
            Duration::from_secs(10),
            Duration::from_secs(30),
            ca_file,
        )?;
        let shown = without_query(&url);
        let mut resp = http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| {
                Error::transport(format!(
                    "cannot read the cloud metadata at {shown}: {}",
                    crate::http::describe(&e)
                ))
            })?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            Error::transport(format!(
                "cannot read the cloud metadata at {shown}: {}",
                crate::http::describe(&e)
            ))
        })? {
            if body.len() + chunk.len() > METADATA_MAX_BYTES {
                return Err(Error::validation(format!(
                    "the cloud metadata at {shown} is larger than {METADATA_MAX_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(Error::new(
                ErrorKind::Http,
                format!("the cloud metadata at {shown} answered {status}"),
            )
            .with_status(status.as_u16()));
        }
        let text = String::from_utf8(body).map_err(|_| {
            Error::validation(format!("the cloud metadata at {shown} is not UTF-8 text"))
        })?;
        Self::all_from_metadata(&text)
    }

    /// The cloud called `name` (any case, or an alias [`Cloud::by_name`] knows) among
    /// `clouds`, else the first; an error if `name` is given and none is called so.
    pub fn pick(clouds: Vec<Cloud>, name: Option<&str>) -> Result<Cloud> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return clouds
                .into_iter()
                .next()
                .ok_or_else(|| Error::validation("the cloud metadata document lists no cloud"));
        };
        let canonical = Self::by_name(name).ok().map(|c| c.name);
        let names: Vec<String> = clouds.iter().map(|c| c.name.to_string()).collect();
        clouds
            .into_iter()
            .find(|c| {
                c.name.eq_ignore_ascii_case(name)
                    || canonical
                        .as_deref()
                        .is_some_and(|k| c.name.eq_ignore_ascii_case(k))
            })
            .ok_or_else(|| {
                Error::validation(format!(
                    "no cloud {name:?} in the cloud metadata; it lists: {}",
                    names.join(", ")
                ))
            })
    }

    /// The cloud the environment chooses, as az does: when `ARM_CLOUD_METADATA_URL` is set,
    /// the document it names is fetched and the cloud `AZURE_CLOUD` names picked from it
    /// (else its first); otherwise [`Cloud::from_env_with`], which sends nothing.
    pub async fn resolve_env_with(
        lookup: impl Fn(&str) -> Option<String>,
        ca_file: Option<&Path>,
    ) -> Result<Cloud> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        match get(METADATA_URL_VARIABLE) {
            Some(url) => {
                let clouds = Self::fetch_metadata(&url, ca_file).await.map_err(|mut e| {
                    e.message = format!("{METADATA_URL_VARIABLE}: {}", e.message);
                    e
                })?;
                Self::pick(clouds, get("AZURE_CLOUD").as_deref())
            }
            None => Self::from_env_with(lookup),
        }
    }
}

/// A URL for messages: its query (an api-version, perhaps a SAS someone pasted) left out.
fn without_query(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

impl Default for Cloud {
    fn default() -> Self {
        AZURE_CLOUD
    }
}
