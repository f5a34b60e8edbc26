//! The HTTP side: one handler that applies injected faults, conditional GETs, and
//! routes `/repos/{owner}/{name}/...` and `/graphql` to the state.

use super::state::{Answer, Fault, MergeCall, State};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

type Shared = Arc<Mutex<State>>;

pub(super) fn router(state: Shared) -> axum::Router {
    axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { handle(&state, &method, &uri, &headers, &body) }
        },
    )
}

fn query(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%3A", ":").replace("%2F", "/")))
        .collect()
}

fn json_response(status: u16, body: &Value, extra: &[(&str, String)]) -> Response {
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

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn handle(
    state: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let mut st = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = uri.path().to_string();
    st.requests.push(format!(
        "{method} {}",
        uri.path_and_query().map_or(path.clone(), |p| p.to_string())
    ));
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        st.authorizations.push(auth.to_string());
    }
    let injected = st.take_fault(|f| match f {
        Fault::BadGateway(n) if *n > 0 => {
            *n -= 1;
            Some((json_response(502, &json!({"message": "Server Error"}), &[]), *n == 0))
        }
        Fault::SecondaryRateLimit { retry_after_secs } => Some((
            json_response(
                403,
                &json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}),
                &[("retry-after", retry_after_secs.to_string())],
            ),
            true,
        )),
        Fault::PrimaryRateLimit { reset_in_secs } => Some((
            json_response(
                403,
                &json!({"message": "API rate limit exceeded for user ID 1."}),
                &[
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", (now_secs() + *reset_in_secs).to_string()),
                ],
            ),
            true,
        )),
        _ => None,
    });
    if let Some(resp) = injected {
        return resp;
    }
    if let Some(resp) = logs(&st, &path, headers) {
        return resp;
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let answer = route(&mut st, method, uri, &path, &body);
    let (status, value) = match answer {
        Ok(a) | Err(a) => a,
    };
    let limits = [
        ("x-ratelimit-limit", "5000".to_string()),
        ("x-ratelimit-remaining", "4999".to_string()),
        ("x-ratelimit-reset", (now_secs() + 3600).to_string()),
    ];
    if *method == Method::GET && status == 200 {
        let mut hasher = DefaultHasher::new();
        value.to_string().hash(&mut hasher);
        let etag = format!("\"{:x}\"", hasher.finish());
        if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            st.not_modified += 1;
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(v) = HeaderValue::from_str(&etag) {
                resp.headers_mut().insert("etag", v);
            }
            return resp;
        }
        let mut extra = limits.to_vec();
        extra.push(("etag", etag));
        return json_response(status, &value, &extra);
    }
    json_response(status, &value, &limits)
}

/// Actions job logs: the API redirects to a pre-signed URL (here `/_logs/{id}` on
/// the same server), which refuses requests that carry an `Authorization` header
/// (as blob stores do), so a client that leaks its token there gets no log.
fn logs(st: &State, path: &str, headers: &HeaderMap) -> Option<Response> {
    if let Some(id) = path.strip_prefix("/_logs/") {
        if headers.contains_key("authorization") {
            return Some(json_response(
                403,
                &json!({"message": "no credentials on a pre-signed URL"}),
                &[],
            ));
        }
        let log = st.job_logs.get(&id.parse().ok()?)?;
        let mut resp = (StatusCode::OK, log.clone()).into_response();
        resp.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/plain"));
        return Some(resp);
    }
    let rest = path.strip_prefix("/repos/")?;
    let (_, job) = rest.split_once("/actions/jobs/")?;
    let id = job.strip_suffix("/logs")?;
    let host = headers.get("host").and_then(|h| h.to_str().ok())?;
    let mut resp = StatusCode::FOUND.into_response();
    let location = HeaderValue::from_str(&format!("http://{host}/_logs/{id}")).ok()?;
    resp.headers_mut().insert("location", location);
    Some(resp)
}

fn route(st: &mut State, method: &Method, uri: &Uri, path: &str, body: &Value) -> Answer {
    if path == "/graphql" && *method == Method::POST {
        return st.graphql(body);
    }
    let Some(rest) = path.strip_prefix("/repos/") else {
        return Err((404, json!({"message": "Not Found"})));
    };
    let parts: Vec<&str> = rest.splitn(3, '/').collect();
    let (slug, tail) = match parts.as_slice() {
        [o, n, tail] => (format!("{o}/{n}"), *tail),
        [o, n] => (format!("{o}/{n}"), ""),
        _ => return Err((404, json!({"message": "Not Found"}))),
    };
    let seg: Vec<&str> = tail.split('/').collect();
    match (method.as_str(), seg.as_slice()) {
        ("GET", ["pulls"]) => st.list_pulls(&slug, &query(uri)),
        ("POST", ["pulls"]) => st.create_pull(&slug, body),
        ("GET", ["pulls", n]) => st.get_pull(&slug, n.parse().unwrap_or(0)),
        ("PUT", ["pulls", n, "merge"]) => {
            let number = n.parse().unwrap_or(0);
            let sha = body["sha"].as_str();
            let merge_method = body["merge_method"].as_str().unwrap_or("merge").to_string();
            let answer = st.merge(
                &slug,
                number,
                sha,
                &merge_method,
                body["commit_title"].as_str().unwrap_or("merge"),
                body["commit_message"].as_str().unwrap_or_default(),
            );
            let status = match &answer {
                Ok((s, _)) | Err((s, _)) => *s,
            };
            st.merge_calls.push(MergeCall {
                number,
                sha: sha.map(str::to_string),
                method: merge_method,
                body: body.clone(),
                status,
            });
            answer
        }
        ("GET", ["commits", sha, "check-runs"]) => st.check_runs(&slug, sha, &query(uri)),
        ("GET", ["commits", sha, "status"]) => st.combined_status(&slug, sha, &query(uri)),
        ("DELETE", ["git", "refs", "heads", _, ..]) => {
            st.delete_branch(&slug, tail.trim_start_matches("git/refs/heads/"))
        }
        ("GET", ["branches", ..]) => st.branch(&slug, tail.trim_start_matches("branches/")),
        ("GET", ["compare", ..]) => st.compare(&slug, tail.trim_start_matches("compare/")),
        _ => Err((404, json!({"message": "Not Found"}))),
    }
}
