
#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::{LroPattern, LroVerb};
    use crate::error::ErrorKind;

    const SUB: &str = "00000000-0000-0000-0000-00000000000a";

    fn token() -> ContinuationToken {
        let mut operation = LroState::finished(
            LroVerb::Delete,
            format!("/subscriptions/{SUB}/resourcegroups/rg?api-version=2025-04-01"),
            Value::Null,
        );
        operation.pattern = LroPattern::Location {
            url: "/subscriptions/x/operationresults/abc?api-version=2025-04-01".into(),
        };
        ContinuationToken {
            v: TOKEN_VERSION,
            endpoint: endpoint_origin("https://management.azure.com").unwrap(),
            subscription: SUB.into(),
            op: "group.delete".into(),
            output: "v1".into(),
            state: Continuation::GroupDelete { operation },
        }
    }

    #[test]
    fn a_token_round_trips_without_what_only_this_process_knows() {
        let t = token();
        let s = t.encode();
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let back = ContinuationToken::decode(&s, "https://management.azure.com/", SUB).unwrap();
        let Continuation::GroupDelete { operation } = &back.state else {
            panic!("{back:?}")
        };
        assert!(operation.ready_value().is_none());
        let Continuation::GroupDelete { operation: orig } = &t.state else {
            unreachable!()
        };
        assert_eq!(operation, &orig.detached());
        assert_eq!(back.endpoint, "https://management.azure.com:443");
        // The port may be spelled out; the subscription's case does not matter.
        ContinuationToken::decode(
            &s,
            "https://MANAGEMENT.azure.com:443",
            &SUB.to_uppercase(),
        )
        .unwrap();
    }

    #[test]
    fn a_token_for_another_endpoint_subscription_or_version_is_refused() {
        let s = token().encode();
        for other in [
            "https://management.chinacloudapi.cn",
            "http://management.azure.com",
            "https://management.azure.com:8443",
            "http://127.0.0.1:8080",
        ] {
            let e = ContinuationToken::decode(&s, other, SUB).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{other}");
            assert!(
                e.message.contains("https://management.azure.com:443"),
                "{}",
                e.message
            );
        }
        let e = ContinuationToken::decode(&s, "https://management.azure.com", "other").unwrap_err();
        assert!(e.message.contains("subscription"), "{}", e.message);
        let mut newer = token();
        newer.v = TOKEN_VERSION + 1;
        let e = ContinuationToken::decode(&newer.encode(), "https://management.azure.com", SUB)
            .unwrap_err();
        assert!(e.message.contains("format version"), "{}", e.message);
        for garbage in ["", "%%%", "bm90IGpzb24", "e30"] {
            let e = ContinuationToken::decode(garbage, "https://management.azure.com", SUB)
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{garbage}");
        }
    }
}
