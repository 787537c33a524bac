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
# The real az CLI for tests/conformance/test_az_cli.py, in a virtualenv of its own: its pinned
# azure-mgmt-* versions must not meet the conformance suite's. AZML_AZ_CLI may name one
# already installed.
if [ -z "${AZML_AZ_CLI:-}" ]; then
    python3 -m venv .venv-az
    .venv-az/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-az.txt
    export AZML_AZ_CLI="$root/.venv-az/bin/az"
fi
export AZML_REQUIRE_AZ_CLI=1

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
