//! The secrets guard, and THE one list of what counts as a secret in ops-ship.
//!
//! Secret files ([`is_secret_file`]): any `.env*` file, private keys and
//! certificates bundles (`*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.jks`, `*.keystore`,
//! `id_rsa*`, `id_dsa*`, `id_ecdsa*`, `id_ed25519*`, `*.ppk`), named env files
//! (`*.env`), credential stores (`.git-credentials`, `.netrc`, `.npmrc`, `.pypirc`,
//! `.pgpass`, `.htpasswd`, `.dockercfg`, `.docker/config.json`, `.kube/config`,
//! `*.kdbx`, `*.tfvars`), and data files
//! (no extension, or json/yaml/toml/ini/... ) named `credentials*` or containing
//! `secret` (so `config/secrets.yaml` is one, `src/secrets.rs` is code, not one).
//! Adding, changing or deleting one fails the gate.
//!
//! Token-shaped strings ([`TOKEN_PREFIXES`], [`find_tokens`]): GitHub tokens
//! (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), AWS access key ids
//! (`AKIA`, `ASIA`), npm (`npm_`), GitLab (`glpat-`), Stripe (`sk_live_`,
//! `rk_live_`) and Google API keys (`AIza`), Slack tokens (`xoxb-`, `xoxp-`,
//! `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`), OpenAI/Anthropic keys (`sk-`, `sk-ant-`), private key headers
//! (`-----BEGIN ... PRIVATE KEY-----`) and high-entropy values assigned to a name
//! like `password`, `secret`, `token` or `api_key`. The same list redacts text
//! ([`redact`]) before it reaches a verdict, an error or an event.

use super::GateBase;
use super::diff::diff_of;
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::Task;
use ops_core::seams::{GateVerdict, QualityGate, WorkRef};

/// A token kind and the prefix that starts it, with the shortest body that counts
/// (characters after the prefix drawn from `A-Z a-z 0-9 _ -`, at least one a digit).
pub const TOKEN_PREFIXES: &[(&str, &str, usize)] = &[
    ("GitHub personal access token", "ghp_", 30),
    ("GitHub fine-grained token", "github_pat_", 30),
    ("GitHub OAuth token", "gho_", 30),
    ("GitHub user-to-server token", "ghu_", 30),
    ("GitHub server-to-server token", "ghs_", 30),
    ("GitHub refresh token", "ghr_", 30),
    ("AWS access key id", "AKIA", 16),
    ("AWS temporary access key id", "ASIA", 16),
    ("Slack bot token", "xoxb-", 10),
    ("Slack user token", "xoxp-", 10),
    ("Slack app token", "xoxa-", 10),
    ("Slack refresh token", "xoxr-", 10),
    ("Slack session token", "xoxs-", 10),
    ("Slack config token", "xoxe-", 10),
    ("npm access token", "npm_", 30),
    ("GitLab personal access token", "glpat-", 20),
    ("Stripe live secret key", "sk_live_", 20),
    ("Stripe live restricted key", "rk_live_", 20),
    ("Google API key", "AIza", 30),
    ("Anthropic API key", "sk-ant-", 20),
    ("API secret key", "sk-", 20),
];

/// Names that make an assignment's value a secret when the value looks random.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "client_secret",
    "auth",
];

/// A token-shaped string found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMatch {
    /// What kind of secret it looks like.
    pub kind: &'static str,
    /// Byte range in the text.
    pub range: std::ops::Range<usize>,
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Every token-shaped string in `text`, leftmost first, never overlapping.
pub fn find_tokens(text: &str) -> Vec<TokenMatch> {
    let bytes = text.as_bytes();
    let mut out: Vec<TokenMatch> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !is_token_char(bytes[i - 1]);
        let mut found = None;
        if boundary {
            for (kind, prefix, min) in TOKEN_PREFIXES {
                if bytes[i..].starts_with(prefix.as_bytes()) {
                    let body_start = i + prefix.len();
                    let body = bytes[body_start..]
                        .iter()
                        .take_while(|b| is_token_char(**b))
                        .count();
                    // Random bodies carry digits; `sk-loading-spinner-...` does not.
                    let has_digit = bytes[body_start..body_start + body]
                        .iter()
                        .any(u8::is_ascii_digit);
                    if body >= *min && has_digit {
                        found = Some(TokenMatch {
                            kind,
                            range: i..body_start + body,
                        });
                        break;
                    }
                }
            }
            if found.is_none() && bytes[i..].starts_with(b"-----BEGIN ") {
                let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                if text[i..line_end].contains("PRIVATE KEY-----") {
                    found = Some(TokenMatch {
                        kind: "private key",
                        range: i..line_end,
                    });
                }
            }
        }
        match found {
            Some(m) => {
                i = m.range.end;
                out.push(m);
            }
            None => i += 1,
        }
    }
    out.extend(secret_assignments(text, &out));
    out.sort_by_key(|m| m.range.start);
    out
}

