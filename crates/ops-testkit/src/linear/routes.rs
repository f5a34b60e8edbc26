//! The HTTP side: `POST /graphql` logs the request, serves an injected fault
//! if one is due, checks the key (no `Bearer`: Linear refuses a personal API
//! key sent as a bearer token), then runs the operation. Every answer carries
//! Linear's rate-limit headers.

use super::execute::execute;
use super::state::{Fault, LinearRequest, State};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type Shared = Arc<Mutex<State>>;

/// The request budget the fake pretends to have per hour.
const REQUEST_LIMIT: usize = 1500;

pub(super) fn router(state: Shared) -> axum::Router {
    axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { handle(&state, &headers, &body) }
        }),
    )
}

fn handle(state: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut s = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.log.push(LinearRequest {
        operation: request["operationName"].as_str().map(str::to_string),
        variables: request["variables"].clone(),
        authorization: authorization.clone(),
    });
    let remaining = REQUEST_LIMIT.saturating_sub(s.log.len());
    let budget = budget_headers(remaining, Duration::from_secs(60));
    if let Some(fault) = s.take_fault() {
        return fault_answer(fault, &budget);
    }
    if authorization.as_deref() != Some(s.key.as_str()) || s.key.is_empty() {
        return answer(400, &auth_error(), &budget);
    }
    let Some(query) = request["query"].as_str() else {
        return answer(
            400,
            &error("Must provide query string.", "BAD_USER_INPUT"),
            &budget,
        );
    };
    let operation = request["operationName"].as_str();
    match execute(&s, query, operation, &request["variables"]) {
        Ok(data) => answer(200, &json!({ "data": data }), &budget),
        Err(message) => answer(400, &error(&message, "GRAPHQL_VALIDATION_FAILED"), &budget),
    }
}

fn fault_answer(fault: Fault, budget: &[(String, String)]) -> Response {
    match fault {
        Fault::TooManyRequests => {
            let mut h = budget_headers(0, Duration::from_millis(20));
            h.push(("retry-after".into(), "0".into()));
            answer(429, &json!({"error": "Too many requests"}), &h)
        }
        Fault::RateLimited { reset_in } => {
            let body = json!({"errors": [{
                "message": "Rate limit exceeded",
                "extensions": {
                    "code": "RATELIMITED",
                    "type": "ratelimited",
                    "userPresentableMessage": "You have exceeded the API rate limit. Please try again later."
                }
            }]});
            answer(400, &body, &budget_headers(0, reset_in))
        }
        Fault::ServerError(status) => answer(
            status,
            &json!({"errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
            budget,
        ),
        Fault::Malformed => {
            let mut resp = answer(200, &Value::Null, budget);
            *resp.body_mut() = axum::body::Body::from("{\"data\": {\"issues\": {\"nodes\": [");
            resp
        }
        Fault::GraphqlError { message, code } => answer(400, &error(&message, &code), budget),
    }
}

fn error(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}]})
}

/// What Linear answers to a missing or refused key.
fn auth_error() -> Value {
    json!({"errors": [{
        "message": "Authentication required, not authenticated",
        "extensions": {
            "type": "authentication error",
            "code": "AUTHENTICATION_ERROR",
            "statusCode": 401,
            "userPresentableMessage": "You need to authenticate to access this operation."
        }
    }]})
}

/// The request and complexity budgets, resetting `reset_in` from now (epoch ms).
fn budget_headers(remaining: usize, reset_in: Duration) -> Vec<(String, String)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let reset = (now + reset_in).as_millis().to_string();
    vec![
        (
            "x-ratelimit-requests-limit".into(),
            REQUEST_LIMIT.to_string(),
        ),
        (
            "x-ratelimit-requests-remaining".into(),
            remaining.to_string(),
        ),
        ("x-ratelimit-requests-reset".into(), reset.clone()),
        ("x-ratelimit-complexity-limit".into(), "250000".into()),
        ("x-ratelimit-complexity-remaining".into(), "249000".into()),
        ("x-ratelimit-complexity-reset".into(), reset),
        ("x-complexity".into(), "1000".into()),
    ]
}

fn answer(status: u16, body: &Value, headers: &[(String, String)]) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(name, value);
        }
    }
    resp
}
