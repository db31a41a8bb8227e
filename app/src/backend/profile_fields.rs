//! Profile metadata fields (Mastodon's `fields`, ActivityPub `PropertyValue` attachments):
//! up to four name/value pairs shown on a profile. A local person's value is the text they
//! typed (a link when it is one, with `rel="me"`: `federation::vocab::field_value_html`); a
//! remote person's comes from their actor's `attachment`, its HTML cleaned and limited on
//! arrival. Rules here: how many, how long, no control characters.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::AppError, text};

/// At most this many fields (Mastodon's default).
pub const MAX_FIELDS: usize = 4;
/// Characters in a name and in a value (Mastodon's limits).
pub const MAX_NAME: usize = 255;
pub const MAX_VALUE: usize = 2047;

/// One field as shown and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ProfileField {
    pub name: String,
    /// Local: the text as typed; remote: cleaned HTML.
    pub value: String,
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A person's fields, in order.
pub async fn list(db: &mut PgConnection, user: Uuid) -> Result<Vec<ProfileField>, AppError> {
    Ok(sqlx::query_as(
        "SELECT name, value, verified_at FROM profile_fields WHERE user_id = $1 ORDER BY position",
    )
    .bind(user)
    .fetch_all(&mut *db)
    .await?)
}

/// Checks fields as typed (`form_field` names them in errors): trimmed, pairs left empty
/// dropped, a value needs a name, at most [`MAX_FIELDS`], lengths, no control characters.
pub fn parse(
    pairs: &[(String, String)],
    form_field: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let fields: Vec<(String, String)> = pairs
        .iter()
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .filter(|(name, value)| !name.is_empty() || !value.is_empty())
        .collect();
    if fields.len() > MAX_FIELDS {
        return Err(AppError::invalid(
            form_field,
            format!("at most {MAX_FIELDS} profile fields"),
        ));
    }
    for (number, (name, value)) in fields.iter().enumerate() {
        let number = number + 1;
        if name.is_empty() {
            return Err(AppError::invalid(
                form_field,
                format!("field {number} needs a name"),
            ));
        }
        if text::char_count(name) > MAX_NAME || text::char_count(value) > MAX_VALUE {
            return Err(AppError::invalid(
                form_field,
                format!("field {number} is too long (names up to {MAX_NAME} characters, values up to {MAX_VALUE})"),
            ));
        }
        if text::has_forbidden_controls(name, false) || text::has_forbidden_controls(value, false) {
            return Err(AppError::invalid(
                form_field,
                format!("field {number} holds a control character"),
            ));
        }
    }
    Ok(fields)
}

/// Replaces `user`'s fields (already parsed) in the caller's transaction.
pub async fn replace(
    db: &mut PgConnection,
    user: Uuid,
    fields: &[(String, String)],
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM profile_fields WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    for (position, (name, value)) in fields.iter().take(MAX_FIELDS).enumerate() {
        sqlx::query(
            "INSERT INTO profile_fields (user_id, position, name, value) VALUES ($1, $2, $3, $4)",
        )
        .bind(user)
        .bind(position as i16)
        .bind(name)
        .bind(value)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// The fields of a remote actor document (`attachment` PropertyValues): names as text,
/// values as cleaned HTML, both without control characters and cut to the limits; at most
/// [`MAX_FIELDS`]; anything else in `attachment` is ignored.
pub fn from_actor(document: &Value) -> Vec<(String, String)> {
    let attachments = match document.get("attachment") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => vec![],
    };
    attachments
        .into_iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("PropertyValue"))
        .filter_map(|item| {
            let name = text::strip_controls(item.get("name")?.as_str()?, false);
            let value = item.get("value")?.as_str()?;
            let value = super::federation::reading::clean_html(&text::strip_controls(value, false));
            let name: String = name.trim().chars().take(MAX_NAME).collect();
            // Cut as text would break the HTML: a value over the limit is dropped instead.
            (!name.is_empty() && text::char_count(&value) <= MAX_VALUE * 2).then_some((name, value))
        })
        .take(MAX_FIELDS)
        .collect()
}

/// Stores a remote actor's fields (from its document) in the caller's transaction.
pub async fn store_remote(
    db: &mut PgConnection,
    user: Uuid,
    document: &Value,
) -> Result<(), AppError> {
    replace(db, user, &from_actor(document)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_fields_are_checked() {
        let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        assert_eq!(
            parse(
                &[pair(" Site ", " https://a.example "), pair("", "")],
                "fields"
            )
            .unwrap(),
            [pair("Site", "https://a.example")]
        );
        let five: Vec<_> = (0..5).map(|n| pair(&format!("n{n}"), "v")).collect();
        assert!(parse(&five, "fields").is_err());
        assert!(parse(&[pair("", "orphan")], "fields").is_err());
        assert!(parse(&[pair("x", &"y".repeat(MAX_VALUE + 1))], "fields").is_err());
        assert!(parse(&[pair("a\u{0}b", "v")], "fields").is_err());
    }

    #[test]
    fn remote_fields_are_cleaned_and_limited() {
        let document = json!({ "attachment": [
            { "type": "PropertyValue", "name": "Web\u{7}", "value": "<a href=\"https://x.example\" onclick=\"evil()\">x</a><script>alert(1)</script>" },
            { "type": "IdentityProof", "name": "ignored", "value": "x" },
            { "type": "PropertyValue", "name": "2", "value": "b" },
            { "type": "PropertyValue", "name": "3", "value": "c" },
            { "type": "PropertyValue", "name": "4", "value": "d" },
            { "type": "PropertyValue", "name": "5", "value": "e" },
        ]});
        let fields = from_actor(&document);
        assert_eq!(fields.len(), MAX_FIELDS);
        assert_eq!(fields[0].0, "Web");
        assert!(
            !fields[0].1.contains("onclick") && !fields[0].1.contains("script"),
            "{}",
            fields[0].1
        );
        assert!(fields[0].1.contains("href=\"https://x.example\""));
        assert_eq!(fields[3].0, "4");
    }
}
