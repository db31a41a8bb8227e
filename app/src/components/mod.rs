//! Pieces of UI the pages share.

pub mod layout;
pub mod thought;
