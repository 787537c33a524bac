"""Manual fidelity check: Azure's own Python SDKs against the emulator (not part of CI).

    python -m venv /tmp/azvenv && /tmp/azvenv/bin/pip install azure-identity \
        azure-mgmt-resource azure-mgmt-storage azure-mgmt-keyvault \
        azure-mgmt-applicationinsights azure-mgmt-machinelearningservices
    target/debug/azml-emulator --port 0 --tls --latency fast > /tmp/emu.env &
    sleep 1; . /tmp/emu.env      # the export lines it printed
    /tmp/azvenv/bin/python tests/sdk/emulator_sdk_smoke.py

MSAL needs an https authority (hence --tls and the CA in REQUESTS_CA_BUNDLE) and must not
try Azure's instance discovery (disable_instance_discovery=True).
"""
import os
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
url = os.environ["AZML_ENDPOINT"]
cred = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"], authority=url, disable_instance_discovery=True)
sub = os.environ["AZURE_SUBSCRIPTION_ID"]
tid = os.environ["AZURE_TENANT_ID"]
kw = dict(base_url=url, credential_scopes=["https://management.azure.com/.default"])
rm = ResourceManagementClient(cred, sub, **kw)
rm.resource_groups.create_or_update("MLrg", {"location": "eastus"})
st = StorageManagementClient(cred, sub, **kw)
sa = st.storage_accounts.begin_create("mlrg", "mlsa1", {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}).result()
kv = KeyVaultManagementClient(cred, sub, **kw).vaults.begin_create_or_update("mlrg", "ml-kv1", {"location": "eastus", "properties": {"tenant_id": tid, "sku": {"family": "A", "name": "standard"}, "access_policies": []}}).result()
print("vault", kv.properties.vault_uri, kv.properties.provisioning_state)
ai = ApplicationInsightsManagementClient(cred, sub, **kw).components.create_or_update("mlrg", "ml-ai1", {"location": "eastus", "kind": "web", "application_type": "web"})
print("ai", ai.instrumentation_key)
ml = MachineLearningServicesMgmtClient(cred, sub, **kw)
ws = ml.workspaces.begin_create_or_update("mlrg", "ws-one", {"location": "eastus", "identity": {"type": "SystemAssigned"}, "storage_account": sa.id, "key_vault": kv.id, "application_insights": ai.id, "friendly_name": "One"}).result()
print("ws", ws.name, ws.provisioning_state, ws.workspace_id, ws.discovery_url, ws.identity.principal_id is not None)
ws = ml.workspaces.update("mlrg", "ws-one", {"tags": {"x": "y"}, "description": "upd"})
print("updated", ws.tags, ws.description)
print("list", [w.name for w in ml.workspaces.list_by_resource_group("mlrg")], [w.name for w in ml.workspaces.list_by_subscription()])
keys = ml.workspaces.list_keys("mlrg", "ws-one")
print("keys", keys.user_storage_resource_id is not None)
p = ml.workspaces.begin_delete("mlrg", "ws-one")
p.result(timeout=60)
print("delete", p.status())
try:
    ml.workspaces.get("mlrg", "ws-one")
except Exception as e:
    print("after delete:", type(e).__name__)
try:
    ml.workspaces.begin_create_or_update("mlrg", "ws-one", {"location": "eastus", "storage_account": sa.id, "key_vault": kv.id}).result()
except Exception as e:
    print("recreate:", type(e).__name__, str(e).splitlines()[0])
rm.resource_groups.begin_delete("mlrg").result()
print("group deleted", rm.resource_groups.check_existence("mlrg"))
