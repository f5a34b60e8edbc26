//! The REST/GraphQL client under the GitHub shipper: octocrab's raw requests plus
//! what a merge bot needs around them.
//!
//! * rate limits: `retry-after` (secondary limits, 429) and
//!   `x-ratelimit-remaining: 0` + `x-ratelimit-reset` are waited out (up to
//!   [`ClientConfig::max_wait`], else a retryable error), and a quota seen at zero
//!   delays the next request until the reset;
//! * 502/503/504 are retried with doubling backoff ([`ClientConfig::retries`]);
//! * GETs are conditional: the last `ETag` of each URL is sent as `If-None-Match`
//!   and a `304` reuses the cached body (GitHub does not count 304s against the quota);
//! * every error text is redacted ([`crate::gate::secrets::redact`]), and the token
//!   lives only inside octocrab (this type's `Debug` never shows it).

use crate::gate::secrets::redact;
use http::header::{HeaderMap, HeaderValue};
use ops_core::{Error, ErrorKind, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// A GitHub token. Its `Debug` and `Display` never show the value.
#[derive(Clone)]
pub struct GitHubToken(String);

impl GitHubToken {
    /// Wraps a token (read from the environment or a secrets store by the caller).
    pub fn new(token: impl Into<String>) -> Self {
        GitHubToken(token.into())
    }

    /// The secret value, for the two places that need it (octocrab, git's env).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for GitHubToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GitHubToken(***)")
    }
}

/// How the client talks to the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API root (`https://api.github.com`, or a fake on 127.0.0.1).
    pub api_base: String,
    /// Longest rate-limit wait honoured in place (default 15 min).
    pub max_wait: Duration,
    /// Retries of a 5xx answer (default 3).
    pub retries: u32,
    /// First backoff after a 5xx, doubled each time (default 1 s).
    pub backoff: Duration,
    /// Limit for one request (default 30 s).
    pub request_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            api_base: "https://api.github.com".into(),
            max_wait: Duration::from_secs(15 * 60),
            retries: 3,
            backoff: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// An answer: status and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `message` of an error body.
    pub fn message(&self) -> String {
        let mut m = self.body["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(errors) = self.body["errors"].as_array() {
            for e in errors {
                if let Some(s) = e["message"].as_str() {
                    m.push_str(": ");
                    m.push_str(s);
                }
            }
        }
        redact(&m)
    }
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

/// The client; see the module docs.
pub(crate) struct Client {
    config: ClientConfig,
    token: GitHubToken,
    octo: OnceCell<octocrab::Octocrab>,
    etags: Mutex<BTreeMap<String, (String, Value)>>,
    quiet_until: Mutex<Option<Instant>>,
    /// For redirect targets (pre-signed log URLs), which never get the token.
    plain: reqwest::Client,
}

pub(crate) fn gh_err(op: &str, kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::backend("github", op, kind, redact(&message.into()))
}

