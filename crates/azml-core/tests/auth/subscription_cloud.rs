//! Subscription resolution (explicit → AZURE_SUBSCRIPTION_ID → az profile) and clouds.

use crate::support::auth::{env_of, TempDir};
use azml_core::arm::cloud::{Cloud, AZURE_CHINA_CLOUD, AZURE_CLOUD, AZURE_US_GOVERNMENT};
use azml_core::auth::resolve_subscription_with;
use azml_core::ErrorKind;
use serde_json::json;

const S1: &str = "11111111-1111-1111-1111-111111111111";
const S2: &str = "22222222-2222-2222-2222-222222222222";
const S3: &str = "33333333-3333-3333-3333-333333333333";

/// Writes an az profile as az does: UTF-8 with a byte-order mark.
fn profile(dir: &std::path::Path, default: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let subs: Vec<_> = [S2, S3]
        .iter()
        .map(|id| json!({"id": id, "name": "sub", "isDefault": Some(*id) == default, "state": "Enabled", "tenantId": "t", "user": {"name": "u", "type": "user"}}))
        .collect();
    let text = format!(
        "\u{feff}{}",
        json!({"installationId": "x", "subscriptions": subs})
    );
    std::fs::write(dir.join("azureProfile.json"), text).unwrap();
}

#[test]
fn explicit_then_environment_then_profile() {
    let home = TempDir::new();
    profile(&home.join(".azure"), Some(S3));
    let with_env = env_of(&[("AZURE_SUBSCRIPTION_ID", S2)]);
    assert_eq!(
        resolve_subscription_with(Some(S1), &with_env, Some(home.path())).unwrap(),
        S1
    );
    assert_eq!(
        resolve_subscription_with(None, &with_env, Some(home.path())).unwrap(),
        S2
    );
    // Blank values do not count.
    let blank = env_of(&[("AZURE_SUBSCRIPTION_ID", "  ")]);
    assert_eq!(
        resolve_subscription_with(Some(""), &blank, Some(home.path())).unwrap(),
        S3
    );
}

#[test]
fn azure_config_dir_overrides_home() {
    let home = TempDir::new();
    profile(&home.join(".azure"), Some(S3));
    let other = TempDir::new();
    profile(other.path(), Some(S2));
    let dir = other.path().display().to_string();
    let env = env_of(&[("AZURE_CONFIG_DIR", dir.as_str())]);
    assert_eq!(
        resolve_subscription_with(None, &env, Some(home.path())).unwrap(),
        S2
    );
}

#[test]
fn nothing_found_is_a_clear_validation_error() {
    let home = TempDir::new();
    let err = resolve_subscription_with(None, env_of(&[]), Some(home.path())).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(
        err.message.contains("AZURE_SUBSCRIPTION_ID"),
        "{}",
        err.message
    );
    assert!(err.message.contains("does not exist"), "{}", err.message);

    profile(&home.join(".azure"), None);
    let err = resolve_subscription_with(None, env_of(&[]), Some(home.path())).unwrap_err();
    assert!(
        err.message.contains("no default subscription"),
        "{}",
        err.message
    );

    std::fs::write(home.join(".azure/azureProfile.json"), "\u{feff}{oops").unwrap();
    let err = resolve_subscription_with(None, env_of(&[]), Some(home.path())).unwrap_err();
    assert!(err.message.contains("not valid JSON"), "{}", err.message);

    let err = resolve_subscription_with(Some("../x"), env_of(&[]), None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.contains("not a subscription id"));
    let bad_env = env_of(&[("AZURE_SUBSCRIPTION_ID", "my-sub")]);
    let err = resolve_subscription_with(None, &bad_env, None).unwrap_err();
    assert!(
        err.message.contains("AZURE_SUBSCRIPTION_ID"),
        "{}",
        err.message
    );
}

#[test]
fn known_clouds_and_selection() {
    assert_eq!(
        AZURE_CLOUD.arm_scope(),
        "https://management.azure.com/.default"
    );
    assert_eq!(
        AZURE_CLOUD.arm_endpoint_trimmed(),
        "https://management.azure.com"
    );
    assert_eq!(
        Cloud::by_name("azurechinacloud").unwrap(),
        AZURE_CHINA_CLOUD
    );
    assert_eq!(
        Cloud::by_name("AzureUSGovernment").unwrap(),
        AZURE_US_GOVERNMENT
    );
    assert_eq!(
        Cloud::by_name("Mars").unwrap_err().kind,
        ErrorKind::Validation
    );
    assert_eq!(Cloud::from_env_with(env_of(&[])).unwrap(), AZURE_CLOUD);
    assert_eq!(
        Cloud::from_env_with(env_of(&[("AZURE_CLOUD", "AzureChinaCloud")])).unwrap(),
        AZURE_CHINA_CLOUD
    );
    assert_eq!(
        Cloud::from_env_with(env_of(&[(
            "AZURE_AUTHORITY_HOST",
            "https://login.microsoftonline.us"
        )]))
        .unwrap(),
        AZURE_US_GOVERNMENT
    );
    // An emulator's authority keeps the rest of the public cloud.
    let c =
        Cloud::from_env_with(env_of(&[("AZURE_AUTHORITY_HOST", "http://127.0.0.1:8443")])).unwrap();
    assert_eq!(c.authority_host, "http://127.0.0.1:8443/");
    assert_eq!(c.arm_endpoint, AZURE_CLOUD.arm_endpoint);
    assert!(
        Cloud::from_env_with(env_of(&[("AZURE_AUTHORITY_HOST", "http://evil.example")])).is_err()
    );
}

