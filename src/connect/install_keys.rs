//! Atlassian's public keys for signed install callbacks, fetched from `INSTALL_KEYS_URL/<kid>`
//! with a timeout and cached by kid (Atlassian rotates keys by issuing a new kid, so a cached key
//! never goes stale).
//!
//! The kid comes from an unauthenticated request, so the key server is protected from being
//! driven by it:
//! * a kid the key server does not know (a 4xx, or an answer that is not a PEM public key) is
//!   remembered as unknown for [`UNKNOWN_KID_TTL`], so repeating a forged install costs one
//!   fetch per kid per minute; at most [`MAX_UNKNOWN_KIDS`] such answers are kept. A key server
//!   that is down (5xx, no connection) is not remembered: the next install tries again.
//! * concurrent lookups of one kid share one in-flight fetch (a single-flight map of
//!   `tokio::sync::OnceCell`s), so a burst of N installs makes one request, not N;
//! * the answer is read with a size cap ([`MAX_KEY_BYTES`]; a PEM RSA key is under 1 KiB).
//!
//! Time is an input (`now`), so the expiry of unknown answers is tested without waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::{Duration, OffsetDateTime};
use tokio::sync::OnceCell;
use url::Url;

/// How long "the key server has no such kid" is believed.
pub const UNKNOWN_KID_TTL: Duration = Duration::seconds(60);
/// Unknown kids remembered at once; past it the one expiring soonest is forgotten.
pub const MAX_UNKNOWN_KIDS: usize = 1_024;
/// The most bytes read from the key server for one key.
pub const MAX_KEY_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key server has no key with this kid (status {0})")]
    Unknown(u16),
    #[error("the key server could not be reached: {0}")]
    Unreachable(String),
    #[error("the key server answered something that is not a PEM public key")]
    NotAPublicKey,
}

impl KeyError {
    /// Whether the answer says something about the kid (and so may be remembered), rather than
    /// about the key server's health.
    fn is_about_the_kid(&self) -> bool {
        matches!(self, Self::Unknown(_) | Self::NotAPublicKey)
    }
}

type Fetch = Arc<OnceCell<Result<String, KeyError>>>;

#[derive(Default)]
struct Cache {
    known: HashMap<String, String>,
    /// kid → (believed unknown until, the answer).
    unknown: HashMap<String, (OffsetDateTime, KeyError)>,
    in_flight: HashMap<String, Fetch>,
}

impl Cache {
    fn remember_unknown(&mut self, kid: &str, error: KeyError, now: OffsetDateTime) {
        self.unknown.retain(|_, (until, _)| *until > now);
        if self.unknown.len() >= MAX_UNKNOWN_KIDS
            && let Some(soonest) = self
                .unknown
                .iter()
                .min_by_key(|(_, (until, _))| *until)
                .map(|(kid, _)| kid.clone())
        {
            self.unknown.remove(&soonest);
        }
        self.unknown
            .insert(kid.to_owned(), (now + UNKNOWN_KID_TTL, error));
    }
}