impl Client {
    pub fn new(config: ClientConfig, token: GitHubToken) -> Self {
        Client {
            config,
            token,
            octo: OnceCell::new(),
            etags: Mutex::default(),
            quiet_until: Mutex::default(),
            plain: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .redirect(reqwest::redirect::Policy::limited(3))
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn token(&self) -> &GitHubToken {
        &self.token
    }

    async fn octo(&self) -> Result<&octocrab::Octocrab> {
        self.octo
            .get_or_try_init(|| async {
                octocrab::Octocrab::builder()
                    .base_uri(self.config.api_base.as_str())
                    .and_then(|b| b.personal_token(self.token.expose().to_string()).build())
                    .map_err(|e| gh_err("build the API client", ErrorKind::Invalid, e.to_string()))
            })
            .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_base.trim_end_matches('/'))
    }

    pub async fn get(&self, path: &str) -> Result<Reply> {
        self.send(Method::Get, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply> {
        self.send(Method::Post, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Reply> {
        self.send(Method::Put, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Reply> {
        self.send(Method::Delete, path, None).await
    }

    /// A text resource (a job's log): the API answers with a redirect to a
    /// pre-signed URL, fetched without the token. `None` when unavailable (best effort).
    pub async fn get_text(&self, path: &str) -> Option<String> {
        let op = format!("GET {path}");
        let (status, headers, text) = self
            .once(Method::Get, &self.url(path), None, None, &op)
            .await
            .ok()?;
        match status {
            200 => Some(text),
            301 | 302 | 303 | 307 | 308 => {
                let location = headers.get("location")?.to_str().ok()?.to_string();
                let resp = self.plain.get(location).send().await.ok()?;
                if resp.status().is_success() {
                    resp.text().await.ok()
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let op = format!("{method:?} {path}").to_uppercase();
        let url = self.url(path);
        let mut backoff = self.config.backoff;
        let mut retries = 0;
        loop {
            let quiet = *Self::lock(&self.quiet_until);
            if let Some(until) = quiet
                && until > Instant::now()
            {
                tokio::time::sleep_until(until).await;
            }
            let cached = match method {
                Method::Get => Self::lock(&self.etags).get(&url).cloned(),
                _ => None,
            };
            let (status, headers, text) = self
                .once(
                    method,
                    &url,
                    body,
                    cached.as_ref().map(|c| c.0.as_str()),
                    &op,
                )
                .await?;
            self.note_quota(&headers);
            if status == 304
                && let Some((_, body)) = cached
            {
                return Ok(Reply { status: 200, body });
            }
            if let Some(wait) = self.rate_limit_wait(status, &headers, &text) {
                if wait > self.config.max_wait {
                    return Err(gh_err(
                        &op,
                        ErrorKind::Retryable,
                        format!("rate limited for {}s", wait.as_secs()),
                    )
                    .with_retry_after(wait));
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if matches!(status, 502..=504) && retries < self.config.retries {
                retries += 1;
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                continue;
            }
            if status >= 500 {
                return Err(gh_err(
                    &op,
                    ErrorKind::Retryable,
                    format!("the API answered {status}"),
                ));
            }
            let body: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| {
                    gh_err(
                        &op,
                        ErrorKind::Retryable,
                        format!("the API answered {status} with a body that is not JSON: {e}"),
                    )
                })?
            };
            if let (Method::Get, 200) = (method, status)
                && let Some(etag) = headers.get("etag").and_then(|v| v.to_str().ok())
            {
                Self::lock(&self.etags).insert(url.clone(), (etag.to_string(), body.clone()));
            }
            if status == 401 {
                return Err(gh_err(
                    &op,
                    ErrorKind::Invalid,
                    "the token was refused (401)",
                ));
            }
            return Ok(Reply { status, body });
        }
    }

    async fn once(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        etag: Option<&str>,
        op: &str,
    ) -> Result<(u16, HeaderMap, String)> {
        let octo = self.octo().await?;
        let call = async {
            let resp = match method {
                Method::Get => {
                    let mut headers = HeaderMap::new();
                    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
                        headers.insert(http::header::IF_NONE_MATCH, tag);
                    }
                    octo._get_with_headers(url, Some(headers)).await
                }
                Method::Post => octo._post(url, body).await,
                Method::Put => octo._put(url, body).await,
                Method::Delete => octo._delete(url, body).await,
            }?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let text = octo.body_to_string(resp).await?;
            Ok::<_, octocrab::Error>((status, headers, text))
        };
        match tokio::time::timeout(self.config.request_timeout, call).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(gh_err(
                op,
                ErrorKind::Retryable,
                format!("the request failed: {e}"),
            )),
            Err(_) => Err(gh_err(
                op,
                ErrorKind::Retryable,
                format!(
                    "no answer within {}s",
                    self.config.request_timeout.as_secs()
                ),
            )),
        }
    }

    /// Remembers a quota at zero so the next request waits for its reset.
    fn note_quota(&self, headers: &HeaderMap) {
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        if remaining == Some(0)
            && let Some(reset) = header_u64(headers, "x-ratelimit-reset")
        {
            let wait =
                Duration::from_secs(reset.saturating_sub(now_secs())).min(self.config.max_wait);
            *Self::lock(&self.quiet_until) = Some(Instant::now() + wait);
        }
    }

    /// How long to wait before retrying a rate-limited answer, if it is one.
    fn rate_limit_wait(&self, status: u16, headers: &HeaderMap, text: &str) -> Option<Duration> {
        if status != 403 && status != 429 {
            return None;
        }
        if let Some(secs) = header_u64(headers, "retry-after") {
            return Some(Duration::from_secs(secs));
        }
        if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
            let reset = header_u64(headers, "x-ratelimit-reset").unwrap_or(0);
            return Some(Duration::from_secs(reset.saturating_sub(now_secs()).max(1)));
        }
        let lower = text.to_ascii_lowercase();
        if status == 429 || lower.contains("secondary rate limit") || lower.contains("abuse") {
            // GitHub: without a retry-after, wait at least a minute.
            return Some(Duration::from_secs(60));
        }
        None
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
