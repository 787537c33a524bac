//! The loopback-only guard of azml's HTTP client (`azml_core::loopback_guard`): on, a request to a
//! host that is not this machine fails at once with an error that names the host, and requests
//! to loopback go through.

use azml_core::loopback_guard;
use serde_json::json;

#[tokio::test]
async fn refuses_other_hosts_and_lets_loopback_through() {
    loopback_guard::enforce();
    assert!(loopback_guard::enabled());

    let mock = crate::support::mock_arm::mock(|_| {
        crate::support::mock_arm::reply(200, &[], Some(json!({"name": "rg"})))
    })
    .await;
    let body = crate::support::mock_arm::client(&mock.base)
        .get("/subscriptions/s/resourcegroups/rg", "2021-04-01")
        .await
        .expect("a loopback server is reached");
    assert_eq!(body["name"], "rg");
    let localhost = mock.base.replace("127.0.0.1", "localhost");
    crate::support::mock_arm::client(&localhost)
        .get("/subscriptions/s/resourcegroups/rg", "2021-04-01")
        .await
        .expect("localhost is resolved without DNS and reached");

    for (endpoint, shown) in [
        ("https://192.0.2.1:9", "192.0.2.1:9"),
        ("https://management.azure.com", "management.azure.com:443"),
        ("https://169.254.169.254", "169.254.169.254:443"),
        ("https://[2001:db8::1]:8443", "[2001:db8::1]:8443"),
    ] {
        let err = crate::support::mock_arm::client(endpoint)
            .get("/subscriptions/s/resourcegroups/rg", "2021-04-01")
            .await
            .expect_err("a non-loopback host must be refused");
        let text = err.to_string();
        assert!(
            text.contains("loopback-only guard") && text.contains(shown),
            "{endpoint}: {text}"
        );
        // The refusal alone, not the proxy and DNS layers it travelled through.
        assert!(!text.contains("dns error"), "{text}");
    }
    // Only the loopback requests reached a server.
    assert_eq!(mock.count(), 2);
}
