//! `az ml workspace …`, one module per command family: reading (list, show), the creation
//! plan and its writes, update, delete, share, keys, diagnose; `dependent` is the record of
//! a resource a workspace links to, which creation and deletion both keep.

pub mod create;
pub mod delete;
mod dependent;
pub mod diagnose;
pub mod keys;
pub mod read;
pub mod share;
pub mod update;
