//! Golden tests of `output::az_output` (`--query` and `-o`) against what az's own code
//! printed for the same values (`tests/data/az_render_golden.json`, its `about` says how it
//! was produced). Every case is checked and all mismatches are reported together.

use std::path::{Path, PathBuf};

use azml_core::output::{self, Format, OutputKind, TableTransformer};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures")
}

fn golden() -> Value {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/data/az_render_golden.json");
    let text = std::fs::read_to_string(&path).expect("golden data");
    serde_json::from_str(&text).expect("golden data is JSON")
}

fn input(golden: &Value, name: &str) -> Value {
    if name == "workspace" {
        let arm_path = fixtures_dir().join("az-output/workspace-get.arm.json");
        let arm: Value =
            serde_json::from_str(&std::fs::read_to_string(&arm_path).expect("ARM fixture"))
                .expect("ARM fixture is JSON");
        return output::workspace(&arm, Format::V1);
    }
    golden["inputs"][name].clone()
}

/// Shows control characters so that colour codes and tabs are visible in a failure.
fn visible(s: &str) -> String {
    s.escape_debug().to_string().replace("\\n", "\\n\n")
}

#[test]
fn az_output_matches_az_for_every_case() {
    let g = golden();
    let cases = g["cases"].as_array().expect("cases");
    assert!(cases.len() > 50, "golden data looks truncated");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind: OutputKind = case["kind"].as_str().unwrap().parse().unwrap();
        let query = case["query"].as_str();
        let transformer = match case["table_transformer"].as_str() {
            Some("group_list") => Some(TableTransformer::GroupList),
            Some(other) => panic!("unknown transformer {other}"),
            None => None,
        };
        let expected = case["expected"].as_str().unwrap();
        // az_output applies az's global transform itself.
        let value = input(&g, case["input"].as_str().unwrap());
        match output::az_output(&value, query, kind, transformer) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => failures.push(format!(
                "{name} / -o {kind}:\n--- expected\n{}\n--- actual\n{}",
                visible(expected),
                visible(&actual)
            )),
            Err(e) => failures.push(format!("{name} / -o {kind}: error {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The v1 shaper adds `resourceGroup`, which azureml-core 1.1.5's dict lacks; az's global
/// transform adds the same key before printing, so what az printed is what we print.
#[test]
fn workspace_input_is_the_v1_fixture_as_az_prints_it() {
    let shaped = input(&golden(), "workspace");
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            fixtures_dir().join("az-output/workspace.v1.azureml-core-1.1.5.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(fixture.get("resourceGroup").is_none());
    assert_eq!(output::add_resource_group(&shaped), shaped);
    assert_eq!(output::add_resource_group(&fixture), shaped);
}

#[test]
fn query_id_tsv_is_the_bare_id() {
    let ws = input(&golden(), "workspace");
    let out = output::az_output(&ws, Some("id"), OutputKind::Tsv, None).unwrap();
    assert_eq!(
        out,
        format!("{}\n", ws["id"].as_str().unwrap()),
        "what `$(az … --query id -o tsv)` captures"
    );
    let out = output::az_output(&ws, Some("id"), OutputKind::Json, None).unwrap();
    assert_eq!(out, format!("\"{}\"\n", ws["id"].as_str().unwrap()));
}

#[test]
fn bad_query_fails_before_output() {
    let err = output::az_output(&Value::Null, Some("[].{"), OutputKind::Json, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument --query: invalid jmespath_type value: '[].{'"
    );
}
