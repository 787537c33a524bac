//! What of Azure the emulator serves: the resource-provider namespaces with their resource
//! types and api-version families, which namespaces are registration-free, and the public
//! regions. Data only, below the rooms: the configuration is checked against it when a
//! context is made (`EmulatorConfig::unregistered`), and ARM serves it.

use crate::api_versions::Family;

/// (namespace, [(type, family)]) of the providers the emulator implements.
pub(crate) const PROVIDERS: &[(&str, &[(&str, Family)])] = &[
    (
        "Microsoft.MachineLearningServices",
        &[
            ("workspaces", Family::Workspaces),
            ("locations/workspaceOperationsStatus", Family::Workspaces),
        ],
    ),
    (
        "Microsoft.Storage",
        &[
            ("storageAccounts", Family::Storage),
            ("checkNameAvailability", Family::Storage),
        ],
    ),
    (
        "Microsoft.KeyVault",
        &[
            ("vaults", Family::KeyVault),
            ("deletedVaults", Family::KeyVault),
        ],
    ),
    ("Microsoft.Insights", &[("components", Family::AppInsights)]),
    (
        "Microsoft.ContainerRegistry",
        &[("registries", Family::ContainerRegistry)],
    ),
    (
        "Microsoft.ManagedIdentity",
        &[("userAssignedIdentities", Family::ManagedIdentity)],
    ),
    (
        "Microsoft.OperationalInsights",
        &[("workspaces", Family::LogAnalytics)],
    ),
    (
        "Microsoft.Network",
        &[
            ("virtualNetworks", Family::Network),
            ("virtualNetworks/subnets", Family::Network),
            ("privateEndpoints", Family::Network),
            ("locations/operations", Family::Network),
            ("locations/operationResults", Family::Network),
        ],
    ),
    (
        "Microsoft.Authorization",
        &[
            ("roleAssignments", Family::Authorization),
            ("roleDefinitions", Family::Authorization),
        ],
    ),
    (
        "Microsoft.Resources",
        &[
            ("resourceGroups", Family::Resources),
            ("subscriptions", Family::Subscriptions),
        ],
    ),
];

/// Namespaces that are always registered (ARM's `RegistrationFree`).
const REGISTRATION_FREE: &[&str] = &["Microsoft.Authorization", "Microsoft.Resources"];

/// The canonical spelling of a namespace the emulator serves.
pub(crate) fn known_namespace(ns: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| n.eq_ignore_ascii_case(ns))
}

pub(crate) fn namespaces() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().map(|(n, _)| *n)
}

/// Whether a namespace can be unregistered at all.
pub(crate) fn registration_free(ns: &str) -> bool {
    REGISTRATION_FREE.iter().any(|n| n.eq_ignore_ascii_case(ns))
}

/// Azure's public regions: (name, display name).
pub(crate) const REGIONS: &[(&str, &str)] = &[
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("southcentralus", "South Central US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
    ("australiaeast", "Australia East"),
    ("southeastasia", "Southeast Asia"),
    ("northeurope", "North Europe"),
    ("swedencentral", "Sweden Central"),
    ("uksouth", "UK South"),
    ("westeurope", "West Europe"),
    ("centralus", "Central US"),
    ("southafricanorth", "South Africa North"),
    ("centralindia", "Central India"),
    ("eastasia", "East Asia"),
    ("japaneast", "Japan East"),
    ("koreacentral", "Korea Central"),
    ("canadacentral", "Canada Central"),
    ("francecentral", "France Central"),
    ("germanywestcentral", "Germany West Central"),
    ("italynorth", "Italy North"),
    ("norwayeast", "Norway East"),
    ("polandcentral", "Poland Central"),
    ("spaincentral", "Spain Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("mexicocentral", "Mexico Central"),
    ("uaenorth", "UAE North"),
    ("brazilsouth", "Brazil South"),
    ("israelcentral", "Israel Central"),
    ("qatarcentral", "Qatar Central"),
    ("northcentralus", "North Central US"),
    ("westus", "West US"),
    ("japanwest", "Japan West"),
    ("centraluseuap", "Central US EUAP"),
    ("eastus2euap", "East US 2 EUAP"),
    ("westcentralus", "West Central US"),
    ("southafricawest", "South Africa West"),
    ("australiacentral", "Australia Central"),
    ("australiasoutheast", "Australia Southeast"),
    ("koreasouth", "Korea South"),
    ("southindia", "South India"),
    ("westindia", "West India"),
    ("canadaeast", "Canada East"),
    ("francesouth", "France South"),
    ("germanynorth", "Germany North"),
    ("norwaywest", "Norway West"),
    ("switzerlandwest", "Switzerland West"),
    ("ukwest", "UK West"),
    ("uaecentral", "UAE Central"),
    ("brazilsoutheast", "Brazil Southeast"),
    ("newzealandnorth", "New Zealand North"),
    ("indonesiacentral", "Indonesia Central"),
    ("malaysiawest", "Malaysia West"),
    ("chilecentral", "Chile Central"),
];
