//! Upstream output reaching dependents, end to end: `ops run` with the real Claude
//! Code CLI (pinned, installed by scripts/install-agent-clis.sh) against scripted
//! Anthropic Messages servers on 127.0.0.1 and the local-git shipper.
//!
//! - subagents: B waits for A; B's first model request carries A's summary, the
//!   commit it landed as and the files it changed;
//! - teams, across repositories: B (web) builds on A (api), starts while A runs,
//!   is told to prepare, and A's output reaches B's running conversation as a user
//!   message the moment A lands (one B process, one conversation);
//! - teams: an API error is reported as the API's own message, never "(success)".
//!
//! Each agent gets its own scripted server: a router on 127.0.0.1 sends a request
//! to the server whose key its conversation's first message (the brief) contains.

use ops_core::model::{AttemptOutcome, Task, TaskStatus};
use ops_core::{SqliteBoard, TaskStore};
use ops_e2e::fleet::{Fleet, Ran, Started, Todo};
use ops_testkit::anthropic::{FakeAnthropic, Recorded, Reply};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Far beyond what a few CLI runs take here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(300);

const PRODUCER: Todo = Todo {
    alias: "api",
    key: "widget",
    title: "Build the widget endpoint",
    after: None,
};

/// How the producer's own brief names it.
const PRODUCER_BRIEF: &str = ": Build the widget endpoint (attempt";

/// The real Claude Code CLI, installed at the pinned version by the project script.
fn claude_cli() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let tools = root.join(".tools");
    std::fs::create_dir_all(&tools).expect("create .tools");
    let lock = std::fs::File::create(tools.join(".install.lock")).expect("lock file");
    lock.lock().expect("take the install lock");
    let status = std::process::Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(status.success(), "installing the agent CLIs failed");
    let cli = tools.join("node_modules/.bin/claude");
    assert!(cli.exists(), "claude is at {}", cli.display());
    cli
}

