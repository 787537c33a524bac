//! The client's api-version per resource type: the one table (ARM-CONTRACT.md §1).

pub const RESOURCE_GROUPS: &str = "2025-04-01";
pub const WORKSPACES: &str = "2025-12-01";
pub const STORAGE_ACCOUNTS: &str = "2025-01-01";
pub const KEY_VAULTS: &str = "2025-05-01";
pub const APP_INSIGHTS: &str = "2020-02-02";
pub const LOG_ANALYTICS: &str = "2023-09-01";
pub const CONTAINER_REGISTRIES: &str = "2025-04-01";
pub const AUTHORIZATION: &str = "2022-04-01";
pub const NETWORK: &str = "2025-07-01";
/// `GET /subscriptions/{sub}` (the tenant of a subscription).
pub const SUBSCRIPTIONS: &str = "2022-12-01";
/// `Microsoft.ManagedIdentity/userAssignedIdentities` (a workspace's primary identity).
pub const MANAGED_IDENTITIES: &str = "2023-01-31";
/// `Microsoft.Resources/providers` (registration of a namespace after `MissingSubscriptionRegistration`).
pub const PROVIDERS: &str = "2021-04-01";
