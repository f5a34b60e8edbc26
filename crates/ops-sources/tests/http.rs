//! The remote sources' HTTP client against a real server on 127.0.0.1: what it
//! retries, how it honours `Retry-After` and rate-limit hints, and that the token
//! never comes back in an error.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use ops_core::{ErrorKind, Secret};
use ops_sources::http::{Auth, Http, HttpConfig, Request, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server that answers each request with the next scripted answer (the last
/// one repeats) and records the `Authorization` header it saw.
type Headers = Vec<(&'static str, String)>;

#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<(u16, Headers, String)>>>,
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl Script {
    fn new(answers: Vec<(u16, Headers, &str)>) -> Self {
        let s = Script::default();
        *s.answers.lock().unwrap() = answers
            .into_iter()
            .map(|(c, h, b)| (c, h, b.to_string()))
            .collect();
        s
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    async fn serve(&self) -> String {
        let script = self.clone();
        let app = Router::new().route(
            "/x",
            get(move |headers: HeaderMap| {
                let script = script.clone();
                async move {
                    script.seen.lock().unwrap().push(
                        headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                    );
                    let mut answers = script.answers.lock().unwrap();
                    let (code, extra, body) = if answers.len() > 1 {
                        answers.pop_front().unwrap()
                    } else {
                        answers.front().cloned().unwrap()
                    };
                    let mut h = HeaderMap::new();
                    for (k, v) in extra {
                        h.insert(k, v.parse().unwrap());
                    }
                    // Echo the token back, as a careless API might in an error.
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let body = body.replace("{auth}", &auth);
                    (StatusCode::from_u16(code).unwrap(), h, body).into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }
}

fn quick() -> HttpConfig {
    HttpConfig {
        retries: 3,
        backoff: Duration::from_millis(5),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

const CANARY: &str = "canary-token-5ac1d";

#[tokio::test]
async fn server_errors_are_retried_until_an_answer_comes() {
    let script = Script::new(vec![
        (502, vec![], "bad gateway"),
        (503, vec![], ""),
        (200, vec![], "{\"ok\":true}"),
    ]);
    let url = script.serve().await;
    let http = Http::new("test", None, quick()).unwrap();
    let r = http.send(&Request::get(url)).await.unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "{\"ok\":true}"));
    assert_eq!(script.requests(), 3);
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_fails_at_once_carrying_the_wait() {
    let script = Script::new(vec![(
        429,
        vec![("retry-after", "3600".into())],
        "slow down",
    )]);
    let url = script.serve().await;
    let http = Http::new("test", None, quick()).unwrap();
    let e = http.send(&Request::get(url)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Retryable);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert!(e.to_string().contains("429"), "{e}");
    assert_eq!(script.requests(), 1, "no retry before the wait is over");
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_and_the_request_retried() {
    let script = Script::new(vec![
        (429, vec![("retry-after", "0".into())], ""),
        (200, vec![], "done"),
    ]);
    let url = script.serve().await;
    let http = Http::new("test", None, quick()).unwrap();
    assert_eq!(http.send(&Request::get(url)).await.unwrap().body, "done");
    assert_eq!(script.requests(), 2);
}

#[tokio::test]
async fn retries_used_up_give_a_retryable_error_naming_service_request_and_status() {
    let script = Script::new(vec![(500, vec![], "boom")]);
    let url = script.serve().await;
    let http = Http::new("sentry", None, quick()).unwrap();
    let e = http
        .send(&Request::get(format!("{url}?cursor=1")))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Retryable);
    let text = e.to_string();
    assert!(
        text.contains("sentry")
            && text.contains("GET")
            && text.contains("/x")
            && text.contains("500"),
        "{text}"
    );
    assert!(
        !text.contains("cursor"),
        "the query string stays out of errors: {text}"
    );
    assert_eq!(script.requests(), 4, "one try and three retries");
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_keeps_its_kind() {
    let script = Script::new(vec![(404, vec![], "{\"message\":\"Not Found\"}")]);
    let url = script.serve().await;
    let http = Http::new("github", None, quick()).unwrap();
    let e = http.send(&Request::get(url)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(script.requests(), 1);
}

#[tokio::test]
async fn the_token_is_sent_in_the_scheme_asked_for_and_never_appears_in_an_error() {
    for (auth, expect) in [
        (
            Auth::Bearer(Secret::new(CANARY, "env T")),
            format!("Bearer {CANARY}"),
        ),
        (Auth::Raw(Secret::new(CANARY, "env T")), CANARY.to_string()),
    ] {
        let script = Script::new(vec![(401, vec![], "bad credentials: {auth}")]);
        let url = script.serve().await;
        let http = Http::new("linear", Some(auth), quick()).unwrap();
        let e = http.send(&Request::get(url)).await.unwrap_err();
        assert_eq!(
            script.seen.lock().unwrap()[0].as_deref(),
            Some(expect.as_str())
        );
        let shown = format!("{e} {e:?} {http:?}");
        assert!(!shown.contains(CANARY), "{shown}");
        assert!(shown.contains("401") && shown.contains("***"), "{shown}");
    }
}

fn body_says_wait(r: &Response) -> Option<Duration> {
    r.body
        .contains("RATELIMITED")
        .then_some(Duration::from_millis(1))
}

#[tokio::test]
async fn a_rate_limit_hint_in_a_successful_answer_is_retried() {
    let script = Script::new(vec![
        (
            200,
            vec![],
            "{\"errors\":[{\"extensions\":{\"code\":\"RATELIMITED\"}}]}",
        ),
        (200, vec![], "{\"data\":{}}"),
    ]);
    let url = script.serve().await;
    let http = Http::new("linear", None, quick())
        .unwrap()
        .with_rate_limit(body_says_wait);
    assert_eq!(
        http.send(&Request::get(url)).await.unwrap().body,
        "{\"data\":{}}"
    );
    assert_eq!(script.requests(), 2);
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    drop(listener);
    let http = Http::new("github", None, quick()).unwrap();
    let e = http.send(&Request::get(url)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Retryable);
    assert!(e.to_string().contains("could not be reached"), "{e}");
}

#[tokio::test]
async fn a_malformed_retry_after_date_falls_back_to_the_backoff_instead_of_panicking() {
    for bad in [
        // Day 0 of March: the civil-date arithmetic went below zero.
        "Sun, 00 Mar 2026 08:49:37 GMT",
        // A year, an hour far past what a date can hold.
        "Sun, 06 Nov 99999999999999999 08:49:37 GMT",
        "Sun, 06 Nov 2026 99999999999999999:00:00 GMT",
    ] {
        let script = Script::new(vec![
            (429, vec![("retry-after", bad.into())], "slow down"),
            (200, vec![], "done"),
        ]);
        let url = script.serve().await;
        let http = Http::new("test", None, quick()).unwrap();
        let answer = http.send(&Request::get(url)).await.expect(bad);
        assert_eq!(answer.body, "done", "{bad}");
        assert_eq!(
            script.requests(),
            2,
            "{bad}: retried once after the backoff"
        );
    }
}

#[tokio::test]
async fn a_token_no_header_can_carry_is_an_invalid_error_at_once_not_retried_as_unreachable() {
    let script = Script::new(vec![(200, vec![], "never asked")]);
    let url = script.serve().await;
    // A secret stored on two lines (a Doppler value with a note under it).
    let token = Secret::new(format!("{CANARY}\nrotate in May"), "env SENTRY_AUTH_TOKEN");
    let http = Http::new("sentry", Some(Auth::Bearer(token)), quick()).unwrap();
    let e = http.send(&Request::get(url)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    let text = e.to_string();
    assert!(text.contains("env SENTRY_AUTH_TOKEN"), "{text}");
    assert!(!text.contains("could not be reached"), "{text}");
    assert!(!text.contains(CANARY), "{text}");
    assert_eq!(script.requests(), 0);
}
