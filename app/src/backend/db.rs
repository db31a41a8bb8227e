use sqlx::{migrate::Migrator, PgPool};

use super::federation::client::Client;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// What the rules need from the running server: the database and the public base URL
/// (used for links and ActivityPub ids).
#[derive(Clone, Debug)]
pub struct Backend {
    pub pool: PgPool,
    /// Scheme, host and port, without a trailing slash.
    pub public_url: String,
    /// The HTTP client for other fediverse servers.
    pub federation: Client,
}

impl Backend {
    /// `allow_private_network`: federation may reach loopback and private addresses over
    /// plain http (tests and local development only).
    pub fn new(pool: PgPool, public_url: String, allow_private_network: bool) -> Self {
        let agent = format!("Thoughtspace/{} (+{public_url})", env!("CARGO_PKG_VERSION"));
        Backend { pool, federation: Client::new(allow_private_network, &agent), public_url }
    }

    /// Cookies get the `Secure` attribute when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
