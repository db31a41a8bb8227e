//! HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures, rsa-sha256):
//! POSTs sign `(request-target) host date digest` with `Digest: SHA-256=…` of the body,
//! GETs sign `(request-target) host date`. Incoming requests are checked the way Mastodon
//! checks them: the signed headers must include these, the Date must be recent (12 hours,
//! plus an hour of clock skew), and the digest must match the body.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use chrono::{DateTime, Duration, Utc};
use http::HeaderMap;
use rsa::{
    pkcs1v15::{Signature, SigningKey, VerifyingKey},
    signature::{SignatureEncoding, Signer, Verifier},
    RsaPrivateKey, RsaPublicKey,
};
use sha2::{Digest, Sha256};

/// How old a signed request may be (Mastodon: 12 hours), and how far clocks may disagree.
const MAX_AGE: Duration = Duration::hours(12);
const CLOCK_SKEW: Duration = Duration::hours(1);

/// `SHA-256=<base64>` of `body`, the value of a `Digest` header.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// A date as HTTP headers write it (IMF-fixdate).
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The `Host` header value for `url`: host, and the port when it is not the scheme's default.
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The headers that sign a request to `url`: Date, Digest (with a body), and Signature.
pub fn sign(
    method: &http::Method,
    url: &url::Url,
    body: Option<&[u8]>,
    key_id: &str,
    key: &RsaPrivateKey,
    now: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut names = vec!["(request-target)", "host", "date"];
    let mut lines = vec![
        format!(
            "(request-target): {} {target}",
            method.as_str().to_lowercase()
        ),
        format!("host: {}", host_header(url)),
        format!("date: {}", http_date(now)),
    ];
    let mut headers = vec![("date", http_date(now))];
    if let Some(body) = body {
        let digest = digest(body);
        names.push("digest");
        lines.push(format!("digest: {digest}"));
        headers.push(("digest", digest));
    }
    headers.push((
        "signature",
        format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            names.join(" "),
            sign_string(key, &lines.join("\n"))
        ),
    ));
    headers
}

/// The base64 RSASSA-PKCS1-v1_5 SHA-256 signature of a signing string.
pub fn sign_string(key: &RsaPrivateKey, signing_string: &str) -> String {
    BASE64.encode(
        SigningKey::<Sha256>::new(key.clone())
            .sign(signing_string.as_bytes())
            .to_bytes(),
    )
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub key_id: String,
    /// The signed header names, lower-case, in order.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
}

/// Reads the `Signature` header (or `Authorization: Signature …`).
pub fn parse_header(headers: &HeaderMap) -> Result<SignatureHeader, String> {
    let raw = match headers.get("signature") {
        Some(value) => value
            .to_str()
            .map_err(|_| "the Signature header is not text")?
            .to_owned(),
        None => headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Signature "))
            .ok_or("the request is not signed (no Signature header)")?
            .to_owned(),
    };
    parse_signature(&raw)
}

/// Reads the value of a `Signature` header (`keyId="…",headers="…",signature="…"`).
pub fn parse_signature(raw: &str) -> Result<SignatureHeader, String> {
    let mut key_id = None;
    let mut names = None;
    let mut signature = None;
    let mut algorithm = None;
    for (name, value) in parameters(raw)? {
        match name.as_str() {
            "keyId" => key_id = Some(value),
            "headers" => names = Some(value),
            "signature" => signature = Some(value),
            "algorithm" => algorithm = Some(value),
            _ => {}
        }
    }
    if let Some(algorithm) = algorithm {
        // hs2019 means "as the key says"; our keys and the fediverse's are RSA.
        if !matches!(
            algorithm.to_ascii_lowercase().as_str(),
            "rsa-sha256" | "hs2019"
        ) {
            return Err(format!("unsupported signature algorithm {algorithm:?}"));
        }
    }
    let key_id = key_id.ok_or("the Signature header has no keyId")?;
    let signature = BASE64
        .decode(
            signature
                .filter(|s| !s.is_empty())
                .ok_or("the Signature header has no signature")?,
        )
        .map_err(|_| "the signature is not base64")?;
    let headers = names
        .unwrap_or_else(|| "date".into())
        .split_ascii_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    Ok(SignatureHeader {
        key_id,
        headers,
        signature,
    })
}

