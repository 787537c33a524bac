//! `output::query` against Python `jmespath` as az runs it (`tests/data/jmespath_golden.json`,
//! its `about` says how it was produced): same results, same key order for objects built by
//! the query, same error messages, same expressions accepted.

use std::path::Path;

use azml_core::output::{self, QueryError};
use serde_json::Value;

fn golden() -> Value {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/data/jmespath_golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden data")).expect("JSON")
}

#[test]
fn results_and_errors_match_python_jmespath() {
    let g = golden();
    let cases = g["cases"].as_array().expect("cases");
    assert!(cases.len() >= 100);
    let mut failures = Vec::new();
    for r in cases {
        let expr = r["expr"].as_str().unwrap();
        let got = output::query(&r["data"], expr);
        let ok = match (&got, r.get("error"), r.get("result")) {
            (Err(QueryError::Runtime(m)), Some(e), _) => m == e.as_str().unwrap(),
            (Ok(v), None, Some(expected)) => {
                let text = if v.is_null() {
                    "null".to_string()
                } else {
                    output::to_az_json(v)
                };
                let order_ok = r.get("order").is_none_or(|order| {
                    let keys: Vec<&String> = v
                        .as_object()
                        .map(|m| m.keys().collect())
                        .unwrap_or_default();
                    serde_json::to_value(keys).unwrap() == *order
                });
                text == expected.as_str().unwrap() && order_ok
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{expr}\n  data: {}\n  python: {}\n  ours: {got:?}",
                r["data"],
                r.get("result").or(r.get("error")).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn accepts_the_expressions_python_accepts() {
    let g = golden();
    for r in g["parse"].as_array().unwrap() {
        let expr = r["expr"].as_str().unwrap();
        let python_ok = r["ok"].as_bool().unwrap();
        let ours = output::check_query(expr);
        assert_eq!(ours.is_ok(), python_ok, "{expr:?}: {ours:?}");
        if let Err(e) = ours {
            assert!(e
                .to_string()
                .starts_with("argument --query: invalid jmespath_type value: "));
        }
    }
}
