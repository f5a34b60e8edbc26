use ops_testkit::model::Reply;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch() {
    let which = std::env::var("WHICH").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wt = dir.path().join("wt");
    std::fs::create_dir_all(&wt).unwrap();
    ops_testkit::git(&wt, &["init", "-q"]);
    ops_testkit::git(&wt, &["commit", "-q", "--allow-empty", "-m", "init"]);
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    let tools = "/work/tools-shared";
    let (url, dump, out) = match which.as_str() {
        "codex" => {
            let api = ops_testkit::openai::FakeOpenAi::start(vec![
                ops_testkit::openai::exec_command("printf 'hi\\n' > hello.txt"),
                Reply::Text("Wrote hello.txt.".into()),
            ]).await;
            let base = api.base_url();
            std::fs::write(home.join(".codex/config.toml"), format!("model_provider = \"ops-test\"\nmodel = \"gpt-test\"\n[model_providers.ops-test]\nname = \"ops test\"\nbase_url = \"{base}\"\nenv_key = \"OPENAI_API_KEY\"\nwire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n")).unwrap();
            let wt2 = wt.clone();
            let home2 = home.clone();
            let out = tokio::task::spawn_blocking(move || {
                Command::new(format!("{tools}/node_modules/.bin/codex"))
                    .args(std::env::var("ARGS").unwrap().split_whitespace())
                    .current_dir(&wt2)
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap())
                    .env("HOME", &home2)
                    .env("CODEX_HOME", home2.join(".codex"))
                    .env("OPENAI_BASE_URL", &base)
                    .env("OPENAI_API_KEY", "test")
                    .env("CODEX_API_KEY", "test")
                    .stdin(std::fs::File::open("/tmp/brief.txt").unwrap())
                    .output()
                    .unwrap()
            }).await.unwrap();
            if let Some(t) = api.turns().first() { for tool in t.body["tools"].as_array().unwrap() { println!("TOOL {}", tool.to_string().chars().take(600).collect::<String>()); } }
            (api.url(), api.dump(), out)
        }
        "gemini" => {
            let api = ops_testkit::gemini::FakeGemini::start(vec![
                ops_testkit::gemini::write_file(&wt.join("hello.txt").to_string_lossy(), "hi\n"),
                ops_testkit::gemini::run_shell_command("git add -A && git commit -qm hello"),
                Reply::Text("Wrote hello.txt.".into()),
            ]).await;
            let base = api.url();
            std::fs::create_dir_all(home.join(".gemini")).unwrap();
            std::fs::write(home.join(".gemini/settings.json"), r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#).unwrap();
            let wt2 = wt.clone();
            let home2 = home.clone();
            let out = tokio::task::spawn_blocking(move || {
                Command::new(format!("{tools}/node_modules/.bin/gemini"))
                    .args(std::env::var("ARGS").unwrap().split_whitespace())
                    .current_dir(&wt2)
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap())
                    .env("HOME", &home2)
                    .env("GOOGLE_GEMINI_BASE_URL", &base)
                    .env("GEMINI_API_KEY", "test")
                    .envs(ops_testkit::git_env())
                    .stdin(std::fs::File::open("/tmp/brief.txt").unwrap())
                    .output()
                    .unwrap()
            }).await.unwrap();
            (api.url(), api.dump(), out)
        }
        _ => {
            let api = ops_testkit::openai::FakeOpenAi::start(vec![
                Reply::Text("hello.txt\n```\nhi\n```\n".into()),
            ]).await;
            let base = api.base_url();
            let wt2 = wt.clone();
            let home2 = home.clone();
            std::fs::write("/tmp/brief.md", std::fs::read("/tmp/brief.txt").unwrap()).unwrap();
            let out = tokio::task::spawn_blocking(move || {
                Command::new(format!("{tools}/aider-venv/bin/aider"))
                    .args(std::env::var("ARGS").unwrap().split_whitespace())
                    .current_dir(&wt2)
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap())
                    .env("HOME", &home2)
                    .env("OPENAI_API_BASE", &base)
                    .env("OPENAI_API_KEY", "test")
                    .envs(ops_testkit::git_env())
                    .stdin(std::process::Stdio::null())
                    .output()
                    .unwrap()
            }).await.unwrap();
            (api.url(), api.dump(), out)
        }
    };
    println!("url {url}\nexit {:?}\nSTDOUT\n{}\nSTDERR\n{}\nREQUESTS\n{dump}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("FILES {:?}", std::fs::read_dir(&wt).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>());
    println!("LOG {}", ops_testkit::git(&wt, &["log", "--oneline", "--stat"]));
    println!("STATUS {}", ops_testkit::git(&wt, &["status", "--porcelain", "--ignored"]));
}
