//! The one HTTP client federation uses to reach other servers. Every request is signed;
//! answers are bounded in time and size; and no request reaches a private, loopback or
//! link-local address (no SSRF): names are resolved through a resolver that drops such
//! addresses, so the address checked is the address connected to, and redirects are
//! checked the same way. Plain http and private addresses are allowed only when the
//! operator says so (`ALLOW_PRIVATE_ADDRESSES`, for tests and local development). TLS
//! trusts the system's certificate store, plus the operator's own CA (`EXTRA_CA_CERTS`).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use chrono::Utc;
use rsa::RsaPrivateKey;

use super::{signatures, FederationError, ACTIVITY_JSON};

/// The largest document we read from another server.
const MAX_BODY: usize = 1024 * 1024;
/// What a failed delivery keeps of the answer.
const MAX_ERROR_BODY: usize = 2048;
const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Who signs a request.
#[derive(Clone)]
pub struct Signer {
    pub key_id: String,
    pub key: Arc<RsaPrivateKey>,
}

impl Signer {
    pub fn new(key_id: String, private_pem: &str) -> Result<Self, FederationError> {
        let key = super::keys::private_key(private_pem).map_err(|error| {
            tracing::error!(%error, key_id, "a stored private key cannot be read");
            FederationError::Internal
        })?;
        Ok(Signer {
            key_id,
            key: Arc::new(key),
        })
    }
}

/// How the client may reach other servers.
#[derive(Debug, Clone)]
pub struct FederationOptions {
    /// Reach loopback, private and link-local addresses, and plain http (never in production).
    pub allow_private_addresses: bool,
    /// PEM certificates to trust besides the system's (a private CA, a test's own).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// A server whose deliveries keep failing this long is marked unavailable
    /// ([`super::servers`]); a week, as in Mastodon.
    pub unavailable_after: Duration,
}

/// A week.
pub const UNAVAILABLE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

impl Default for FederationOptions {
    fn default() -> Self {
        FederationOptions {
            allow_private_addresses: false,
            extra_ca_pem: None,
            unavailable_after: UNAVAILABLE_AFTER,
        }
    }
}

impl FederationOptions {
    /// Peers on loopback over plain http.
    pub fn for_loopback_tests() -> Self {
        FederationOptions {
            allow_private_addresses: true,
            ..FederationOptions::default()
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    allow_private: bool,
    unavailable_after: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// How a POST to an inbox ended, when the server answered.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: Option<u16>,
    pub body: String,
}

impl Refused {
    /// Whether trying again later can help (server errors, rate limits, timeouts, no answer).
    pub fn retryable(&self) -> bool {
        match self.status {
            None => true,
            Some(status) => status >= 500 || status == 408 || status == 429,
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "HTTP {status}: {}", self.body),
            None => write!(f, "{}", self.body),
        }
    }
}

impl Client {
    pub fn new(options: &FederationOptions, user_agent: &str) -> Result<Self, String> {
        let allow_private = options.allow_private_addresses;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if let Err(why) = check_url(attempt.url(), allow_private) {
                attempt.error(why)
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &options.extra_ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("EXTRA_CA_CERTS holds no readable PEM certificate: {e}"))?;
            if certificates.is_empty() {
                return Err("EXTRA_CA_CERTS holds no PEM certificate".into());
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder
            .user_agent(user_agent)
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .redirect(redirects)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("the HTTP client cannot be built: {e}"))?;
        Ok(Client {
            http,
            allow_private,
            unavailable_after: options.unavailable_after,
        })
    }

    /// Whether private addresses and plain http are allowed (tests and development).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// How long a server's deliveries may keep failing before it is marked unavailable.
    pub fn unavailable_after(&self) -> Duration {
        self.unavailable_after
    }

