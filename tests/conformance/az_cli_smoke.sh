#!/usr/bin/env bash
# Manual check of the real `az` against the emulator (CI runs the fuller
# tests/conformance/test_az_cli.py).
#
#   python3 -m venv /tmp/azcli && /tmp/azcli/bin/pip install azure-cli
#   scripts/loopback-only tests/conformance/az_cli_smoke.sh /tmp/azcli/bin/az
#
# Uses the azml of the repository's .venv to serve the emulator, and a throwaway
# AZURE_CONFIG_DIR so that the developer's own az profile is never touched.
set -euo pipefail
az=${1:-az}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill "$emu" 2>/dev/null || true; wait "$emu" 2>/dev/null || true; rm -rf "$work"' EXIT

"$root/.venv/bin/python" -m azml.emulator --tls --port 0 > "$work/env" &
emu=$!
for _ in $(seq 100); do grep -q AZML_ENDPOINT "$work/env" 2>/dev/null && break; sleep 0.1; done
# shellcheck disable=SC1091
. "$work/env"
export AZURE_CONFIG_DIR="$work/az" AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_NO_COLOR=1
# MSAL must not ask login.microsoftonline.com whether the emulator is a known authority.
export AZURE_CORE_INSTANCE_DISCOVERY=false

step() { printf '\n+ az %s\n' "$1"; }
step "cloud register"
"$az" cloud register -n AzmlEmulator \
    --endpoint-resource-manager "$AZML_ENDPOINT/" \
    --endpoint-active-directory "$AZML_ENDPOINT" \
    --endpoint-active-directory-resource-id "https://management.azure.com/" \
    --endpoint-active-directory-graph-resource-id "$AZML_ENDPOINT/" \
    --endpoint-management "https://management.azure.com/" -o none
"$az" cloud set -n AzmlEmulator -o none 2>/dev/null
step "login --service-principal"
"$az" login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" \
    --tenant "$AZURE_TENANT_ID" --query "[].{subscription:name, user:user.type}" -o tsv
step "group create / list / update / exists / delete"
"$az" group create -n azml-smoke -l eastus --tags a=b --query properties.provisioningState -o tsv
"$az" group list --query "[?name=='azml-smoke'].name" -o tsv
"$az" group update -n azml-smoke --tags c=d --query tags -o json
test "$("$az" group exists -n azml-smoke)" = true
"$az" group delete -n azml-smoke --yes
test "$("$az" group exists -n azml-smoke)" = false
echo "az smoke: all steps passed"
