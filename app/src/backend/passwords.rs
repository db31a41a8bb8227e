//! Argon2id password hashes (PHC strings). Hashing is deliberately slow, so it runs on the
//! blocking pool, never on the request threads.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::error::AppError;

/// Hashes `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| internal("gathering randomness", e))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| internal("encoding a salt", e))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| internal("hashing a password", e))
    })
    .await
    .map_err(|e| internal("the hashing task", e))?
}

/// Whether `password` matches `stored`. With no stored hash (unknown account) it still does
/// the same work against a throwaway hash, so timing does not reveal which accounts exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DECOY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            tracing::error!("a stored password hash is not a valid PHC string");
            return Ok(false);
        };
        Ok(known && Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| internal("the hashing task", e))?
}

/// A valid Argon2id hash (default parameters) of a random string nobody knows.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2r4O9jR4D0b1UeKZcq0n4gQ0Hq8Xh1Yb0Q4mZs1q3pU";

fn internal(what: &str, error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "{what} failed");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let first = hash("correct horse".into()).await.unwrap();
        let second = hash("correct horse".into()).await.unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "a fresh salt each time");
        assert!(verify("correct horse".into(), Some(first.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(first)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap(), "unknown accounts never match");
    }

    #[test]
    fn the_decoy_hash_parses() {
        PasswordHash::new(DECOY_HASH).expect("a valid PHC string, so unknown accounts cost a full verification");
    }
}
