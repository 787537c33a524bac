#!/usr/bin/env bash
# Builds the release wheel (abi3: one wheel for CPython 3.9 and every later version) and the
# source distribution into dist/, and checks the wheel's platform tag.
#
# On Linux the wheel is manylinux_2_17 (manylinux2014): zig links it against glibc 2.17's
# symbols whatever glibc the build machine has, and `auditwheel show` must agree. Elsewhere it
# is a plain release wheel for this machine. Needs the Rust toolchain and CPython >= 3.9 with
# pip; installs its tools (requirements-build.txt) into .venv-build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python3 -m venv .venv-build
.venv-build/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-build.txt
export PATH="$root/.venv-build/bin:$PATH"

rm -rf dist
mkdir -p dist
if [ "$(uname -s)" = Linux ]; then
    maturin build --release --locked --zig --compatibility manylinux2014 --out dist
else
    maturin build --release --locked --out dist
fi
maturin sdist --out dist

wheels=(dist/azml-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
    echo "wheel.sh: expected one wheel in dist/, found: ${wheels[*]}" >&2
    exit 1
fi
if [ "$(uname -s)" = Linux ]; then
    report=$(auditwheel show "${wheels[0]}")
    echo "$report"
    # auditwheel wraps its lines: compare with the whitespace folded.
    if ! tr -s ' \n' '  ' <<<"$report" | grep -q 'consistent with the following platform tag: "manylinux_2_17_'; then
        echo "wheel.sh: auditwheel does not confirm manylinux_2_17 for ${wheels[0]}" >&2
        exit 1
    fi
fi
ls -l dist
