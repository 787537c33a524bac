//! What the client's integration tests share: a scripted ARM server that records what it
//! gets (`mock_arm`) and the sign-in helpers (`auth`).
pub mod auth;
pub mod mock_arm;
