//! Configuration, from the environment (see README, "Configuration").

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{anyhow, bail};
pub use app::backend::federation::client::FederationOptions;
use app::backend::rate_limits::RateLimit;

use crate::http::client_address::TrustedProxies;

#[derive(Debug, Clone)]
pub struct Config {
    /// An existing PostgreSQL server; `None` runs the embedded one under `data_dir`.
    pub database_url: Option<String>,
    /// Where the HTTP server listens.
    pub site_addr: SocketAddr,
    /// The public base URL (scheme, host, optional port; no trailing slash) used in links
    /// and ActivityPub ids.
    pub public_url: String,
    /// State kept between runs: the embedded database lives in `data_dir/postgres`.
    pub data_dir: PathBuf,
    /// The built browser assets (`pkg/` with the WASM, JS and CSS, plus `public/`'s files).
    pub site_root: PathBuf,
    /// How federation reaches other servers (`ALLOW_PRIVATE_ADDRESSES`, `EXTRA_CA_CERTS`).
    pub federation: FederationOptions,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` headers name the client
    /// (`TRUSTED_PROXIES`; loopback by default).
    pub trusted_proxies: TrustedProxies,
    /// Timeouts and limits of the HTTP server.
    pub http: HttpLimits,
    /// Client-API requests allowed per caller in five minutes (`API_RATE_LIMIT`), shared by
    /// every server process on the database.
    pub api_rate_limit: RateLimit,
    /// How the server lives with its database (`DATABASE_*` timeouts, `READY_MIN_FREE_DISK_MB`).
    pub database: DatabaseOptions,
}

/// Bounds on waiting for the database, and what `/ready` requires.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// The longest a request waits for a pooled connection (`DATABASE_ACQUIRE_TIMEOUT`, s).
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` for the server's queries (`DATABASE_STATEMENT_TIMEOUT`,
    /// s; 0 = none). Migrations and operator commands run without it.
    pub statement_timeout: Option<Duration>,
    /// How long the server tries to bring a dead embedded PostgreSQL back before it exits
    /// non-zero for its service manager to restart it (`DATABASE_RESTART_TIMEOUT`, s).
    pub restart_timeout: Duration,
    /// The free space `/ready` requires on DATA_DIR's file system (`READY_MIN_FREE_DISK_MB`).
    pub min_free_disk_bytes: u64,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            restart_timeout: Duration::from_secs(60),
            min_free_disk_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// How long the HTTP server waits for clients and for itself, and how many clients it serves
/// at once (README, "Configuration").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// From a connection's opening (or its previous response) to the end of a request's
    /// headers (`HTTP_HEADER_READ_TIMEOUT_SECS`): a client that trickles its headers is cut off.
    pub header_read_timeout: Duration,
    /// A connection on which nothing is read or written this long is closed
    /// (`HTTP_IDLE_TIMEOUT_SECS`); longer than the live stream's 20 s keep-alive.
    pub idle_timeout: Duration,
    /// From a request's headers to its response's headers (`HTTP_REQUEST_TIMEOUT_SECS`);
    /// a streamed body (the live events) goes on after that.
    pub request_timeout: Duration,
    /// At most this many connections at once (`HTTP_MAX_CONNECTIONS`), and never more than
    /// the open-file limit leaves room for; `None`: as many as that limit allows.
    pub max_connections: Option<usize>,
    /// After SIGTERM, requests in flight get this long to finish (`SHUTDOWN_DEADLINE_SECS`).
    pub shutdown_deadline: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_connections: None,
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

/// The live stream sends a comment every 20 s; an idle timeout must leave room for it.
const LIVE_KEEP_ALIVE_SECS: u64 = 20;

impl HttpLimits {
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let defaults = HttpLimits::default();
        let seconds = |name: &str, default: Duration, minimum: u64| -> anyhow::Result<Duration> {
            match var(name) {
                None => Ok(default),
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(secs) if secs >= minimum && secs <= 86_400 => Ok(Duration::from_secs(secs)),
                    _ => bail!(
                        "{name}={raw:?} must be a whole number of seconds from {minimum} to 86400"
                    ),
                },
            }
        };
        Ok(HttpLimits {
            header_read_timeout: seconds(
                "HTTP_HEADER_READ_TIMEOUT_SECS",
                defaults.header_read_timeout,
                1,
            )?,
            idle_timeout: seconds(
                "HTTP_IDLE_TIMEOUT_SECS",
                defaults.idle_timeout,
                LIVE_KEEP_ALIVE_SECS + 5,
            )?,
            request_timeout: seconds("HTTP_REQUEST_TIMEOUT_SECS", defaults.request_timeout, 1)?,
            max_connections: match var("HTTP_MAX_CONNECTIONS") {
                None => None,
                Some(raw) => match raw.trim().parse::<usize>() {
                    Ok(count) if count >= 1 => Some(count),
                    _ => bail!("HTTP_MAX_CONNECTIONS={raw:?} must be a whole number of at least 1"),
                },
            },
            shutdown_deadline: seconds("SHUTDOWN_DEADLINE_SECS", defaults.shutdown_deadline, 1)?,
        })
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The configuration `lookup` describes, read as [`from_env`](Self::from_env) reads the
    /// environment (tests configure a server without touching their own environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let site_addr = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let site_addr = site_addr.parse().map_err(|_| {
            anyhow!("LEPTOS_SITE_ADDR={site_addr:?} is not an address to listen on; expected e.g. 127.0.0.1:3000")
        })?;
        let defaults = DatabaseOptions::default();
        let seconds = |name: &str, default: u64| -> anyhow::Result<u64> {
            match var(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse()
                    .map_err(|_| anyhow!("{name}={raw:?} must be a whole number of seconds")),
            }
        };
        let database = DatabaseOptions {
            acquire_timeout: Duration::from_secs(
                seconds(
                    "DATABASE_ACQUIRE_TIMEOUT",
                    defaults.acquire_timeout.as_secs(),
                )?
                .max(1),
            ),
            statement_timeout: match seconds("DATABASE_STATEMENT_TIMEOUT", 30)? {
                0 => None,
                limit => Some(Duration::from_secs(limit)),
            },
            restart_timeout: Duration::from_secs(seconds(
                "DATABASE_RESTART_TIMEOUT",
                defaults.restart_timeout.as_secs(),
            )?),
            min_free_disk_bytes: match var("READY_MIN_FREE_DISK_MB") {
                None => defaults.min_free_disk_bytes,
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .map(|mb| mb * 1024 * 1024)
                    .map_err(|_| {
                        anyhow!(
                            "READY_MIN_FREE_DISK_MB={raw:?} must be a whole number of megabytes"
                        )
                    })?,
            },
        };
        let public_url =
            parse_public_url(&var("PUBLIC_URL").unwrap_or_else(|| "http://localhost:3000".into()))?;
        Ok(Config {
            database_url: var("DATABASE_URL"),
            site_addr,
            public_url,
            data_dir: var("DATA_DIR").map_or_else(default_data_dir, PathBuf::from),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()).into(),
            federation: FederationOptions {
                allow_private_addresses: match var("ALLOW_PRIVATE_ADDRESSES").as_deref() {
                    None | Some("false" | "0") => false,
                    Some("true" | "1") => true,
                    Some(other) => bail!("ALLOW_PRIVATE_ADDRESSES={other:?} must be true or false"),
                },
                extra_ca_pem: match var("EXTRA_CA_CERTS") {
                    None => None,
                    Some(path) => Some(std::fs::read(&path).map_err(|e| anyhow!("EXTRA_CA_CERTS={path:?} cannot be read: {e}"))?),
                },
                unavailable_after: Duration::from_secs(seconds(
                    "FEDERATION_UNAVAILABLE_AFTER_SECS",
                    app::backend::federation::client::UNAVAILABLE_AFTER.as_secs(),
                )?),
            },
            trusted_proxies: match var("TRUSTED_PROXIES") {
                None => TrustedProxies::default(),
                Some(raw) => TrustedProxies::parse(&raw).map_err(|why| {
                    anyhow!("TRUSTED_PROXIES: {why}; expected addresses or ranges separated by commas, e.g. 127.0.0.1/32,10.0.0.0/8 (or none)")
                })?,
            },
            database,
            http: HttpLimits::from_vars(var)?,
            api_rate_limit: match var("API_RATE_LIMIT") {
                None => crate::http::mastodon::DEFAULT_RATE_LIMIT,
                Some(raw) => match raw.trim().parse::<u32>() {
                    Ok(requests) if requests >= 1 => RateLimit {
                        requests,
                        ..crate::http::mastodon::DEFAULT_RATE_LIMIT
                    },
                    _ => bail!("API_RATE_LIMIT={raw:?} must be a whole number of requests (per 5 minutes) of at least 1"),
                },
            },
        })
    }
}

