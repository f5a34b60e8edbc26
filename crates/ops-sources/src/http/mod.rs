//! The one HTTP client under the remote sources (GitHub, Sentry, Linear).
//!
//! * the token goes in one header, marked sensitive, and every error text is
//!   redacted with it: it never reaches a log, an event or an error;
//! * `429`, `5xx` and connection failures are retried with doubling backoff,
//!   and a `Retry-After` (seconds or an HTTP date) or a service's own
//!   rate-limit hint ([`Http::with_rate_limit`]) replaces the backoff;
//! * a wait longer than [`HttpConfig::max_wait`], or retries used up, is a
//!   retryable error carrying the wait ([`ops_core::Error::retry_after`]): the
//!   audit reports the source and goes on with the others;
//! * any other answer that is not 2xx or 304 is an error naming the service,
//!   the request and the status, with the body's first line (redacted).

mod answers;
mod retry;

pub use retry::{retry_after_header, until_unix_secs};

use ops_core::{Error, ErrorKind, Result, Secret};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How the client retries and waits: the settings file's `[http]` section
/// (retries 3, backoff 1 s doubled each retry, longest wait honoured in place
/// 60 s, 30 s for one request).
pub use ops_core::config::HttpSettings as HttpConfig;

/// How the token is sent.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer <token>` (GitHub, Sentry).
    Bearer(Secret),
    /// `Authorization: <key>` with no scheme (Linear API keys).
    Raw(Secret),
}

impl Auth {
    fn secret(&self) -> &Secret {
        match self {
            Auth::Bearer(s) | Auth::Raw(s) => s,
        }
    }

    fn header(&self) -> Result<HeaderValue> {
        let text = match self {
            Auth::Bearer(s) => format!("Bearer {}", s.expose()),
            Auth::Raw(s) => s.expose().to_string(),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            Error::backend(
                "http",
                "authorize",
                ErrorKind::Invalid,
                format!(
                    "the token from {} holds characters a header cannot carry",
                    self.secret().origin()
                ),
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// A request: method, URL, extra headers and an optional JSON body.
#[derive(Debug, Clone)]
pub struct Request {
    method: reqwest::Method,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// A `GET` of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `POST` of `body` as JSON to `url`.
    pub fn post_json(url: impl Into<String>, body: &impl serde::Serialize) -> Result<Self> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::backend("http", "encode", ErrorKind::Invalid, e.to_string()))?;
        Ok(Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: Some(body),
        })
    }

    /// Adds a header; a value a header cannot carry is left out.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), v));
        }
        self
    }

    /// The method and the URL without its query (for errors).
    fn describe(&self) -> String {
        let path = self.url.split('?').next().unwrap_or_default();
        format!("{} {path}", self.method)
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as `T`; a body that is not, is an error naming `service` and `what`.
    pub fn json<T: DeserializeOwned>(&self, service: &str, what: &str) -> Result<T> {
        serde_json::from_str(&self.body).map_err(|e| {
            Error::backend(
                service,
                what,
                ErrorKind::Retryable,
                format!("the answer is not what the API documents: {e}"),
            )
        })
    }
}