/// `name = "value"` / `name: value` where name is secret-like and value looks random.
fn secret_assignments(text: &str, known: &[TokenMatch]) -> Vec<TokenMatch> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for name in SECRET_NAMES {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(name) {
            let start = from + pos;
            from = start + name.len();
            let rest = &text[from..];
            let after_name = rest.trim_start_matches(|c: char| {
                c.is_ascii_alphanumeric() || c == '_' || c == '"' || c == '\''
            });
            let skipped = rest.len() - after_name.len();
            let after_ws = after_name.trim_start_matches([' ', '\t']);
            let Some(after_op) = after_ws
                .strip_prefix(":=")
                .or_else(|| after_ws.strip_prefix('='))
                .or_else(|| after_ws.strip_prefix(':'))
            else {
                continue;
            };
            let value_part = after_op.trim_start_matches([' ', '\t', '"', '\'']);
            let value_start = text.len() - value_part.len();
            let len = value_part
                .bytes()
                .take_while(|b| is_token_char(*b) || *b == b'/' || *b == b'+' || *b == b'=')
                .count();
            let value = &value_part[..len];
            let _ = skipped;
            if looks_random(value)
                && !known.iter().any(|m| m.range.contains(&value_start))
                && !out
                    .iter()
                    .any(|m: &TokenMatch| m.range.start == value_start)
            {
                out.push(TokenMatch {
                    kind: "high-entropy secret assignment",
                    range: value_start..value_start + len,
                });
            }
        }
    }
    out
}

/// At least 20 characters mixing three character classes, with Shannon entropy
/// above 3.5 bits per character (placeholders like `changeme` or `${TOKEN}` do not).
fn looks_random(value: &str) -> bool {
    if value.len() < 20 {
        return false;
    }
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|c| **c)
    .count();
    if classes < 3 {
        return false;
    }
    let mut counts = [0usize; 256];
    for b in value.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = value.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy > 3.5
}

/// `text` with every token-shaped string replaced by `[redacted <kind>]`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in find_tokens(text) {
        if m.range.start < last {
            continue;
        }
        out.push_str(&text[last..m.range.start]);
        out.push_str("[redacted ");
        out.push_str(m.kind);
        out.push(']');
        last = m.range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `path` (repository-relative) names a secret file.