/// What a route answers with.
enum Spec {
    /// A scripted model server with these replies.
    Model(Vec<Reply>),
    /// An API error: this status and the API's error body with `message`.
    Error(u16, &'static str),
}

/// Where a routed request goes.
enum Target {
    /// A scripted model server.
    Model(FakeAnthropic),
    /// An API error: this status and the API's error body with `message`.
    Error(u16, &'static str),
}

/// A router in front of scripted servers: a request goes to the first route whose
/// key its first message contains, else to the last route.
struct Router {
    routes: Arc<Vec<(&'static str, Target)>>,
    addr: std::net::SocketAddr,
    _server: tokio::task::JoinHandle<()>,
}

impl Router {
    async fn start(routes: Vec<(&'static str, Target)>) -> Router {
        let routes = Arc::new(routes);
        let shared = Arc::clone(&routes);
        let app = axum::Router::new().fallback(axum::routing::any(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let routes = Arc::clone(&shared);
                async move { forward(&routes, uri, headers, body).await }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the router");
        let addr = listener.local_addr().expect("router address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Router {
            routes,
            addr,
            _server: server,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The agent turns the model server of route `key` answered.
    fn turns(&self, key: &str) -> Vec<Recorded> {
        self.routes
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, t)| match t {
                Target::Model(m) => Some(m.requests()),
                Target::Error(..) => None,
            })
            .unwrap_or_default()
            .into_iter()
            .filter(Recorded::is_agent_turn)
            .collect()
    }
}

async fn forward(
    routes: &[(&'static str, Target)],
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let first = json["messages"][0].to_string();
    let target = routes
        .iter()
        .find(|(key, _)| first.contains(key))
        .or(routes.last())
        .map(|(_, t)| t);
    let server = match target {
        Some(Target::Model(m)) => m.url(),
        Some(Target::Error(status, message)) => {
            let body = serde_json::json!({
                "type": "error",
                "error": { "type": "invalid_request_error", "message": message },
            });
            let status = axum::http::StatusCode::from_u16(*status)
                .unwrap_or(axum::http::StatusCode::BAD_REQUEST);
            return (status, axum::Json(body)).into_response();
        }
        None => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = reqwest::Client::new()
        .post(format!("{server}{path}"))
        .body(body.to_vec());
    if let Some(kind) = headers.get("content-type").and_then(|v| v.to_str().ok()) {
        request = request.header("content-type", kind);
    }
    match request.send().await {
        Ok(answer) => {
            let status = axum::http::StatusCode::from_u16(answer.status().as_u16())
                .unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
            let kind = answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, [("content-type", kind)], bytes).into_response()
        }
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// A fleet, a router of scripted servers (on its own runtime) and the CLI.
struct Scenario {
    fleet: Fleet,
    router: Router,
    _runtime: tokio::runtime::Runtime,
    cli: PathBuf,
}

impl Scenario {
    fn new(todos: &[Todo], routes: Vec<(&'static str, Spec)>) -> Scenario {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let router = runtime.block_on(async {
            let mut targets = Vec::new();
            for (key, spec) in routes {
                targets.push((
                    key,
                    match spec {
                        Spec::Model(script) => Target::Model(FakeAnthropic::start(script).await),
                        Spec::Error(status, message) => Target::Error(status, message),
                    },
                ));
            }
            Router::start(targets).await
        });
        Scenario {
            fleet: Fleet::new(todos),
            router,
            _runtime: runtime,
            cli: claude_cli(),
        }
    }

    fn claude(&self, args: &[&str]) -> std::process::Command {
        let cli = self.cli.to_string_lossy().into_owned();
        let mut all = args.to_vec();
        all.extend(["--agent", "claude", "--agent-cmd", &cli]);
        let mut cmd = self.fleet.ops(&all);
        cmd.env("ANTHROPIC_BASE_URL", self.router.url())
            .env("ANTHROPIC_API_KEY", "test")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        cmd
    }

    fn run(&self, mode: &str) -> Ran {
        let cmd = self.claude(&["run", mode, "--force"]);
        Started::spawn(cmd, &self.fleet.scratch(), "run").finish(RUN_LIMIT)
    }

    /// Plans the todos onto the board (`ops plan`), then makes `dependent` wait
    /// for `blocker` on the board (todos name dependencies only within a project).
    fn plan_with_dependency(&self, blocker: &Todo, dependent: &Todo) {
        let planned = self.fleet.ops(&["plan"]).output().expect("ops plan");
        assert!(planned.status.success(), "ops plan: {planned:?}");
        let board = self.fleet.board();
        let blocker = blocker.task(&board).expect("the blocker's task").id.clone();
        let mut task = dependent
            .task(&board)
            .expect("the dependent's task")
            .clone();
        task.blocked_by.insert(blocker);
        let path = self.fleet.board_path();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let board = SqliteBoard::open(&path).await.expect("open the board");
                board.save(task).await.expect("save the dependency");
            });
    }

    fn task(&self, todo: &Todo) -> Task {
        let board = self.fleet.board();
        todo.task(&board)
            .unwrap_or_else(|| panic!("{}'s task on the board: {board:#?}", todo.title))
            .clone()
    }

    fn dump(&self, ran: &Ran, keys: &[&str]) -> String {
        let turns: Vec<(String, Vec<String>)> = keys
            .iter()
            .map(|k| {
                let t = self.router.turns(k);
                (
                    k.to_string(),
                    t.iter()
                        .map(|r| texts(r).join(" | ").chars().take(300).collect())
                        .collect(),
                )
            })
            .collect();
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nagent turns:\n{turns:#?}",
            ran.status.code(),
            ran.stdout,
            ran.stderr
        )
    }
}

/// The text blocks of each message of a request, in order (a string content too).
fn texts(r: &Recorded) -> Vec<String> {
    r.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        })
        .collect()
}

/// The user messages of a request after its first (the brief).
fn later_user_messages(r: &Recorded) -> Vec<String> {
    let all = texts(r);
    r.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(all)
        .skip(1)
        .filter(|(m, _)| m["role"] == "user")
        .map(|(_, t)| t)
        .collect()
}

fn commit(file: &str, content: &str) -> Reply {
    Reply::bash(&format!(
        "printf '{content}\\n' > {file} && git add {file} && git commit -q -m 'add {file}'"
    ))
}

#[test]
fn a_dependents_first_request_carries_its_blockers_summary_commit_and_files() {
    let todos = [
        PRODUCER,
        Todo {
            alias: "api",
            key: "client",
            title: "Call the widget endpoint from the client",
            after: Some("widget"),
        },
    ];
    let api = Spec::Model(vec![
        commit("widget.rs", "pub fn widget() {}"),
        Reply::Text("HANDOFF-3f9: added widget.rs with the widget endpoint".into()),
        commit("client.rs", "fn call() { widget() }"),
        Reply::Text("Called it.".into()),
    ]);
    let s = Scenario::new(&todos, vec![("", api)]);
    let ran = s.run("--subagents");
    let dump = s.dump(&ran, &[""]);
    let (a, b) = (s.task(&todos[0]), s.task(&todos[1]));
    assert_eq!(a.status, TaskStatus::Completed, "{a:#?}\n{dump}");
    assert_eq!(b.status, TaskStatus::Completed, "{b:#?}\n{dump}");
    let sha = a
        .merged_sha
        .clone()
        .expect("A's merge commit is on the board");
    let turns = s.router.turns("");
    let b_first = turns
        .iter()
        .find(|r| texts(r)[0].contains(&format!("Task {}", b.id)))
        .unwrap_or_else(|| panic!("B made a request\n{dump}"));
    let brief = &texts(b_first)[0];
    for want in [
        "HANDOFF-3f9: added widget.rs",
        &format!("landed as commit {sha}"),
        "Changed files: widget.rs",
        &format!("Task {} ({})", a.id, a.title),
    ] {
        assert!(
            brief.contains(want),
            "missing {want:?} in B's brief:\n{brief}"
        );
    }
}

#[test]
fn a_team_consumer_in_another_repo_starts_early_and_gets_the_upstream_output_mid_run() {
    let consumer = Todo {
        alias: "web",
        key: "page",
        title: "Show the widget on the page",
        after: None,
    };
    let todos = [PRODUCER, consumer];
    // The producer takes its time, so the consumer is running when it lands.
    let api = Spec::Model(vec![
        Reply::Delay(
            Duration::from_secs(8),
            Box::new(commit("widget.rs", "pub fn widget() {}")),
        ),
        Reply::Text("HANDOFF-8d4: added widget.rs with the widget endpoint".into()),
    ]);
    let web = Spec::Model(vec![
        Reply::Text("Prepared: read the page code; waiting for the widget endpoint.".into()),
        commit("page.rs", "fn page() { widget() }"),
        Reply::Text("Shown on the page.".into()),
    ]);
    let s = Scenario::new(
        &todos,
        vec![
            // The producer's brief begins `# Task <id>: <title> (attempt 1)`; the
            // consumer's names the producer's title too, but not so.
            (PRODUCER_BRIEF, api),
            ("", web),
        ],
    );
    s.plan_with_dependency(&todos[0], &todos[1]);
    let ran = s.run("--teams");
    let dump = s.dump(&ran, &[PRODUCER_BRIEF, ""]);
    let (a, b) = (s.task(&todos[0]), s.task(&todos[1]));
    assert_eq!(a.status, TaskStatus::Completed, "{a:#?}\n{dump}");
    assert_eq!(b.status, TaskStatus::Completed, "{b:#?}\n{dump}");
    let turns = s.router.turns("");
    let first = turns
        .first()
        .unwrap_or_else(|| panic!("B made a request\n{dump}"));
    let brief = texts(first)[0].clone();
    assert!(
        brief.contains("Upstream work still running") && !brief.contains("HANDOFF-8d4"),
        "B started before A landed, told to prepare:\n{brief}"
    );
    assert!(
        turns.iter().all(|r| texts(r)[0] == brief),
        "one B conversation, no new process\n{dump}"
    );
    let told = turns
        .iter()
        .flat_map(later_user_messages)
        .find(|m| m.contains("HANDOFF-8d4"));
    let told = told.unwrap_or_else(|| panic!("A's output reached B's conversation\n{dump}"));
    assert!(
        told.contains("has completed and landed") && told.contains("Changed files: widget.rs"),
        "{told}"
    );
    assert_eq!(b.attempts.len(), 1, "{b:#?}");
}

#[test]
fn in_team_mode_an_api_error_is_reported_as_the_apis_message_never_success() {
    let todos = [PRODUCER];
    let s = Scenario::new(
        &todos,
        vec![(
            "",
            Spec::Error(400, "messages.0.content: ERR-7Q2 unexpected field"),
        )],
    );
    let ran = s.run("--teams");
    let task = s.task(&todos[0]);
    let dump = s.dump(&ran, &[]);
    let reasons: Vec<String> = task
        .attempts
        .iter()
        .filter_map(|a| match &a.outcome {
            Some(AttemptOutcome::AgentFailed { reason }) => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(!reasons.is_empty(), "{task:#?}\n{dump}");
    for reason in &reasons {
        assert!(
            reason.starts_with("API Error: 400") && reason.contains("ERR-7Q2"),
            "the API's own message: {reason}\n{dump}"
        );
    }
    assert!(
        !ran.stdout.contains("(success)") && !ran.stderr.contains("(success)"),
        "{dump}"
    );
    assert_eq!(task.status, TaskStatus::Blocked, "{task:#?}");
}
