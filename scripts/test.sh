#!/usr/bin/env bash
# The test command: everything CI checks, from a fresh clone on a fresh machine (the Rust
# toolchain and CPython >= 3.9 with pip). It installs what it needs, lints, builds the release
# wheel and the sdist, checks the sdist builds on its own, installs the wheel into a fresh
# virtualenv with no Rust toolchain on PATH, and runs the Rust tests and the Python suites
# (against that installed wheel) with a loopback-only network (scripts/loopback-only), so
# nothing can reach Azure, Entra ID, Graph or IMDS by accident. Then the same wheel on the
# oldest and newest CPython it serves (3.9, 3.13), where they are installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
loopback="$root/scripts/loopback-only"
pip_quiet=(--quiet --disable-pip-version-check)

step() { printf '\n==> %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

# PATH without the folders that hold cargo or rustc: what a user without Rust has.
path_without_rust() {
    local dir out=()
    IFS=: read -r -a dirs <<<"$PATH"
    for dir in "${dirs[@]}"; do
        [ -n "$dir" ] || continue
        if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ]; then continue; fi
        out+=("$dir")
    done
    (IFS=:; echo "${out[*]}")
}

# An interpreter of CPython $1 (e.g. 3.9): on PATH, or installed by pyenv.
find_python() {
    local v=$1 candidate
    for candidate in "$(command -v "python$v" 2>/dev/null || true)" \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c pass 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

step "install: crates, the linter, the real az CLI"
cargo fetch --locked
python3 -m venv .venv-lint
.venv-lint/bin/python -m pip install "${pip_quiet[@]}" "ruff>=0.8"
# The real az CLI for tests/conformance/test_az_cli.py, in a virtualenv of its own: its pinned
# azure-mgmt-* versions must not meet the conformance suite's. AZML_AZ_CLI may name one
# already installed.
if [ -z "${AZML_AZ_CLI:-}" ]; then
    python3 -m venv .venv-az
    .venv-az/bin/python -m pip install "${pip_quiet[@]}" -r requirements-az.txt
    export AZML_AZ_CLI="$root/.venv-az/bin/az"
fi
export AZML_REQUIRE_AZ_CLI=1 AZML_REQUIRE_ISOLATION_TESTS=1

step "format and lint"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
.venv-lint/bin/ruff check python tests examples benches scripts
.venv-lint/bin/ruff format --check python tests examples benches scripts

step "release wheel and sdist (scripts/wheel.sh)"
bash scripts/wheel.sh
wheel=$(echo "$root"/dist/azml-*.whl)

step "the sdist: what it holds, and a wheel built from it alone"
.venv-build/bin/python tests/packaging/check_sdist.py

step "the wheel, in a fresh virtualenv, with no Rust toolchain on PATH"
norust=$(path_without_rust)
rm -rf .venv-wheel
python3 -m venv .venv-wheel
.venv-wheel/bin/python -m pip install "${pip_quiet[@]}" -r requirements-test.txt
PATH="$norust" .venv-wheel/bin/python -m pip install "${pip_quiet[@]}" --no-index "$wheel"

step "Rust tests (loopback only)"
cargo test --locked --no-run --quiet
"$loopback" cargo test --locked --offline

step "quickstart and Python tests on the installed wheel (loopback only, no Rust on PATH)"
installed=(env PATH="$norust" AZML_TEST_INSTALLED_WHEEL="$wheel")
"$loopback" "${installed[@]}" .venv-wheel/bin/python examples/quickstart.py >/dev/null
"$loopback" "${installed[@]}" .venv-wheel/bin/python -m pytest tests/python tests/conformance tests/packaging \
    -q -p no:cacheprovider

for version in 3.9 3.13; do
    if ! python=$(find_python "$version"); then
        echo "CPython $version is not installed here: skipped"
        continue
    fi
    step "CPython $version: the same wheel, quickstart and tests/python"
    venv=".venv-py$version"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install "${pip_quiet[@]}" -r requirements-test.txt
    PATH="$norust" "$venv/bin/python" -m pip install "${pip_quiet[@]}" --no-index "$wheel"
    "$loopback" env PATH="$norust" "$venv/bin/python" examples/quickstart.py >/dev/null
    "$loopback" env PATH="$norust" AZML_TEST_INSTALLED_WHEEL="$wheel" \
        "$venv/bin/python" -m pytest tests/python -q -p no:cacheprovider
done
step "done"