    /// Fetches an ActivityPub document, signed (servers in secure mode ask for that).
    pub async fn get(
        &self,
        url: &str,
        signer: &Signer,
    ) -> Result<serde_json::Value, FederationError> {
        let parsed = self.checked(url)?;
        let mut request = self
            .http
            .get(parsed.clone())
            .header(http::header::ACCEPT, ACCEPT);
        for (name, value) in signatures::sign(
            &http::Method::GET,
            &parsed,
            None,
            &signer.key_id,
            &signer.key,
            Utc::now(),
        ) {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| FederationError::Remote(format!("GET {url}: {}", describe(&e))))?;
        let status = response.status();
        let body = read_limited(response, MAX_BODY)
            .await
            .map_err(|why| FederationError::Remote(format!("GET {url}: {why}")))?;
        if !status.is_success() {
            return Err(FederationError::Remote(format!(
                "GET {url}: HTTP {}",
                status.as_u16()
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|_| FederationError::Remote(format!("GET {url}: the answer is not JSON")))
    }

    /// Fetches a document that is not ActivityPub (WebFinger's JSON), unsigned.
    pub async fn get_plain_json(&self, url: &str) -> Result<serde_json::Value, FederationError> {
        let parsed = self.checked(url)?;
        let response = self
            .http
            .get(parsed)
            .header(
                http::header::ACCEPT,
                "application/jrd+json, application/json",
            )
            .send()
            .await
            .map_err(|e| FederationError::Remote(format!("GET {url}: {}", describe(&e))))?;
        let status = response.status();
        let body = read_limited(response, MAX_BODY)
            .await
            .map_err(|why| FederationError::Remote(format!("GET {url}: {why}")))?;
        if !status.is_success() {
            return Err(FederationError::Remote(format!(
                "GET {url}: HTTP {}",
                status.as_u16()
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|_| FederationError::Remote(format!("GET {url}: the answer is not JSON")))
    }

    /// Fetches a file that is not a document (an image profile CSS names), unsigned: at
    /// most `limit` bytes within `timeout`, or why not, in words for the person who named it.
    pub async fn get_bytes(
        &self,
        url: &str,
        accept: &str,
        limit: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, String> {
        let parsed = url::Url::parse(url).map_err(|_| "it is not a URL".to_owned())?;
        check_url(&parsed, self.allow_private)
            .map_err(|why| format!("it cannot be fetched ({why})"))?;
        let response = self
            .http
            .get(parsed)
            .header(http::header::ACCEPT, accept)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| {
                tracing::info!(
                    url,
                    error = describe(&error),
                    "an image could not be fetched"
                );
                if error.is_timeout() {
                    "its server took too long".to_owned()
                } else {
                    "its server could not be reached".to_owned()
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("its server answered HTTP {}", status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(format!("it is larger than {} KiB", limit / 1024));
        }
        read_limited(response, limit).await.map_err(|why| {
            tracing::info!(url, why, "an image could not be read");
            if why.contains("larger than") {
                format!("it is larger than {} KiB", limit / 1024)
            } else {
                "its server stopped sending it".to_owned()
            }
        })
    }

    /// Delivers `body` to an inbox, signed by `signer`.
    pub async fn post(&self, inbox: &str, body: &[u8], signer: &Signer) -> Result<(), Refused> {
        let parsed = self.checked(inbox).map_err(|e| Refused {
            status: None,
            body: e.to_string(),
        })?;
        let mut request = self
            .http
            .post(parsed.clone())
            .header(http::header::CONTENT_TYPE, ACTIVITY_JSON)
            .header(http::header::ACCEPT, ACCEPT)
            .body(body.to_vec());
        for (name, value) in signatures::sign(
            &http::Method::POST,
            &parsed,
            Some(body),
            &signer.key_id,
            &signer.key,
            Utc::now(),
        ) {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| Refused {
            status: None,
            body: describe(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let answer = read_limited(response, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        Err(Refused {
            status: Some(status.as_u16()),
            body: error_text(&answer),
        })
    }

    fn checked(&self, url: &str) -> Result<url::Url, FederationError> {
        let parsed = url::Url::parse(url)
            .map_err(|_| FederationError::BadRequest(format!("{url:?} is not a URL")))?;
        check_url(&parsed, self.allow_private)
            .map_err(|why| FederationError::Remote(format!("{url}: {why}")))?;
        Ok(parsed)
    }
}

/// What a failed delivery keeps of the answer: text, without the control characters the
/// database refuses (NUL) or a log would act on, at most [`MAX_ERROR_BODY`] bytes. (Invalid
/// UTF-8 grows when replaced, so the cut must fall between characters.)
pub fn error_text(answer: &[u8]) -> String {
    let text = crate::text::strip_controls(&String::from_utf8_lossy(answer), true);
    crate::text::truncate_bytes(&text, MAX_ERROR_BODY).to_owned()
}

fn describe(error: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether a URL may be requested at all: https (or http when private addresses are
/// allowed), no credentials, and no literal private address.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => return Err(format!("{other}: URLs are not fetched")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with credentials are not fetched".into());
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) if !allow_private && !is_public(IpAddr::V4(ip)) => {
            Err(format!("{ip} is a private address"))
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && !is_public(IpAddr::V6(ip)) => {
            Err(format!("{ip} is a private address"))
        }
        Some(url::Host::Domain(name))
            if !allow_private && (name == "localhost" || name.ends_with(".localhost")) =>
        {
            Err(format!("{name} is a private address"))
        }
        None => Err("the URL has no host".into()),
        _ => Ok(()),
    }
}

/// An address on the public internet: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, broadcast, documentation or unique-local.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// Resolves names, then keeps only public addresses (all of them when allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_cut_between_characters_and_lose_their_controls() {
        // 2048 invalid bytes become 2048 three-byte replacement characters: the old
        // `truncate(2048)` fell inside one and panicked.
        let text = error_text(&[0xff; MAX_ERROR_BODY]);
        assert!(
            text.len() <= MAX_ERROR_BODY && text.chars().all(|c| c == '\u{fffd}'),
            "{}",
            text.len()
        );
        let text = error_text("é".repeat(1500).as_bytes());
        assert_eq!(text, "é".repeat(MAX_ERROR_BODY / 2));
        assert_eq!(
            error_text(b"bad\0request\x1b[2J\nsee logs"),
            "badrequest[2J\nsee logs"
        );
    }

    #[test]
    fn private_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let url = |raw: &str| url::Url::parse(raw).unwrap();
        assert!(check_url(&url("https://169.254.169.254/latest/meta-data"), false).is_err());
        assert!(check_url(&url("https://[::1]/"), false).is_err());
        assert!(check_url(&url("https://localhost/x"), false).is_err());
        assert!(
            check_url(&url("http://mastodon.example/users/a"), false).is_err(),
            "plain http"
        );
        assert!(check_url(&url("file:///etc/passwd"), true).is_err());
        assert!(check_url(&url("https://user:pw@mastodon.example/"), false).is_err());
        assert!(check_url(&url("https://mastodon.example/users/a"), false).is_ok());
        assert!(
            check_url(&url("http://127.0.0.1:3000/users/a"), true).is_ok(),
            "allowed for tests"
        );
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_not_connected_to() {
        use reqwest::dns::Resolve;
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let error = match guarded.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost resolved"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("no public address"), "{error}");
        let open = GuardedResolver {
            allow_private: true,
        };
        assert!(
            open.resolve("localhost".parse().unwrap()).await.is_ok(),
            "allowed for tests"
        );
    }
}
