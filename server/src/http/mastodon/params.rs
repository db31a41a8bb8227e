//! Request parameters as Mastodon clients send them: in the query string, a form body
//! (urlencoded or multipart), or a JSON body (libraries differ). Unknown parameters are ignored; a value of the wrong type
//! is a 422 naming the parameter.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, StatusCode},
};
use serde_json::Value;

use super::ApiError;

#[derive(Debug, Default)]
pub struct Params(Vec<(String, Value)>);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut pairs: Vec<(String, Value)> = request
            .uri()
            .query()
            .map(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if content_type.starts_with("multipart/form-data") {
            let bad = |why: String| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Validation failed: {why}"),
                )
            };
            let mut form = axum::extract::Multipart::from_request(request, state)
                .await
                .map_err(|r| bad(r.body_text()))?;
            while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
                let Some(name) = field.name().map(str::to_owned) else {
                    continue;
                };
                // Files (media) are not supported: their parts are skipped.
                if field.file_name().is_some() {
                    continue;
                }
                let value = field.text().await.map_err(|e| bad(e.body_text()))?;
                pairs.push((name, Value::String(value)));
            }
            return Ok(Params(pairs));
        }
        let is_json = content_type.starts_with("application/json");
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        if !body.is_empty() {
            if is_json {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Object(map)) => pairs.extend(map),
                    _ => {
                        return Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "Validation failed: the body is not a JSON object",
                        ))
                    }
                }
            } else {
                pairs.extend(
                    url::form_urlencoded::parse(&body)
                        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
                );
            }
        }
        Ok(Params(pairs))
    }
}

impl Params {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .filter(|value| !value.is_null())
    }

    /// A text field of an object parameter: `name[field]` in a form, `{"name": {"field": …}}`
    /// in JSON.
    pub fn field(&self, name: &str, field: &str) -> Result<Option<String>, ApiError> {
        let qualified = format!("{name}[{field}]");
        if let Some(text) = self.text(&qualified)? {
            return Ok(Some(text));
        }
        match self.get(name).and_then(|object| object.get(field)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.contains('\0') => Err(no_nul(&qualified)),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(ApiError::invalid(&qualified, "must be a string")),
        }
    }

    /// Whether `name` was sent with a value (not null), as itself or as the nested form
    /// fields of an object (`name[…]`, as urlencoded forms send `poll[options][]`).
    pub fn present(&self, name: &str) -> bool {
        let nested = format!("{name}[");
        self.0
            .iter()
            .any(|(key, value)| !value.is_null() && (key == name || key.starts_with(&nested)))
    }

    /// Whether the parameter was sent at all (even empty or null).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }

    /// A text parameter (numbers are taken as their text). A NUL is refused here, naming the
    /// parameter, whatever it is for: no text column can hold one. (Each field's own parser
    /// refuses the other control characters it must not hold.)
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.contains('\0') => Err(no_nul(name)),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(_) => Err(ApiError::invalid(name, "must be a string")),
        }
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(Value::String(text)) => match text.as_str() {
                "true" | "1" | "on" => Ok(Some(true)),
                "false" | "0" | "off" | "" => Ok(Some(false)),
                _ => Err(ApiError::invalid(name, "must be true or false")),
            },
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, "must be a whole number")),
            Some(Value::String(text)) if text.is_empty() => Ok(None),
            Some(Value::String(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, "must be a whole number")),
            Some(_) => Err(ApiError::invalid(name, "must be a whole number")),
        }
    }

    /// An array parameter: `name[]=a&name[]=b` in forms, a JSON array, or one value.
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let bracketed = format!("{name}[]");
        let mut found = None::<Vec<String>>;
        for (key, value) in &self.0 {
            if key != name && *key != bracketed {
                continue;
            }
            let items = found.get_or_insert_with(Vec::new);
            match value {
                Value::String(text) if text.contains('\0') => return Err(no_nul(name)),
                Value::String(text) => items.push(text.clone()),
                Value::Array(values) => {
                    for value in values {
                        match value {
                            Value::String(text) if text.contains('\0') => return Err(no_nul(name)),
                            Value::String(text) => items.push(text.clone()),
                            _ => return Err(ApiError::invalid(name, "must be a list of strings")),
                        }
                    }
                }
                _ => return Err(ApiError::invalid(name, "must be a list of strings")),
            }
        }
        Ok(found)
    }

    /// A list of objects (Rails' nested attributes, e.g. `keywords_attributes`): a JSON array
    /// of objects (or an object keyed by index), or form fields `name[][field]` (a field seen
    /// again starts the next object) or `name[N][field]`.
    pub fn objects(
        &self,
        name: &str,
    ) -> Result<Option<Vec<serde_json::Map<String, Value>>>, ApiError> {
        let not_objects = || ApiError::invalid(name, "must be a list of objects");
        let mut found: Option<Vec<serde_json::Map<String, Value>>> = None;
        // Form fields with an index: (index, object) in order of first appearance.
        let mut indexed: Vec<(String, serde_json::Map<String, Value>)> = Vec::new();
        for (key, value) in &self.0 {
            if key == name {
                let items = found.get_or_insert_with(Vec::new);
                match value {
                    Value::Array(values) => {
                        for value in values {
                            items.push(value.as_object().cloned().ok_or_else(not_objects)?);
                        }
                    }
                    Value::Object(map) => {
                        for value in map.values() {
                            items.push(value.as_object().cloned().ok_or_else(not_objects)?);
                        }
                    }
                    Value::Null => {}
                    _ => return Err(not_objects()),
                }
                continue;
            }
            let Some(rest) = key
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('['))
            else {
                continue;
            };
            let Some((index, field)) = rest.split_once("][") else {
                return Err(not_objects());
            };
            let field = field.strip_suffix(']').ok_or_else(not_objects)?.to_owned();
            if let Value::String(text) = value {
                if text.contains('\0') {
                    return Err(no_nul(name));
                }
            }
            let items = found.get_or_insert_with(Vec::new);
            if index.is_empty() {
                match items.last_mut() {
                    Some(last) if !last.contains_key(&field) => {
                        last.insert(field, value.clone());
                    }
                    _ => items.push(serde_json::Map::from_iter([(field, value.clone())])),
                }
            } else {
                match indexed.iter_mut().find(|(i, _)| i == index) {
                    Some((_, object)) => {
                        object.insert(field, value.clone());
                    }
                    None => indexed.push((
                        index.to_owned(),
                        serde_json::Map::from_iter([(field, value.clone())]),
                    )),
                }
            }
        }
        if !indexed.is_empty() {
            found
                .get_or_insert_with(Vec::new)
                .extend(indexed.into_iter().map(|(_, object)| object));
        }
        Ok(found)
    }

    /// Mastodon's page size: `limit`, default `default`, at most `max`.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        Ok(self.integer("limit")?.unwrap_or(default).clamp(1, max))
    }
}

fn no_nul(name: &str) -> ApiError {
    ApiError::invalid(name, "must not contain NUL characters")
}