/// `name="value"` pairs separated by commas.
fn parameters(raw: &str) -> Result<Vec<(String, String)>, String> {
    let malformed = || "the Signature header is malformed".to_owned();
    let mut out = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').ok_or_else(malformed)?;
        let after = after.trim_start();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(malformed)?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after
                .split_once(',')
                .map_or((after, ""), |(value, rest)| (value, rest))
        };
        out.push((name.trim().to_owned(), value.to_owned()));
        rest = after.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

/// What a signed request has to show, besides a valid signature.
pub fn check_request(
    signature: &SignatureHeader,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let mut required = vec!["(request-target)", "host", "date"];
    if body.is_some() {
        required.push("digest");
    }
    for name in required {
        if !signature.headers.iter().any(|signed| signed == name) {
            return Err(format!("the signature must cover {name}"));
        }
    }
    let date = header(headers, "date")?;
    let date = DateTime::parse_from_rfc2822(&date)
        .map_err(|_| format!("the Date header {date:?} is not a date"))?;
    let date = date.with_timezone(&Utc);
    if date < now - MAX_AGE - CLOCK_SKEW {
        return Err("the Date header is more than 12 hours old".into());
    }
    if date > now + CLOCK_SKEW {
        return Err("the Date header is in the future".into());
    }
    if let Some(body) = body {
        let claimed = header(headers, "digest")?;
        // Several digests may be listed; the SHA-256 one must be there and match.
        let sha256 = claimed
            .split(',')
            .map(str::trim)
            .find(|value| {
                value.len() > 8
                    && value
                        .get(..8)
                        .is_some_and(|name| name.eq_ignore_ascii_case("SHA-256="))
            })
            .ok_or("the Digest header has no SHA-256 value")?;
        if sha256.get(8..) != digest(body).get(8..) {
            return Err("the Digest header does not match the body".into());
        }
    }
    Ok(())
}