/// An answer made up for a unit test of a rate-limit rule.
#[cfg(test)]
pub(crate) fn answer(status: u16, headers: &[(&'static str, String)], body: &str) -> Response {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().expect("header value"));
    }
    Response {
        status,
        headers: map,
        body: body.into(),
    }
}

/// Decides, from an answer, whether it is a rate limit and how long to wait.
pub type RateLimitHint = fn(&Response) -> Option<Duration>;

/// The client; see the module docs.
#[derive(Debug, Clone)]
pub struct Http {
    service: &'static str,
    client: reqwest::Client,
    auth: Option<Auth>,
    config: HttpConfig,
    hint: Option<RateLimitHint>,
    answers: &'static [u16],
}

impl Http {
    /// A client for `service` (named in errors) that authenticates with `auth`.
    pub fn new(service: &'static str, auth: Option<Auth>, config: HttpConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("ops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::backend(service, "start", ErrorKind::Fatal, e.to_string()))?;
        Ok(Http {
            service,
            client,
            auth,
            config,
            hint: None,
            answers: &[],
        })
    }

    /// Adds the service's own rate-limit rule (headers or body that mean "wait").
    pub fn with_rate_limit(mut self, hint: RateLimitHint) -> Self {
        self.hint = Some(hint);
        self
    }

    /// The service's name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Sends `request`, retrying and waiting as the module docs say. Returns a
    /// 2xx or 304 answer (or one of [`Http::with_answers`]); anything else is
    /// an error.
    pub async fn send(&self, request: &Request) -> Result<Response> {
        // A token no header can carry fails now: retrying cannot mend it.
        let authorization = match &self.auth {
            Some(auth) => Some(auth.header().map_err(|e| {
                Error::backend(self.service, request.describe(), e.kind(), e.to_string())
            })?),
            None => None,
        };
        let mut backoff = self.config.backoff;
        let mut attempt = 0;
        let answer = loop {
            let outcome = self.send_once(request, authorization.as_ref()).await;
            let wait = match &outcome {
                Ok(r) => match self.hint.and_then(|h| h(r)) {
                    // Some APIs (GraphQL) say "rate limited" inside a 200.
                    Some(wait) => wait,
                    None if (200..300).contains(&r.status)
                        || r.status == 304
                        || self.answers.contains(&r.status) =>
                    {
                        break outcome.map_err(|e| self.transport_error(request, e))?;
                    }
                    None if r.status == 429 || r.status >= 500 => {
                        retry_after_header(r).unwrap_or(backoff)
                    }
                    None => return Err(self.status_error(request, r)),
                },
                Err(_) => backoff,
            };
            if attempt >= self.config.retries || wait > self.config.max_wait {
                return Err(self.give_up(request, outcome, wait, attempt));
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
            backoff = backoff.saturating_mul(2);
        };
        Ok(answer)
    }

    async fn send_once(
        &self,
        request: &Request,
        authorization: Option<&HeaderValue>,
    ) -> std::result::Result<Response, String> {
        let mut builder = self
            .client
            .request(request.method.clone(), &request.url)
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(value) = authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, value.clone());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let answer = builder
            .send()
            .await
            .map_err(|e| self.redact(&e.to_string()))?;
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let body = answer
            .text()
            .await
            .map_err(|e| self.redact(&e.to_string()))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn redact(&self, text: &str) -> String {
        match &self.auth {
            Some(auth) => auth.secret().redact(text),
            None => text.to_string(),
        }
    }

    fn transport_error(&self, request: &Request, e: String) -> Error {
        Error::backend(self.service, request.describe(), ErrorKind::Retryable, e)
    }

    fn status_error(&self, request: &Request, r: &Response) -> Error {
        let kind = match r.status {
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        };
        let advice = match r.status {
            401 => " (the token was refused: check it)",
            403 => " (the token lacks a permission, or the API refused it)",
            _ => "",
        };
        Error::backend(
            self.service,
            request.describe(),
            kind,
            format!(
                "answered {}{advice}: {}",
                r.status,
                self.first_line(&r.body)
            ),
        )
    }

    fn give_up(
        &self,
        request: &Request,
        outcome: std::result::Result<Response, String>,
        wait: Duration,
        attempt: u32,
    ) -> Error {
        let last = match outcome {
            Ok(r) => format!("answered {}: {}", r.status, self.first_line(&r.body)),
            Err(e) => format!("could not be reached: {e}"),
        };
        let why = if wait > self.config.max_wait {
            format!(
                "asked to wait {}s, longer than the {}s allowed",
                wait.as_secs(),
                self.config.max_wait.as_secs()
            )
        } else {
            format!("gave up after {} tries", attempt + 1)
        };
        Error::backend(
            self.service,
            request.describe(),
            ErrorKind::Retryable,
            format!("{last} ({why})"),
        )
        .with_retry_after(wait)
    }

    fn first_line(&self, body: &str) -> String {
        let line = body.lines().next().unwrap_or_default();
        let cut: String = line.chars().take(300).collect();
        self.redact(&cut)
    }
}
