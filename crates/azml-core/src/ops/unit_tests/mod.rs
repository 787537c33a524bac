//! The commands against in-memory ARM doubles: which requests are sent, in which order,
//! with which bodies, and what happens when one fails.

mod create_update_delete;
mod fake_arm;
mod share_keys_lookup;