/// `./data`, unless the server runs as root and the `postgres` user that the embedded
/// database then runs as cannot reach it (a checkout under /root): then the system's place
/// for a service's state.
fn default_data_dir() -> PathBuf {
    const LOCAL: &str = "data";
    const SYSTEM: &str = "/var/lib/thoughtspace";
    if crate::database::embedded::reachable(&PathBuf::from(LOCAL).join("postgres")) {
        LOCAL.into()
    } else {
        tracing::info!("./{LOCAL} is closed to the postgres user; keeping data in {SYSTEM} (set DATA_DIR to choose)");
        SYSTEM.into()
    }
}

/// An absolute http(s) URL without path, query or fragment, normalized without trailing slash.
fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let problem =
        |why: &str| anyhow!("PUBLIC_URL={raw:?} {why}; expected e.g. https://thoughtspace.example");
    let url = url::Url::parse(raw).map_err(|_| problem("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!(problem("must use http or https"));
    }
    if url.host_str().is_none()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        bail!(problem("must be only a scheme, host and optional port"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::{parse_public_url, HttpLimits};
    use std::time::Duration;

    #[test]
    fn http_limits_default_and_name_the_variable_when_wrong() {
        let none = |_: &str| None;
        assert_eq!(HttpLimits::from_vars(none).unwrap(), HttpLimits::default());
        let set = HttpLimits::from_vars(|name: &str| match name {
            "HTTP_REQUEST_TIMEOUT_SECS" => Some("5".into()),
            "HTTP_MAX_CONNECTIONS" => Some("100".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(set.request_timeout, Duration::from_secs(5));
        assert_eq!(set.max_connections, Some(100));
        for (name, raw) in [
            ("HTTP_HEADER_READ_TIMEOUT_SECS", "0"),
            ("HTTP_IDLE_TIMEOUT_SECS", "10"),
            ("HTTP_REQUEST_TIMEOUT_SECS", "soon"),
            ("HTTP_MAX_CONNECTIONS", "0"),
            ("SHUTDOWN_DEADLINE_SECS", "-1"),
        ] {
            let message = HttpLimits::from_vars(|asked: &str| (asked == name).then(|| raw.into()))
                .unwrap_err()
                .to_string();
            assert!(message.starts_with(&format!("{name}=")), "{message}");
        }
    }

    #[test]
    fn public_url_is_normalized() {
        assert_eq!(
            parse_public_url("https://ts.example/").unwrap(),
            "https://ts.example"
        );
        assert_eq!(
            parse_public_url("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
    }

    #[test]
    fn bad_public_urls_name_the_variable() {
        for raw in [
            "localhost:3000",
            "ftp://x.example",
            "https://x.example/sub",
            "not a url",
            "https://x.example/?q",
        ] {
            let message = parse_public_url(raw).unwrap_err().to_string();
            assert!(message.starts_with("PUBLIC_URL="), "{raw}: {message}");
        }
    }
}
