//! Azure clouds: where ARM, the token authority and Graph live for each sovereign cloud, and
//! the same read from an ARM `/metadata/endpoints` document (Azure Stack, the emulator).

use std::borrow::Cow;

use serde_json::Value;

use crate::error::{Error, Result};

/// The endpoints of one cloud. URLs keep the trailing `/` their metadata documents use.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            crate::arm::pipeline::parse_endpoint(
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
        for (what, url) in [
            ("resourceManager", &arm),
            ("loginEndpoint", &login),
            ("graph", &graph),
        ] {
            url::Url::parse(url).map_err(|e| {
                Error::validation(format!(
                    "the cloud metadata's {what} {url:?} is not a URL: {e}"
                ))
            })?;
        }
        Ok(Cloud {
            name: Cow::Owned(name),
            arm_endpoint: Cow::Owned(with_slash(&arm)),
            authority_host: Cow::Owned(with_slash(&login)),
            arm_audience: Cow::Owned(with_slash(&audience)),
            graph_endpoint: Cow::Owned(with_slash(&graph)),
        })
    }
}

impl Default for Cloud {
    fn default() -> Self {
        AZURE_CLOUD
    }
}
