//! ActivityPub federation: the rules of the network side, next to the rules of the app.
//!
//! - [`urls`]: the ids of our actors, notes and collections, and reading them back.
//! - [`keys`]: each person's RSA key pair (and the instance actor's).
//! - [`signatures`]: HTTP Signatures (draft-cavage, rsa-sha256), signing and verifying.
//! - [`client`]: the one outgoing HTTP client: signed, size- and time-bounded, and kept away
//!   from private addresses (no SSRF).
//! - [`vocab`]: the JSON documents we serve and send (Person, Note, activities).
//! - [`reading`]: what reading other servers' documents needs (addresses, HTML, the serde
//!   shapes of their properties), shared by [`remote`], [`notes`] and [`inbox`].
//! - [`remote`]: remote actors, fetched and cached; [`notes`]: remote notes, read and checked.
//! - [`inbox`]: what an incoming, verified activity does (one typed struct per activity type),
//!   through the app's own rules.
//! - [`documents`]: WebFinger, NodeInfo, actors, notes and collections as we serve them.
//! - [`outbox`]: queueing the activities a local action causes; [`delivery`] sends them.
//! - [`servers`]: the health of the servers we deliver to (unavailable ones get nothing).
//!
//! The HTTP routes that expose all of this live in the server crate (`server/src/http/activitypub.rs`).

pub mod client;
pub mod delivery;
pub mod documents;
pub mod inbox;
pub mod keys;
pub mod notes;
pub mod outbox;
pub mod reading;
pub mod remote;
pub mod servers;
pub mod signatures;
pub mod urls;
pub mod vocab;

use crate::error::AppError;

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Why the network side refused or failed something. Incoming requests are answered with
/// [`FederationError::status`] and the reason as text; nothing here is shown to people.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    /// The request's HTTP signature is missing, malformed, stale or wrong.
    #[error("signature: {0}")]
    Unauthorized(String),
    /// The signature is right but the signer may not do this (e.g. speaks for another actor).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The document is not something we can read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A remote server could not be reached or answered badly.
    #[error("remote: {0}")]
    Remote(String),
    /// Our side failed (the database, most likely): the sender should retry later.
    #[error("internal error")]
    Internal,
    /// The database cannot be reached right now: the sender should retry in a little while.
    #[error("temporarily unavailable; try again later")]
    Unavailable,
}

impl FederationError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            FederationError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            FederationError::Forbidden(_) => StatusCode::FORBIDDEN,
            FederationError::BadRequest(_) => StatusCode::BAD_REQUEST,
            // The activity could not be completed because another server failed: worth a retry.
            FederationError::Remote(_) => StatusCode::BAD_GATEWAY,
            FederationError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            FederationError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<sqlx::Error> for FederationError {
    fn from(error: sqlx::Error) -> Self {
        // A NUL in an id or text that no check caught: the sender's mistake, never retried.
        if crate::error::is_unstorable_text(&error) {
            return FederationError::BadRequest("the activity holds a NUL character".into());
        }
        if crate::error::is_unavailable(&error) {
            tracing::debug!(%error, "database unavailable in federation");
            return FederationError::Unavailable;
        }
        tracing::error!(%error, "database error in federation");
        FederationError::Internal
    }
}

impl From<AppError> for FederationError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Internal | AppError::Transport(_) => FederationError::Internal,
            AppError::Unavailable => FederationError::Unavailable,
            AppError::Forbidden | AppError::Unauthorized => {
                FederationError::Forbidden(error.to_string())
            }
            other => FederationError::BadRequest(other.to_string()),
        }
    }
}
