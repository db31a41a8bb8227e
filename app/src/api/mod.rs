//! Server functions: typed calls from the browser (or a plain form post) to the server.
//! Each one reads its request context, then delegates to `backend`, which owns the rules.

pub mod accounts;
pub mod api_keys;
pub mod notifications;
pub mod profiles;
pub mod safety;
pub mod saved;
pub mod timeline;

#[cfg(test)]
mod local_path_properties;