/// The string that was signed, rebuilt from the request.
pub fn signing_string(
    signature: &SignatureHeader,
    method: &http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<String, String> {
    let mut lines = Vec::with_capacity(signature.headers.len());
    for name in &signature.headers {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {path_and_query}", method.as_str().to_lowercase()),
            other => header(headers, other)?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Whether `signature` over `signing_string` was made by `key`.
pub fn verify(key: &RsaPublicKey, signing_string: &str, signature: &[u8]) -> bool {
    let Ok(signature) = Signature::try_from(signature) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(signing_string.as_bytes(), &signature)
        .is_ok()
}

fn header(headers: &HeaderMap, name: &str) -> Result<String, String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if values.is_empty() {
        return Err(format!("the signed header {name} is missing"));
    }
    Ok(values.join(", "))
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::federation::keys;

    fn headers_of(pairs: &[(&'static str, String)], host: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("host", host.parse().unwrap());
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[tokio::test]
    async fn a_signed_post_verifies_and_tampering_does_not() {
        let pair = keys::generate().await.unwrap();
        let private = keys::private_key(&pair.private_pem).unwrap();
        let public = keys::public_key(&pair.public_pem).unwrap();
        let url = url::Url::parse("https://ts.example:8443/users/ana/inbox").unwrap();
        let body = br#"{"type":"Follow"}"#;
        let now = Utc::now();
        let signed = sign(
            &http::Method::POST,
            &url,
            Some(body),
            "https://a.example/users/b#main-key",
            &private,
            now,
        );
        let headers = headers_of(&signed, "ts.example:8443");
        let parsed = parse_header(&headers).unwrap();
        assert_eq!(parsed.key_id, "https://a.example/users/b#main-key");
        assert_eq!(
            parsed.headers,
            ["(request-target)", "host", "date", "digest"]
        );
        check_request(&parsed, &headers, Some(body), now).unwrap();
        let string =
            signing_string(&parsed, &http::Method::POST, "/users/ana/inbox", &headers).unwrap();
        assert!(verify(&public, &string, &parsed.signature));

        // Another path, another body, an old date: each refused.
        let other =
            signing_string(&parsed, &http::Method::POST, "/users/bob/inbox", &headers).unwrap();
        assert!(!verify(&public, &other, &parsed.signature));
        let error = check_request(&parsed, &headers, Some(b"{}"), now).unwrap_err();
        assert!(error.contains("Digest"), "{error}");
        let later = now + Duration::hours(14);
        assert!(check_request(&parsed, &headers, Some(body), later)
            .unwrap_err()
            .contains("old"));
        let earlier = now - Duration::hours(2);
        assert!(check_request(&parsed, &headers, Some(body), earlier)
            .unwrap_err()
            .contains("future"));
    }

    /// The test key of draft-cavage-http-signatures-12, Appendix C.
    const DRAFT_PRIVATE_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----";
    const DRAFT_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";
    const DRAFT_DATE: &str = "Sun, 05 Jan 2014 21:31:40 GMT";
    const DRAFT_BODY: &[u8] = br#"{"hello": "world"}"#;
    /// C.2 (basic) and C.3 (all headers): the published signatures.
    const BASIC: &str = "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=";
    const ALL_HEADERS: &str = "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=";

    fn draft_request_headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.com".parse().unwrap());
        headers.insert("date", DRAFT_DATE.parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert(
            "digest",
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
                .parse()
                .unwrap(),
        );
        headers.insert("content-length", "18".parse().unwrap());
        headers.insert("signature", signature.parse().unwrap());
        headers
    }

    #[test]
    fn the_drafts_test_vectors_sign_and_verify() {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let private = RsaPrivateKey::from_pkcs1_pem(DRAFT_PRIVATE_KEY).unwrap();
        let public = keys::public_key(DRAFT_PUBLIC_KEY).unwrap();
        assert_eq!(
            digest(DRAFT_BODY),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );
        let when = DateTime::parse_from_rfc2822(DRAFT_DATE)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(when), DRAFT_DATE);

        for (covered, expected) in [
            ("(request-target) host date", BASIC),
            (
                "(request-target) host date content-type digest content-length",
                ALL_HEADERS,
            ),
        ] {
            let header = format!("keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"{covered}\",signature=\"{expected}\"");
            let headers = draft_request_headers(&header);
            let parsed = parse_header(&headers).unwrap();
            let string = signing_string(
                &parsed,
                &http::Method::POST,
                "/foo?param=value&pet=dog",
                &headers,
            )
            .unwrap();
            assert!(
                verify(&public, &string, &parsed.signature),
                "verifies the published signature over {covered}"
            );
            assert_eq!(
                sign_string(&private, &string),
                expected,
                "signs exactly as published over {covered}"
            );
            let checked = check_request(&parsed, &headers, Some(DRAFT_BODY), when);
            if covered.contains("digest") {
                checked.unwrap();
            } else {
                // Valid, but a POST whose body is not covered is refused (as Mastodon does).
                assert_eq!(checked.unwrap_err(), "the signature must cover digest");
            }
        }

        // What we send for the same request verifies with the draft's key too.
        let url = url::Url::parse("https://example.com/foo?param=value&pet=dog").unwrap();
        let ours = sign(
            &http::Method::POST,
            &url,
            Some(DRAFT_BODY),
            "Test",
            &private,
            when,
        );
        let mut headers = headers_of(&ours, "example.com");
        headers.insert("content-type", "application/json".parse().unwrap());
        let parsed = parse_header(&headers).unwrap();
        let string = signing_string(
            &parsed,
            &http::Method::POST,
            "/foo?param=value&pet=dog",
            &headers,
        )
        .unwrap();
        assert_eq!(
            string,
            format!("(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: {DRAFT_DATE}\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
        );
        assert!(verify(&public, &string, &parsed.signature));
    }

    #[test]
    fn signature_header_parsing() {
        let mut headers = HeaderMap::new();
        assert!(parse_header(&headers).unwrap_err().contains("not signed"));
        headers.insert(
            "signature",
            r#"keyId="k",algorithm="hmac-sha256",signature="AA==""#
                .parse()
                .unwrap(),
        );
        assert!(parse_header(&headers).unwrap_err().contains("algorithm"));
        headers.insert(
            "signature",
            r#"keyId="k",headers="(request-target) Host date",signature="AA==""#
                .parse()
                .unwrap(),
        );
        assert_eq!(
            parse_header(&headers).unwrap().headers,
            ["(request-target)", "host", "date"]
        );
        headers.insert("signature", r#"keyId="k",signature="#.parse().unwrap());
        assert!(parse_header(&headers).is_err());
    }
}