pub fn is_secret_file(path: &str) -> bool {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    const EXTENSIONS: &[&str] = &[
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".tfvars",
        ".env",
        ".ppk",
        ".kdbx",
    ];
    const PREFIXES: &[&str] = &[".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];
    const NAMES: &[&str] = &[
        ".git-credentials",
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".pgpass",
        ".htpasswd",
        ".dockercfg",
    ];
    // Files whose name is ordinary but whose directory makes them credentials.
    const PATHS: &[&str] = &[".docker/config.json", ".kube/config"];
    // `credentials*` and `*secret*` count when they hold data (no extension, or a
    // config/data one), so `src/secrets.rs` (code about secrets) is not one.
    const DATA: &[&str] = &[
        "json",
        "yaml",
        "yml",
        "toml",
        "txt",
        "ini",
        "conf",
        "cfg",
        "properties",
        "xml",
        "csv",
    ];
    let data = match name.rsplit_once('.') {
        None => true,
        Some((stem, ext)) => stem.is_empty() || DATA.contains(&ext),
    };
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    PREFIXES.iter().any(|p| name.starts_with(p))
        || PATHS
            .iter()
            .any(|p| lower == *p || lower.ends_with(&format!("/{p}")))
        || EXTENSIONS.iter().any(|e| name.ends_with(e))
        || NAMES.contains(&name.as_str())
        || (data && (name.starts_with("credentials") || name.contains("secret")))
}

/// Fails work that adds, changes or deletes a secret file, or adds a token-shaped string.
#[derive(Debug, Clone, Default)]
pub struct SecretsGate {
    base: GateBase,
}

impl SecretsGate {
    /// A guard comparing with the dev branches of `base`.
    pub fn new(base: GateBase) -> Self {
        SecretsGate { base }
    }
}

#[async_trait]
impl QualityGate for SecretsGate {
    fn name(&self) -> &str {
        "secrets"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        let diff = diff_of(self.name(), &self.base, task, work).await?;
        let mut problems = Vec::new();
        for f in diff.files.iter().filter(|f| is_secret_file(&f.path)) {
            problems.push(format!(
                "secret file {} ({}) must not be touched",
                f.path, f.status
            ));
        }
        for (path, line) in &diff.added {
            for m in find_tokens(line) {
                // Name the kind and the place, never the value.
                problems.push(format!("{path}: an added line holds a {}", m.kind));
            }
        }
        if problems.is_empty() {
            Ok(GateVerdict::pass(format!(
                "no secret files or tokens in {} changed files",
                diff.files.len()
            )))
        } else {
            problems.dedup();
            Ok(GateVerdict::fail(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_token_kind_is_found_and_redacted_without_its_value() {
        let body = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        for (kind, prefix, _) in TOKEN_PREFIXES {
            let token = format!("{prefix}{body}");
            let text = format!("export X={token} # here");
            let found = find_tokens(&text);
            assert_eq!(found.len(), 1, "{kind}: {found:?}");
            let red = redact(&text);
            assert!(!red.contains(&token), "{kind}: {red}");
            assert!(red.starts_with("export X=[redacted "), "{red}");
            assert!(red.ends_with(" # here"), "{red}");
        }
    }

    #[test]
    fn npm_gitlab_stripe_and_google_keys_are_found_in_plain_text() {
        for token in [
            "npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            "glpat-A1b2C3d4E5f6G7h8I9j0",
            "sk_live_A1b2C3d4E5f6G7h8I9j0K1l2",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
        ] {
            let text = format!("registry token {token} here");
            assert!(!redact(&text).contains(token), "{token} survives redaction");
        }
    }

    #[test]
    fn private_key_headers_and_random_assignments_are_secrets_but_placeholders_are_not() {
        assert_eq!(
            find_tokens("-----BEGIN OPENSSH PRIVATE KEY-----")[0].kind,
            "private key"
        );
        assert_eq!(find_tokens("-----BEGIN PUBLIC KEY-----"), []);
        let found = find_tokens("DB_PASSWORD=\"q8Zr2LmX0vTb7NwK4sYd9PeH\"");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, "high-entropy secret assignment");
        for harmless in [
            "password = changeme",
            "token: ${GITHUB_TOKEN}",
            "let token = read_token_from_env();",
            "task-ghp_short",
            "risk-assessment-and-more-words-here",
            "class=\"sk-loading-spinner-container-large\"",
            "AKIAINTERNATIONALIZATIONS",
            "the_ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA is inside a word",
        ] {
            assert_eq!(find_tokens(harmless), [], "{harmless}");
        }
    }

    #[test]
    fn named_env_files_ssh_putty_keys_and_password_files_are_secret_files() {
        for p in [
            "deploy/production.env",
            "docker/app.env",
            "keys/deploy.ppk",
            "db/.pgpass",
            "web/.htpasswd",
            ".dockercfg",
            ".docker/config.json",
            ".kube/config",
            "vault.kdbx",
        ] {
            assert!(is_secret_file(p), "{p}");
        }
        for p in ["src/config.json", "config", "src/env/mod.rs"] {
            assert!(!is_secret_file(p), "{p}");
        }
    }

    #[test]
    fn secret_files_are_recognised_by_name_anywhere_in_the_tree() {
        for p in [
            ".env",
            "app/.env.production",
            ".env.example",
            "deploy/server.pem",
            "keys/tls.key",
            "home/.ssh/id_ed25519",
            "aws/credentials",
            ".npmrc",
            "config/secrets.yaml",
            "infra/prod.tfvars",
            "k8s/db-secret.yml",
            "secrets",
        ] {
            assert!(is_secret_file(p), "{p}");
        }
        for p in [
            "src/env.rs",
            "README.md",
            "src/keyboard.rs",
            "docs/environment.md",
            "Cargo.lock",
        ] {
            assert!(!is_secret_file(p), "{p}");
        }
    }
}
