//! The emulator is an independent implementation of the server (ARCHITECTURE.md, principle
//! 1): a client bug must not be able to hide behind the same bug in the emulator. This test
//! keeps it from reaching into the client side.

use std::fs;
use std::path::{Path, PathBuf};

const CLIENT_MODULES: &[&str] = &["arm", "auth", "ops", "output", "python"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The client modules a piece of source names through `crate::`, `azml::` or `_azml::` paths.
fn client_modules_used(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["crate::", "_azml::", "azml::"] {
        for (at, _) in source.match_indices(prefix) {
            let preceded_by_ident = source[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if preceded_by_ident {
                continue;
            }
            let rest = &source[at + prefix.len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if CLIENT_MODULES.contains(&module.as_str()) {
                found.push(format!("{prefix}{module}"));
            }
        }
    }
    found
}

#[test]
fn detector_finds_client_paths() {
    assert_eq!(
        client_modules_used("use crate::arm::ArmClient;"),
        ["crate::arm"]
    );
    assert_eq!(client_modules_used("_azml::ops::Ops::new"), ["_azml::ops"]);
    assert!(client_modules_used("use crate::emulator::store;").is_empty());
    assert!(client_modules_used("use crate::armory;").is_empty());
    assert!(client_modules_used("my_azml::arm").is_empty());
}

#[test]
fn emulator_uses_nothing_from_the_client_side() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/emulator"), &mut files);
    files.push(root.join("src/bin/azml-emulator.rs"));
    assert!(files.len() > 1, "no emulator sources found");
    let mut offences = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source file");
        // Comments may name the client modules (to say they are off limits); code may not.
        let source: String = text
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for used in client_modules_used(&source) {
            offences.push(format!("{}: {used}", file.display()));
        }
        // `super::` climbing out of src/emulator reaches the crate root's siblings.
        if source.contains("super::super::super::") {
            offences.push(format!("{}: super::super::super::", file.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "the emulator must not use the client side:\n{}",
        offences.join("\n")
    );
}