/// Keys are small and few; a process-local map is enough, and survives until restart.
pub struct InstallKeys {
    base: Url,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl InstallKeys {
    pub fn new(base: Url, http: reqwest::Client) -> Self {
        Self {
            base,
            http,
            cache: Mutex::default(),
        }
    }

    /// The cache is never left half-updated (each change is one statement), so a poisoned lock
    /// still holds consistent data.
    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The PEM public key for `kid` (already validated by the JWT layer: safe charset, no `..`).
    pub async fn public_key(&self, kid: &str, now: OffsetDateTime) -> Result<String, KeyError> {
        let fetch = {
            let mut cache = self.cache();
            if let Some(pem) = cache.known.get(kid) {
                return Ok(pem.clone());
            }
            if let Some((until, error)) = cache.unknown.get(kid)
                && now < *until
            {
                return Err(error.clone());
            }
            Arc::clone(cache.in_flight.entry(kid.to_owned()).or_default())
        };
        // One caller runs the fetch; the others wait for its result. If that caller goes away
        // mid-fetch, a waiting one takes over.
        let result = fetch.get_or_init(|| self.fetch(kid)).await.clone();
        let mut cache = self.cache();
        // The first caller back records the answer and retires the flight.
        if cache
            .in_flight
            .get(kid)
            .is_some_and(|current| Arc::ptr_eq(current, &fetch))
        {
            cache.in_flight.remove(kid);
            match &result {
                Ok(pem) => {
                    cache.known.insert(kid.to_owned(), pem.clone());
                }
                Err(error) if error.is_about_the_kid() => {
                    cache.remember_unknown(kid, error.clone(), now);
                }
                Err(_) => {}
            }
        }
        result
    }

    async fn fetch(&self, kid: &str) -> Result<String, KeyError> {
        let url = format!("{}/{}", self.base.as_str().trim_end_matches('/'), kid);
        let unreachable = |e: reqwest::Error| KeyError::Unreachable(e.without_url().to_string());
        let mut response = self.http.get(&url).send().await.map_err(unreachable)?;
        let status = response.status();
        if status.is_server_error() {
            return Err(KeyError::Unreachable(format!("status {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(KeyError::Unknown(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_KEY_BYTES as u64)
        {
            return Err(KeyError::NotAPublicKey);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_KEY_BYTES {
                return Err(KeyError::NotAPublicKey);
            }
            body.extend_from_slice(&chunk);
        }
        let pem = String::from_utf8(body).map_err(|_| KeyError::NotAPublicKey)?;
        if !pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
            return Err(KeyError::NotAPublicKey);
        }
        Ok(pem)
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::dev::ServerHandle;
    use actix_web::{App, HttpResponse, HttpServer, web};
    use futures_util::future::join_all;
    use time::macros::datetime;

    use super::*;

    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    const NOW: OffsetDateTime = datetime!(2026-01-05 10:00 UTC);

    /// A key server on loopback that counts requests and answers each after a short pause (so
    /// concurrent lookups overlap): `good` → a PEM key, `down` → 503, `huge` → 64 KiB, else 404.
    struct KeyServer {
        base: Url,
        requests: Arc<AtomicUsize>,
        handle: ServerHandle,
    }

    impl KeyServer {
        async fn start() -> Self {
            let requests = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&requests);
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = HttpServer::new(move || {
                let counted = Arc::clone(&counted);
                App::new().route(
                    "/keys/{kid}",
                    web::get().to(move |kid: web::Path<String>| {
                        counted.fetch_add(1, Ordering::SeqCst);
                        async move {
                            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
                            match kid.as_str() {
                                "good" => HttpResponse::Ok().body(PEM),
                                "down" => HttpResponse::ServiceUnavailable().finish(),
                                "huge" => HttpResponse::Ok().body(format!(
                                    "-----BEGIN PUBLIC KEY-----\n{}",
                                    "A".repeat(64 * 1024)
                                )),
                                _ => HttpResponse::NotFound().body("Unknown key id"),
                            }
                        }
                    }),
                )
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(0)
            .listen(listener)
            .unwrap()
            .run();
            let handle = server.handle();
            actix_web::rt::spawn(server);
            Self {
                base: Url::parse(&format!("http://127.0.0.1:{port}/keys")).unwrap(),
                requests,
                handle,
            }
        }

        fn keys(&self) -> InstallKeys {
            InstallKeys::new(self.base.clone(), reqwest::Client::new())
        }

        fn requests(&self) -> usize {
            self.requests.load(Ordering::SeqCst)
        }
    }

    async fn many(keys: &InstallKeys, kid: &str, n: usize) -> Vec<Result<String, KeyError>> {
        join_all((0..n).map(|_| keys.public_key(kid, NOW))).await
    }

    #[actix_web::test]
    async fn concurrent_lookups_of_one_kid_share_one_fetch_and_the_key_is_kept() {
        let server = KeyServer::start().await;
        let keys = server.keys();

        let answers = many(&keys, "good", 8).await;
        let later = keys.public_key("good", NOW + Duration::days(30)).await;

        assert!(
            answers.iter().all(|a| a.as_deref() == Ok(PEM)),
            "{answers:?}"
        );
        assert_eq!(later.as_deref(), Ok(PEM));
        assert_eq!(server.requests(), 1);
        server.handle.stop(false).await;
    }

    #[actix_web::test]
    async fn an_unknown_kid_is_fetched_once_and_believed_unknown_for_a_minute() {
        let server = KeyServer::start().await;
        let keys = server.keys();

        let burst = many(&keys, "forged", 8).await;
        let soon = keys
            .public_key("forged", NOW + UNKNOWN_KID_TTL - Duration::seconds(1))
            .await;
        assert_eq!(server.requests(), 1);
        let after = keys
            .public_key("forged", NOW + UNKNOWN_KID_TTL + Duration::seconds(1))
            .await;

        assert!(
            burst.iter().all(|a| *a == Err(KeyError::Unknown(404))),
            "{burst:?}"
        );
        assert_eq!(soon, Err(KeyError::Unknown(404)));
        assert_eq!(after, Err(KeyError::Unknown(404)));
        assert_eq!(server.requests(), 2, "asked again once the answer expired");
        server.handle.stop(false).await;
    }

    #[actix_web::test]
    async fn a_key_server_that_is_down_is_asked_again_next_time() {
        let server = KeyServer::start().await;
        let keys = server.keys();

        let first = keys.public_key("down", NOW).await;
        let second = keys.public_key("down", NOW).await;

        assert!(matches!(first, Err(KeyError::Unreachable(_))), "{first:?}");
        assert!(
            matches!(second, Err(KeyError::Unreachable(_))),
            "{second:?}"
        );
        assert_eq!(server.requests(), 2);
        server.handle.stop(false).await;
    }

    #[actix_web::test]
    async fn an_answer_over_the_size_cap_is_not_a_key() {
        let server = KeyServer::start().await;
        let keys = server.keys();

        assert_eq!(
            keys.public_key("huge", NOW).await,
            Err(KeyError::NotAPublicKey)
        );
        server.handle.stop(false).await;
    }

    #[test]
    fn unknown_kids_are_bounded_and_the_soonest_to_expire_goes_first() {
        let mut cache = Cache::default();
        for i in 0..MAX_UNKNOWN_KIDS {
            let at = NOW + Duration::microseconds(i as i64);
            cache.remember_unknown(&format!("kid-{i}"), KeyError::Unknown(404), at);
        }
        let last = NOW + Duration::seconds(1);
        cache.remember_unknown("one-more", KeyError::Unknown(404), last);

        assert_eq!(cache.unknown.len(), MAX_UNKNOWN_KIDS);
        assert!(!cache.unknown.contains_key("kid-0"));
        assert!(cache.unknown.contains_key("kid-1"));
        assert!(cache.unknown.contains_key("one-more"));
        // Expired answers are dropped first.
        cache.remember_unknown("late", KeyError::Unknown(404), last + UNKNOWN_KID_TTL);
        assert_eq!(cache.unknown.len(), 1);
    }
}
