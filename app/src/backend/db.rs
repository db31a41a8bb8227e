use sqlx::{migrate::Migrator, PgPool};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// What the rules need from the running server: the database and the public base URL
/// (used for links and ActivityPub ids).
#[derive(Clone, Debug)]
pub struct Backend {
    pub pool: PgPool,
    /// Scheme, host and port, without a trailing slash.
    pub public_url: String,
}

impl Backend {
    /// Cookies get the `Secure` attribute when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
