//! One module per route.

pub mod bookmarks;
pub mod edit;
pub mod follows;
pub mod home;
pub mod lists;
pub mod login;
pub mod not_found;
pub mod notifications;
pub mod profile;
pub mod safety;
pub mod search;
pub mod settings;
pub mod signup;
pub mod tag;
pub mod thread;
