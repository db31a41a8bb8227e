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

/// Whether `password` matches `stored`. With no stored hash (an unknown account) the
/// password is still verified, against a decoy hash made with the same parameters, and the
/// answer is no: an unknown account costs the same work as a known one, so timing does not
/// reveal which accounts exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let decoy = decoy_hash()?;
        Ok(verify_with(
            password.as_bytes(),
            stored.as_deref(),
            decoy,
            |password, hash| Argon2::default().verify_password(password, hash).is_ok(),
        ))
    })
    .await
    .map_err(|e| internal("the hashing task", e))?
}

/// Runs `check` exactly once, against `stored` or else the decoy, and only then decides.
/// (Deciding first, as `known && check(…)` would, skips the work for unknown accounts.)
fn verify_with(
    password: &[u8],
    stored: Option<&str>,
    decoy: &str,
    check: impl FnOnce(&[u8], &PasswordHash) -> bool,
) -> bool {
    let stored = stored.and_then(|stored| {
        PasswordHash::new(stored)
            .inspect_err(|_| tracing::error!("a stored password hash is not a valid PHC string"))
            .ok()
    });
    let Ok(decoy) = PasswordHash::new(decoy) else {
        return false;
    };
    let matched = check(password, stored.as_ref().unwrap_or(&decoy));
    stored.is_some() && matched
}

/// A hash of a random password nobody knows, made once per process with the parameters
/// every real hash gets (`Argon2::default()`), so verifying against it costs the same.
fn decoy_hash() -> Result<&'static str, AppError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(decoy) = DECOY.get() {
        return Ok(decoy);
    }
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret).map_err(|e| internal("gathering randomness", e))?;
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| internal("gathering randomness", e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| internal("encoding a salt", e))?;
    let decoy = Argon2::default()
        .hash_password(&secret, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| internal("hashing the decoy password", e))?;
    Ok(DECOY.get_or_init(|| decoy))
}

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
        assert!(verify("correct horse".into(), Some(first.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse".into(), Some(first)).await.unwrap());
        assert!(
            !verify("anything".into(), None).await.unwrap(),
            "unknown accounts never match"
        );
    }

    /// The finding: unknown accounts answered in a fifth of the time, because the check
    /// was skipped. Whatever the account, the check runs exactly once.
    #[test]
    fn the_hash_is_checked_for_unknown_accounts_too() {
        let decoy = decoy_hash().unwrap();
        let real = Argon2::default()
            .hash_password(
                b"correct horse",
                &SaltString::encode_b64(&[7u8; 16]).unwrap(),
            )
            .unwrap()
            .to_string();
        for (stored, password, expected) in [
            (None, "correct horse", false),
            (Some("not a PHC string"), "correct horse", false),
            (Some(real.as_str()), "wrong horse", false),
            (Some(real.as_str()), "correct horse", true),
        ] {
            let mut checked = Vec::new();
            let matched = verify_with(password.as_bytes(), stored, decoy, |password, hash| {
                checked.push(hash.to_string());
                Argon2::default().verify_password(password, hash).is_ok()
            });
            assert_eq!(matched, expected, "{stored:?}");
            let against = stored
                .filter(|s| PasswordHash::new(s).is_ok())
                .unwrap_or(decoy);
            assert_eq!(
                checked,
                [against.to_owned()],
                "one full check, against the stored hash or the decoy"
            );
        }
    }

    #[test]
    fn the_decoy_is_a_real_hash_with_the_default_cost() {
        let decoy = PasswordHash::new(decoy_hash().unwrap()).unwrap();
        let real = hash_sync("anything");
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(
            (decoy.algorithm, decoy.version),
            (real.algorithm, real.version)
        );
        assert_eq!(
            decoy.params.to_string(),
            real.params.to_string(),
            "the same memory, time and parallelism cost"
        );
        assert!(
            std::ptr::eq(decoy_hash().unwrap(), decoy_hash().unwrap()),
            "made once"
        );
    }

    fn hash_sync(password: &str) -> String {
        Argon2::default()
            .hash_password(
                password.as_bytes(),
                &SaltString::encode_b64(&[1u8; 16]).unwrap(),
            )
            .unwrap()
            .to_string()
    }
}
