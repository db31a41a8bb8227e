//! RSA key pairs (2048 bits, the size the fediverse expects). Each local person gets one at
//! sign-up; people created before federation existed get theirs the first time it is needed.
//! Private keys stay in the database and are only used to sign.

use rsa::{
    pkcs1::DecodeRsaPublicKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding},
    RsaPrivateKey, RsaPublicKey,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::AppError;

const BITS: usize = 2048;

#[derive(Clone)]
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_pem", &self.public_pem)
            .finish_non_exhaustive()
    }
}

/// A new key pair, made off the async threads (it takes tens of milliseconds).
pub async fn generate() -> Result<KeyPair, AppError> {
    tokio::task::spawn_blocking(|| {
        let private =
            RsaPrivateKey::new(&mut rsa::rand_core::OsRng, BITS).map_err(|e| e.to_string())?;
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let private_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?
            .to_string();
        Ok::<_, String>(KeyPair {
            public_pem,
            private_pem,
        })
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|result| result)
    .map_err(|error| {
        tracing::error!(%error, "generating a key pair failed");
        AppError::Internal
    })
}

/// Stores `user`'s key pair (part of the sign-up transaction).
pub async fn store(db: &mut PgConnection, user: Uuid, keys: &KeyPair) -> Result<(), AppError> {
    sqlx::query("INSERT INTO actor_keys (user_id, public_key_pem, private_key_pem) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(user)
        .bind(&keys.public_pem)
        .bind(&keys.private_pem)
        .execute(db)
        .await?;
    Ok(())
}

/// `user`'s key pair, made now if they have none yet.
pub async fn for_user(pool: &PgPool, user: Uuid) -> Result<KeyPair, AppError> {
    let select = "SELECT public_key_pem, private_key_pem FROM actor_keys WHERE user_id = $1";
    if let Some((public_pem, private_pem)) = sqlx::query_as(select)
        .bind(user)
        .fetch_optional(pool)
        .await?
    {
        return Ok(KeyPair {
            public_pem,
            private_pem,
        });
    }
    let keys = generate().await?;
    store(&mut *pool.acquire().await?, user, &keys).await?;
    // Another request may have stored its own pair first: the stored one wins.
    let (public_pem, private_pem) = sqlx::query_as(select).bind(user).fetch_one(pool).await?;
    Ok(KeyPair {
        public_pem,
        private_pem,
    })
}

/// The instance actor's key pair, made on first use.
pub async fn instance(pool: &PgPool) -> Result<KeyPair, AppError> {
    let select = "SELECT public_key_pem, private_key_pem FROM instance_key";
    if let Some((public_pem, private_pem)) = sqlx::query_as(select).fetch_optional(pool).await? {
        return Ok(KeyPair {
            public_pem,
            private_pem,
        });
    }
    let keys = generate().await?;
    sqlx::query("INSERT INTO instance_key (public_key_pem, private_key_pem) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(&keys.public_pem)
        .bind(&keys.private_pem)
        .execute(pool)
        .await?;
    let (public_pem, private_pem) = sqlx::query_as(select).fetch_one(pool).await?;
    Ok(KeyPair {
        public_pem,
        private_pem,
    })
}

pub fn private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("unreadable private key: {e}"))
}

/// A public key as servers publish it: SPKI (`BEGIN PUBLIC KEY`, Mastodon's) or PKCS#1.
pub fn public_key(pem: &str) -> Result<RsaPublicKey, String> {
    let pem = pem.trim();
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|e| format!("unreadable public key: {e}"))
}
