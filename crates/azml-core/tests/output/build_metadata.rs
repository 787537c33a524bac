//! The workspace's `rust-version` is what the locked dependency tree really needs: the highest
//! `rust-version` any locked package declares (a lower one would promise a toolchain that
//! cannot build us; a higher one would turn away one that can).

use std::process::Command;

use serde_json::Value;

/// The workspace's own crates (they share the declared version).
fn is_ours(package: &Value) -> bool {
    package["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("azml-"))
}

fn parse(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|p| p.parse().expect("a numeric rust-version"))
        .collect()
}

#[test]
fn rust_version_is_the_locked_trees_minimum() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let resolved: Vec<&str> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == env!("CARGO_PKG_NAME"))
        .unwrap();
    let declared = parse(ours["rust_version"].as_str().expect("rust-version is set"));
    let (needed, by) = packages
        .iter()
        .filter(|p| !is_ours(p))
        .filter(|p| resolved.contains(&p["id"].as_str().unwrap()))
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            Some((parse(v), format!("{} {}", p["name"], p["version"])))
        })
        .max()
        .expect("some dependency declares a rust-version");
    let strip = |mut v: Vec<u64>| {
        while v.len() > 2 && v.last() == Some(&0) {
            v.pop();
        }
        v
    };
    assert_eq!(
        strip(declared),
        strip(needed.clone()),
        "Cargo.toml's rust-version must be {needed:?}, what {by} needs"
    );
}
