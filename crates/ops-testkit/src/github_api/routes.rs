//! The fake's HTTP side: a gate in front of every route (count, token, faults,
//! rate-limit headers) and `POST /graphql`.

use super::{Fault, State, exec};
use axum::extract::{Request, State as Shared};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

type Shared_ = Arc<Mutex<State>>;

const LIMIT: u64 = 5000;

pub(super) fn router(state: Shared_, extra: Router) -> Router {
    Router::new()
        .route("/graphql", post(graphql))
        .with_state(state.clone())
        .merge(extra)
        .layer(middleware::from_fn_with_state(state, gate))
}

fn lock(state: &Shared_) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn gate(Shared(state): Shared<Shared_>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let kind = if path == "/graphql" {
        "graphql"
    } else {
        "rest"
    };
    let headers = request.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (authorization, version) = (header("authorization"), header("x-github-api-version"));
    let line = match request.uri().query() {
        Some(q) => format!("{} {path}?{q}", request.method()),
        None => format!("{} {path}", request.method()),
    };
    let (fault, remaining) = {
        let mut s = lock(&state);
        *s.counts.entry(kind.into()).or_default() += 1;
        s.requests.push(line);
        s.api_versions.push(version);
        if authorization != Some(format!("Bearer {}", s.token)) {
            drop(s);
            let body = json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"});
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
        s.used += 1;
        let fault = match s.faults.front_mut() {
            Some(Fault::Status { times, .. }) if *times > 1 => {
                *times -= 1;
                s.faults.front().cloned()
            }
            Some(_) => s.faults.pop_front(),
            None => None,
        };
        (fault, LIMIT.saturating_sub(s.used))
    };
    let resource = if kind == "graphql" { "graphql" } else { "core" };
    let mut response = match fault {
        None => next.run(request).await,
        Some(Fault::Status {
            status,
            retry_after,
            body,
            ..
        }) => {
            let mut r = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                body,
            )
                .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(secs));
            }
            r
        }
        Some(Fault::RateLimited { reset_in }) => {
            let body = json!({"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", "status": "403"});
            let mut r = (StatusCode::FORBIDDEN, Json(body)).into_response();
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from(LIMIT));
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert("x-ratelimit-used", HeaderValue::from(LIMIT));
            h.insert("x-ratelimit-reset", HeaderValue::from(now() + reset_in));
            h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
            return r;
        }
        Some(Fault::GraphQlRateLimited { reset_in }) => {
            let body = json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit already exceeded for user ID 1."}]});
            let mut r = (StatusCode::OK, Json(body)).into_response();
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert("x-ratelimit-reset", HeaderValue::from(now() + reset_in));
            r
        }
        Some(Fault::Malformed) => {
            (StatusCode::OK, "{\"data\": {\"a0\": {\"nameWith").into_response()
        }
    };
    let h = response.headers_mut();
    h.entry("x-ratelimit-limit")
        .or_insert(HeaderValue::from(LIMIT));
    h.entry("x-ratelimit-remaining")
        .or_insert(HeaderValue::from(remaining));
    h.entry("x-ratelimit-used")
        .or_insert(HeaderValue::from(LIMIT - remaining));
    h.entry("x-ratelimit-reset")
        .or_insert(HeaderValue::from(now() + 3600));
    h.entry("x-ratelimit-resource")
        .or_insert(HeaderValue::from_static(resource));
    response
}

async fn graphql(Shared(state): Shared<Shared_>, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "Problems parsing JSON"})),
        )
            .into_response();
    };
    let query = request["query"].as_str().unwrap_or_default().to_string();
    let variables = request["variables"]
        .as_object()
        .cloned()
        .unwrap_or_else(Map::new);
    let mut s = lock(&state);
    s.documents.push(query.clone());
    let answer = exec::execute(&*s, &query, &variables);
    (StatusCode::OK, Json(answer)).into_response()
}
