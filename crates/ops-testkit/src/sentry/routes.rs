//! The HTTP side: logs the request, checks the token, applies injected faults,
//! answers the issues endpoint with Sentry's `Link` and rate-limit headers.

use super::state::{Fault, Page, State, detail};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Shared = Arc<Mutex<State>>;

const LIMIT: u64 = 40;

pub(super) fn router(state: Shared) -> axum::Router {
    axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let state = state.clone();
        async move {
            let (response, delay) = handle(&state, &method, &uri, &headers);
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            response
        }
    })
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The rate-limit headers Sentry puts on every answer.
fn limits(remaining: u64, reset_in: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-sentry-rate-limit-limit", LIMIT.to_string()),
        ("x-sentry-rate-limit-remaining", remaining.to_string()),
        (
            "x-sentry-rate-limit-reset",
            (now_secs() + reset_in).to_string(),
        ),
        ("x-sentry-rate-limit-concurrentlimit", "25".into()),
        ("x-sentry-rate-limit-concurrentremaining", "24".into()),
    ]
}

fn respond(status: u16, body: String, extra: &[(&str, String)]) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in extra {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(name, value);
        }
    }
    resp
}

fn handle(
    state: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> (Response, Option<Duration>) {
    let mut st = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = uri.path().to_string();
    st.requests.push(format!(
        "{method} {}",
        uri.path_and_query().map_or(path.clone(), |p| p.to_string())
    ));
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Some(auth) = auth {
        st.authorizations.push(auth.to_string());
    }
    let org = path
        .strip_prefix("/api/0/organizations/")
        .and_then(|rest| rest.strip_suffix("/issues/"))
        .filter(|org| !org.is_empty() && !org.contains('/'))
        .map(decode);
    let normal = limits(LIMIT - 1, 1);
    let expected = format!("Bearer {}", st.token);
    match auth {
        None => {
            let (s, v) = detail(401, "Authentication credentials were not provided.");
            return (respond(s, v.to_string(), &[]), None);
        }
        Some(a) if a != expected => {
            let (s, v) = detail(401, "Invalid token");
            return (respond(s, v.to_string(), &[]), None);
        }
        Some(_) => {}
    }
    let mut delay = None;
    let mut foreign = false;
    let mut extra = normal.clone();
    match st.take_fault(org.as_deref()) {
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut h = limits(0, retry_after_secs);
            h.push(("retry-after", retry_after_secs.to_string()));
            return (respond(429, too_many(), &h), None);
        }
        Some(Fault::RateLimitedUntilReset { reset_in_secs }) => {
            return (respond(429, too_many(), &limits(0, reset_in_secs)), None);
        }
        Some(Fault::ServerError(_)) => {
            let body =
                serde_json::json!({"detail": "Internal Error", "errorId": "5f1c2a9e0b7d4c1e"});
            return (respond(500, body.to_string(), &normal), None);
        }
        Some(Fault::Malformed) => {
            return (
                respond(200, "[{\"id\": \"1\", \"shortId\": \"WEB-".into(), &normal),
                None,
            );
        }
        Some(Fault::WindowExhausted { reset_in_secs }) => extra = limits(0, reset_in_secs),
        Some(Fault::Slow(d)) => delay = Some(d),
        Some(Fault::ForeignNextLink) => foreign = true,
        None => {}
    }
    let (Some(org), &Method::GET) = (org, method) else {
        let (s, v) = detail(404, "The requested resource does not exist");
        return (respond(s, v.to_string(), &normal), delay);
    };
    let params = params(uri.query().unwrap_or_default());
    match st.search(&org, &params) {
        Ok(page) => {
            let host = match headers.get("host").and_then(|h| h.to_str().ok()) {
                _ if foreign => "collector.example.invalid",
                Some(host) => host,
                None => "127.0.0.1",
            };
            extra.push((
                "link",
                link(&format!("http://{host}{path}"), &params, &page),
            ));
            let body = Value::Array(page.issues).to_string();
            (respond(200, body, &extra), delay)
        }
        Err((status, body)) => (respond(status, body.to_string(), &extra), delay),
    }
}

fn too_many() -> String {
    serde_json::json!({"detail": format!("You are attempting to use this endpoint too frequently. Limit is {LIMIT} requests in 1 seconds")}).to_string()
}

/// The `Link` header as Sentry writes it: the request's own query (cursor
/// replaced) for the previous and the next page, each saying whether it has results.
fn link(base: &str, params: &[(String, String)], page: &Page) -> String {
    let qs: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "cursor")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let qs = qs.join("&");
    let prev = format!("0:{}:1", page.offset.saturating_sub(page.limit));
    let next = format!("0:{}:0", page.offset + page.limit);
    format!(
        "<{base}?{qs}&cursor={prev}>; rel=\"previous\"; results=\"{}\"; cursor=\"{prev}\", \
         <{base}?{qs}&cursor={next}>; rel=\"next\"; results=\"{}\"; cursor=\"{next}\"",
        page.offset > 0,
        page.more
    )
}

fn params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(kv), String::new()),
        })
        .collect()
}

/// Form decoding: `+` is a space, `%XX` a byte.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Form encoding as Django's `urlencode` writes it (space as `+`).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
