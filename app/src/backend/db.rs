use sqlx::{migrate::Migrator, PgPool};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// What the rules need from the running server: the database and the public base URL
/// (used for links and ActivityPub ids).
#[derive(Clone, Debug)]
pub struct Backend {
    pub pool: PgPool,
    pub public_url: String,
}
