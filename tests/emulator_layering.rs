//! The emulator is an independent implementation of the server: nothing under src/emulator
//! (nor the emulator binary) may use the client layers.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn emulator_does_not_use_client_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src/emulator"), &mut files);
    files.push(root.join("src/bin/azml-emulator.rs"));
    assert!(files.len() > 5);
    let forbidden = [
        "crate::arm",
        "crate::ops",
        "crate::output",
        "crate::auth",
        "_azml::arm",
        "_azml::ops",
        "_azml::output",
        "_azml::auth",
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                assert!(!code.contains(f), "{}:{} uses {f}", file.display(), n + 1);
            }
        }
    }
}