#[test]
fn metadata_documents_are_read() {
    // The public cloud's document as ARM serves it from 2019-05-01 on: a list.
    let public = json!([{
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureCloud",
        "suffixes": {"storage": "core.windows.net"},
        "batch": "https://batch.core.windows.net/",
        "resourceManager": "https://management.azure.com/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/"
    }, {
        "name": "AzureChinaCloud",
        "authentication": {"loginEndpoint": "https://login.chinacloudapi.cn", "audiences": ["https://management.core.chinacloudapi.cn", "https://management.chinacloudapi.cn"]},
        "resourceManager": "https://management.chinacloudapi.cn",
        "microsoftGraphResourceId": "https://microsoftgraph.chinacloudapi.cn"
    }]);
    let c = Cloud::from_metadata(&public.to_string()).unwrap();
    assert_eq!(c, AZURE_CLOUD);
    let all = Cloud::all_from_metadata(&format!("\u{feff}{public}")).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], AZURE_CHINA_CLOUD);

    // A single object (older api-versions, an emulator).
    let emu = json!({
        "name": "AzmlEmulator",
        "authentication": {"loginEndpoint": "http://127.0.0.1:5000", "audiences": ["http://127.0.0.1:5000/", "https://management.azure.com/"]},
        "resourceManager": "http://127.0.0.1:5000/",
        "graph": "http://127.0.0.1:5000/"
    });
    let c = Cloud::from_metadata(&emu.to_string()).unwrap();
    assert_eq!(c.name, "AzmlEmulator");
    assert_eq!(c.arm_scope(), "http://127.0.0.1:5000/.default");
    assert_eq!(c.graph_endpoint, "http://127.0.0.1:5000/");
    let config = c.arm_config();
    assert_eq!(config.endpoint, "http://127.0.0.1:5000");
    assert_eq!(config.scope, "http://127.0.0.1:5000/.default");
    assert_eq!(
        AZURE_CLOUD.arm_config().scope,
        azml_core::arm::ArmConfig::new("x").scope
    );

    for bad in [
        "not json".to_string(),
        "[]".to_string(),
        "42".to_string(),
        json!({"name": "x", "authentication": {"loginEndpoint": "https://l"}, "microsoftGraphResourceId": "https://g"}).to_string(),
        json!({"name": "x", "resourceManager": "https://m", "microsoftGraphResourceId": "https://g"}).to_string(),
        json!({"name": "x", "resourceManager": "not a url", "authentication": {"loginEndpoint": "https://l"}, "microsoftGraphResourceId": "https://g"}).to_string(),
    ] {
        let err = Cloud::from_metadata(&bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{bad}");
    }
}

