//! The one error type server functions return. It crosses the wire as JSON, so the
//! browser can show validation errors next to their field and a generic message for the rest.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

/// A refused value: which form field, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// User input was refused, one entry per offending field.
    #[error("{}", describe_fields(.0))]
    Invalid(Vec<FieldError>),
    #[error("please log in first")]
    Unauthorized,
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// It existed and was deleted.
    #[error("this was deleted")]
    Gone,
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The request could not be read (arguments that do not decode, or a value no field
    /// can hold): the caller's mistake, not ours.
    #[error("the request was not understood: {0}")]
    BadRequest(String),
    /// Something failed on the server. Its cause was logged there and is never sent.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The database cannot be reached (down, restarting, or too slow): nothing was done,
    /// and the same request may be retried in a few seconds.
    #[error("the site is briefly unavailable; please try again in a few seconds")]
    Unavailable,
    /// The request did not reach the server function or its answer could not be read.
    #[error("could not reach the server: {0}")]
    Transport(String),
}

fn describe_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl AppError {
    /// One refused field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The message for `field`, if this error refused it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// A message for the form as a whole: everything but field errors, which show at their field.
    pub fn form_message(&self) -> Option<String> {
        match self {
            AppError::Invalid(_) => None,
            other => Some(other.to_string()),
        }
    }
}

/// Collects the errors of several fields so a form reports them all at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value when it parsed, records the error when it did not.
    pub fn check<T>(&mut self, result: Result<T, AppError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(AppError::Invalid(errors)) => {
                self.0.extend(errors);
                None
            }
            Err(other) => {
                self.0.push(FieldError {
                    field: String::new(),
                    message: other.to_string(),
                });
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `Ok(())` when nothing was refused.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status this error is answered with (validation: 422, as Mastodon does).
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// How long a client is asked to wait (`Retry-After`, seconds) when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// Whether `error` means the database cannot be reached or did not answer in time, rather
/// than that it refused this query: a pool that timed out or closed, a broken connection,
/// a server shutting down, starting up or out of connections (SQLSTATE classes 08, 57P, 53300),
/// or a statement cancelled by `statement_timeout` (57014).
#[cfg(feature = "ssr")]
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "53300" || code == "57014"
        }),
        _ => false,
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server, these are arguments that do not decode: a malformed request.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                let error = AppError::BadRequest(value.to_string());
                // The server function's handler answers every error 500 unless told otherwise.
                if let Some(response) =
                    leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
                {
                    response.set_status(error.status());
                }
                error
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// Whether PostgreSQL refused a text value it cannot store (a NUL character: SQLSTATE
/// 22021). Input parsers refuse these first; this keeps any path they miss from being a 500.
#[cfg(feature = "ssr")]
pub fn is_unstorable_text(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "22021")
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if is_unstorable_text(&error) {
            return AppError::BadRequest("it holds a NUL character".into());
        }
        if is_unavailable(&error) {
            // Logged once per outage by the server's database monitor, not once per request.
            tracing::debug!(%error, "database unavailable");
            return AppError::Unavailable;
        }
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}
