use sqlx::{migrate::Migrator, PgPool};

use super::federation::client::{Client, FederationOptions};

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
    /// Live updates for open pages (fed by `live::listen`, which the server starts).
    pub live: super::live::Hub,
    /// Whether the database answers and the delivery worker turns (read by `/ready` and by
    /// every request while the database is away).
    pub health: super::health::Health,
}

impl Backend {
    /// Fails only when `federation.extra_ca_pem` holds no readable certificate.
    pub fn new(
        pool: PgPool,
        public_url: String,
        federation: &FederationOptions,
    ) -> Result<Self, String> {
        let agent = format!("Thoughtspace/{} (+{public_url})", env!("CARGO_PKG_VERSION"));
        Ok(Backend {
            pool,
            federation: Client::new(federation, &agent)?,
            public_url,
            live: Default::default(),
            health: Default::default(),
        })
    }

    /// Cookies get the `Secure` attribute when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
