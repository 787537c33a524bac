//! The emulator's Microsoft Graph slice: users and service principals.

use crate::support::emulator::{start, token_for};
use azml_emulator::Latency;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn users_are_found_by_upn_or_object_id() {
    let env = start(Latency::Instant).await;
    let graph = token_for(&env.http, &env.emu, "https://graph.microsoft.com/.default").await;
    let get = |path: String, token: String| {
        let http = env.http.clone();
        let url = format!("{}/v1.0/{path}", env.emu.url());
        async move {
            let r = http.get(url).bearer_auth(token).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };

    let (status, body) = get(
        "users/USER@azml-emulator.onmicrosoft.com".into(),
        graph.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["userPrincipalName"],
        "user@azml-emulator.onmicrosoft.com"
    );

    let id = env.emu.add_user("alice@contoso.com", "Alice");
    assert_eq!(
        env.emu.add_user("ALICE@contoso.com", "Alice"),
        id,
        "added once"
    );
    let (status, body) = get(format!("users/{id}"), graph.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["displayName"], "Alice");
    assert_eq!(body["mail"], "alice@contoso.com");

    let (status, body) = get("users/bob@contoso.com".into(), graph.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");

    let (status, body) = get(
        format!(
            "servicePrincipals?$filter=servicePrincipalNames/any(c:c%20eq%20'{}')",
            env.emu.client_id()
        ),
        graph.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["value"][0]["appId"], env.emu.client_id());
    assert_eq!(body["value"][0]["id"].as_str().unwrap().len(), 36);

    // An ARM token is not a Graph token.
    let (status, body) = get("users/alice@contoso.com".into(), env.token.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _) = get("users/alice@contoso.com".into(), String::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