#[test]
fn custom_clouds_are_checked_like_endpoints() {
    let c = Cloud::custom(
        " Stack ",
        "https://management.local.azurestack.external",
        "https://adfs.local.azurestack.external/adfs",
        None,
        "https://graph.local.azurestack.external",
    )
    .unwrap();
    assert_eq!(c.name, "Stack");
    assert_eq!(
        c.arm_endpoint,
        "https://management.local.azurestack.external/"
    );
    assert_eq!(c.arm_audience, c.arm_endpoint);
    assert_eq!(
        c.arm_scope(),
        "https://management.local.azurestack.external/.default"
    );
    let with_audience = Cloud::custom(
        "Stack",
        "https://m.example",
        "https://l.example",
        Some("https://aud.example/x"),
        "https://g.example",
    )
    .unwrap();
    assert_eq!(with_audience.arm_scope(), "https://aud.example/x/.default");
    assert!(Cloud::custom(
        "Emu",
        "http://127.0.0.1:1",
        "http://localhost:2",
        None,
        "http://[::1]:3"
    )
    .is_ok());
    let ok = [
        "x",
        "https://m.example",
        "https://l.example",
        "https://g.example",
    ];
    for (i, bad) in [
        "",
        "http://m.example",
        "http://l.example",
        "ftp://g.example",
    ]
    .iter()
    .enumerate()
    {
        let mut args = ok;
        args[i] = bad;
        let err = Cloud::custom(args[0], args[1], args[2], None, args[3]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation, "{bad}");
    }
    let err = Cloud::custom("x", ok[1], ok[2], Some("not a uri"), ok[3]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    // A document gets the same checks: plain http to a real host is refused.
    let doc = json!({"name": "x", "resourceManager": "http://arm.example/", "authentication": {"loginEndpoint": "https://l"}, "microsoftGraphResourceId": "https://g"});
    assert_eq!(
        Cloud::from_metadata(&doc.to_string()).unwrap_err().kind,
        ErrorKind::Validation
    );
}

#[test]
fn metadata_urls_as_az_asks_them() {
    let url = |u: &str| Cloud::metadata_url(u).map(|u| u.to_string());
    assert_eq!(
        url("https://management.local.azurestack.external").unwrap(),
        "https://management.local.azurestack.external/metadata/endpoints?api-version=2022-09-01"
    );
    assert_eq!(
        url("http://127.0.0.1:8080/prefix/").unwrap(),
        "http://127.0.0.1:8080/prefix/metadata/endpoints?api-version=2022-09-01"
    );
    // The document's own URL is kept, query and all.
    assert_eq!(
        url("https://management.azure.com/metadata/endpoints?api-version=2019-05-01").unwrap(),
        "https://management.azure.com/metadata/endpoints?api-version=2019-05-01"
    );
    assert_eq!(
        url("https://arm.example/Metadata/Endpoints").unwrap(),
        "https://arm.example/Metadata/Endpoints"
    );
    for bad in [
        "not a url",
        "http://arm.example",
        "ftp://127.0.0.1/metadata/endpoints",
        "https://user:pw@arm.example",
        "https://arm.example/?api-version=1",
        "https://arm.example/metadata/endpoints#x",
    ] {
        assert_eq!(
            Cloud::metadata_url(bad).unwrap_err().kind,
            ErrorKind::Validation,
            "{bad}"
        );
    }
}

#[test]
fn picking_a_cloud_in_a_document() {
    let clouds = vec![AZURE_CLOUD, AZURE_CHINA_CLOUD];
    assert_eq!(Cloud::pick(clouds.clone(), None).unwrap(), AZURE_CLOUD);
    assert_eq!(
        Cloud::pick(clouds.clone(), Some("azurechinacloud")).unwrap(),
        AZURE_CHINA_CLOUD
    );
    // An alias of a known cloud finds it under its az name.
    assert_eq!(
        Cloud::pick(clouds.clone(), Some("china")).unwrap(),
        AZURE_CHINA_CLOUD
    );
    let err = Cloud::pick(clouds, Some("AzureUSGovernment")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(
        err.message.contains("AzureCloud, AzureChinaCloud"),
        "{}",
        err.message
    );
    assert!(Cloud::pick(vec![], None).is_err());
}

#[tokio::test]
async fn the_environment_fetches_arm_cloud_metadata_url() {
    use azml_emulator::{Emulator, EmulatorConfig};
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let url = emu.url();
    let ca = emu.ca_file();
    let resolve = |vars: Vec<(&'static str, String)>| {
        let ca = ca.clone();
        async move {
            let lookup = move |k: &str| {
                vars.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.clone())
            };
            Cloud::resolve_env_with(lookup, ca.as_deref()).await
        }
    };
    let c = resolve(vec![("ARM_CLOUD_METADATA_URL", url.clone())])
        .await
        .unwrap();
    assert_eq!(c.name, "AzmlEmulator");
    assert_eq!(c.arm_endpoint, format!("{url}/"));
    assert_eq!(c.arm_scope(), format!("{url}/.default"));
    let list = format!("{url}/metadata/endpoints?api-version=2019-05-01");
    let c = resolve(vec![
        ("ARM_CLOUD_METADATA_URL", list.clone()),
        ("AZURE_CLOUD", "azmlemulator".into()),
    ])
    .await
    .unwrap();
    assert_eq!(c.name, "AzmlEmulator");
    let err = resolve(vec![
        ("ARM_CLOUD_METADATA_URL", list),
        ("AZURE_CLOUD", "AzureCloud".into()),
    ])
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    // Not found, unreachable: typed, and naming the variable.
    let err = resolve(vec![(
        "ARM_CLOUD_METADATA_URL",
        format!("{url}/nowhere/metadata/endpoints"),
    )])
    .await
    .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Http, Some(404)));
    assert!(
        err.message.starts_with("ARM_CLOUD_METADATA_URL"),
        "{}",
        err.message
    );
    let err = resolve(vec![(
        "ARM_CLOUD_METADATA_URL",
        "http://127.0.0.1:9".into(),
    )])
    .await
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport);
    // Without it nothing is fetched: the variables choose among the known clouds.
    assert_eq!(
        resolve(vec![("AZURE_CLOUD", "usgov".into())])
            .await
            .unwrap(),
        AZURE_US_GOVERNMENT
    );
    assert_eq!(resolve(vec![]).await.unwrap(), AZURE_CLOUD);
    emu.stop(std::time::Duration::from_secs(1)).await;
}
