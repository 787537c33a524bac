#!/usr/bin/env bash
# Everything CI checks, from a fresh machine: installs what the tests need (a virtualenv in
# .venv, the crates), builds, lints, then runs the Rust and Python tests with a loopback-only
# network so that nothing can reach Azure, Entra ID, Graph or IMDS by accident.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
shared=${AZML_SHARED:-$root/../shared}
loopback="$shared/tools/loopback-only"
if [ ! -x "$loopback" ]; then
    echo "test.sh: $loopback not found (set AZML_SHARED to the shared/ folder)" >&2
    exit 2
fi

step() { printf '\n==> %s\n' "$*"; }

step "install (virtualenv .venv, Python test tools, crates)"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
cargo fetch --locked

step "format and lint"
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets --features python -- -D warnings
.venv/bin/ruff check python tests examples benches
.venv/bin/ruff format --check python tests examples benches

step "build the Python extension into .venv"
VIRTUAL_ENV="$root/.venv" PATH="$root/.venv/bin:$PATH" .venv/bin/maturin develop --locked --quiet
cargo test --locked --no-run --quiet

step "Rust tests (loopback only)"
"$loopback" cargo test --locked --offline

step "Python tests (loopback only)"
"$loopback" env AZML_TEST_ISOLATED=1 .venv/bin/python -m pytest tests/python tests/conformance -q -p no:cacheprovider
