//! What the emulator's integration tests share (`emulator`: start it, sign in, send requests).
pub mod emulator;
