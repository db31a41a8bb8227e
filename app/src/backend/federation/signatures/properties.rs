//! Properties of the `Signature` header parser and the request checks, over generated
//! headers: no input makes them panic, and what we write is read back exactly.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use super::*;
use crate::generators::{config, structured, tricky_string};

const PIECES: &[&str] = &[
    "keyId",
    "headers",
    "signature",
    "algorithm",
    "=",
    "\"",
    ",",
    ", ",
    " ",
    "rsa-sha256",
    "hs2019",
    "hmac-sha256",
    "(request-target) host date digest",
    "(request-target)",
    "AAAA",
    "==",
    "+/",
    "https://a.example/users/b#main-key",
    "keyId=\"k\"",
    "signature=\"AA==\"",
    "headers=\"\"",
    "\\",
    "é",
    "\u{0}",
];

/// A header value as a peer might send it: generated text or bytes, less the bytes HTTP
/// itself refuses in a header (controls but tab), so non-ASCII bytes stay in.
fn header_value() -> impl Strategy<Value = HeaderValue> {
    let value = |mut bytes: Vec<u8>| {
        bytes.retain(|&byte| byte == b'\t' || (byte >= 0x20 && byte != 0x7f));
        HeaderValue::from_bytes(&bytes).unwrap_or_else(|_| HeaderValue::from_static(""))
    };
    prop_oneof![
        structured(PIECES, 16).prop_map(move |text| value(text.into_bytes())),
        proptest::collection::vec(any::<u8>(), 0..48).prop_map(value),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "(request-target)",
            "host",
            "date",
            "digest",
            "content-type",
            "Host",
            "X-Custom"
        ])
        .prop_map(str::to_owned),
        "[!#-'*-+.0-9A-Z^-z|~-]{1,12}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_signature_value_parses_or_is_refused_without_panic(raw in prop_oneof![structured(PIECES, 24), tricky_string(48)]) {
        if let Ok(parsed) = parse_signature(&raw) {
            prop_assert!(!parsed.signature.is_empty());
            prop_assert!(parsed.headers.iter().all(|name| !name.is_empty() && *name == name.to_ascii_lowercase()));
        }
    }

    #[test]
    fn what_is_written_is_read_back(
        key_id in tricky_string(24).prop_map(|id| id.replace('"', "")),
        names in proptest::collection::vec(header_name(), 0..6),
        signature in proptest::collection::vec(any::<u8>(), 1..300),
        algorithm in proptest::option::of(proptest::sample::select(vec!["rsa-sha256", "hs2019", "RSA-SHA256"])),
        order in any::<bool>(),
        separator in proptest::sample::select(vec![",", ", ", " , "]),
    ) {
        let mut parameters = vec![
            format!("keyId=\"{key_id}\""),
            format!("headers=\"{}\"", names.join(" ")),
            format!("signature=\"{}\"", BASE64.encode(&signature)),
        ];
        if let Some(algorithm) = algorithm {
            parameters.push(format!("algorithm=\"{algorithm}\""));
        }
        if order {
            parameters.reverse();
        }
        let parsed = parse_signature(&parameters.join(separator)).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parsed.key_id, key_id);
        prop_assert_eq!(parsed.signature, signature);
        let expected: Vec<String> = if names.is_empty() { vec![] } else { names.iter().map(|n| n.to_ascii_lowercase()).collect() };
        prop_assert_eq!(parsed.headers, expected);
    }

    #[test]
    fn requests_with_any_headers_are_checked_without_panic(
        signature in header_value(),
        date in header_value(),
        digest in header_value(),
        host in header_value(),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        target in tricky_string(24),
    ) {
        let mut headers = HeaderMap::new();
        headers.insert("signature", signature);
        headers.insert("date", date);
        headers.insert("digest", digest);
        headers.insert("host", host);
        if let Ok(parsed) = parse_header(&headers) {
            let _ = check_request(&parsed, &headers, body.as_deref(), Utc::now());
            let _ = signing_string(&parsed, &http::Method::POST, &target, &headers);
        }
        // The checks alone, against the usual header list.
        let usual = SignatureHeader {
            key_id: "k".into(),
            headers: ["(request-target)", "host", "date", "digest"].map(str::to_owned).to_vec(),
            signature: vec![0],
        };
        let _ = check_request(&usual, &headers, body.as_deref(), Utc::now());
    }

    #[test]
    fn a_fresh_request_with_its_own_digest_passes(body in proptest::collection::vec(any::<u8>(), 0..256), skew in -3000i64..3000) {
        let now = Utc::now();
        let mut headers = HeaderMap::new();
        headers.insert("date", HeaderValue::from_str(&http_date(now + Duration::seconds(skew))).map_err(|e| TestCaseError::fail(e.to_string()))?);
        headers.insert("digest", HeaderValue::from_str(&digest(&body)).map_err(|e| TestCaseError::fail(e.to_string()))?);
        let signature = SignatureHeader {
            key_id: "k".into(),
            headers: ["(request-target)", "host", "date", "digest"].map(str::to_owned).to_vec(),
            signature: vec![0],
        };
        prop_assert_eq!(check_request(&signature, &headers, Some(&body), now), Ok(()));
    }
}
