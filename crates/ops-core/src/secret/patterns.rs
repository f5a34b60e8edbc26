//! THE one list of what counts as a secret in ops: secret file names, secret
//! variable names and token-shaped strings. The secrets gate (ops-ship) refuses
//! work that adds them; the [`Redactor`](super::Redactor) (every place agent
//! output enters ops, errors, verdicts, events) removes them from text.
//!
//! Secret files ([`is_secret_file`]): any `.env*` file, private keys and
//! certificates bundles (`*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.jks`, `*.keystore`,
//! `id_rsa*`, `id_dsa*`, `id_ecdsa*`, `id_ed25519*`, `*.ppk`), named env files
//! (`*.env`), credential stores (`.git-credentials`, `.netrc`, `.npmrc`, `.pypirc`,
//! `.pgpass`, `.htpasswd`, `.dockercfg`, `.docker/config.json`, `.kube/config`,
//! `*.kdbx`, `*.tfvars`), and data files (no extension, or json/yaml/toml/ini/...)
//! named `credentials*` or containing `secret` (so `config/secrets.yaml` is one,
//! `src/secrets.rs` is code, not one).
//!
//! Token-shaped strings ([`TOKEN_PREFIXES`], [`find_tokens`]): GitHub tokens
//! (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), AWS access key ids
//! (`AKIA`, `ASIA`), npm (`npm_`), GitLab (`glpat-`), Stripe (`sk_live_`,
//! `rk_live_`), Google API keys (`AIza`), Slack tokens (`xoxb-`, `xoxp-`, `xoxa-`,
//! `xoxr-`, `xoxs-`, `xoxe-`), Sentry auth tokens (`sntrys_`, `sntryu_`), Linear
//! keys (`lin_api_`, `lin_oauth_`), OpenAI/Anthropic keys (`sk-`, `sk-ant-`),
//! private key blocks (`-----BEGIN ... PRIVATE KEY-----` to its `END` line) and
//! random-looking values assigned to a secret-named key ([`is_secret_name`]:
//! `*_TOKEN`, `*_KEY`, `*SECRET*`, `*PASSWORD*`, `password`, `api_key`, ...).

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
    ("Sentry organization auth token", "sntrys_", 30),
    ("Sentry user auth token", "sntryu_", 30),
    ("Linear API key", "lin_api_", 30),
    ("Linear OAuth token", "lin_oauth_", 30),
    ("Anthropic API key", "sk-ant-", 20),
    ("API secret key", "sk-", 20),
];

/// Words that make a key secret-named when its name contains one.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "credential",
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

/// Whether a variable or key name says it holds a secret: `*_TOKEN`, `*_KEY`,
/// `*SECRET*`, `*PASSWORD*`, `*PASSWD*`, `*CREDENTIAL*`, `TOKEN`.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("_TOKEN")
        || upper.ends_with("_KEY")
        || upper.contains("SECRET")
        || upper.contains("PASSWORD")
        || upper.contains("PASSWD")
        || upper.contains("CREDENTIAL")
        || upper == "TOKEN"
}

/// Every token-shaped string in `text`, leftmost first, never overlapping.
pub fn find_tokens(text: &str) -> Vec<TokenMatch> {
    let bytes = text.as_bytes();
    let mut out: Vec<TokenMatch> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !is_token_char(bytes[i - 1]);
        let found = if boundary {
            prefixed_token(bytes, i).or_else(|| private_key(text, i))
        } else {
            None
        };
        match found {
            Some(m) => {
                i = m.range.end;
                out.push(m);
            }
            None => i += 1,
        }
    }
    let assigned = secret_assignments(text)
        .into_iter()
        .filter(|a| !out.iter().any(|m| overlaps(&m.range, &a.range)))
        .collect::<Vec<_>>();
    out.extend(assigned);
    out.sort_by_key(|m| m.range.start);
    out
}

fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// A listed prefix at `i` followed by a long enough body with a digit.
fn prefixed_token(bytes: &[u8], i: usize) -> Option<TokenMatch> {
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
                return Some(TokenMatch {
                    kind,
                    range: i..body_start + body,
                });
            }
        }
    }
    None
}

/// A private key block at `i`: from its BEGIN line to the end of its END line
/// (or only the BEGIN line when no END follows).
fn private_key(text: &str, i: usize) -> Option<TokenMatch> {
    if !text[i..].starts_with("-----BEGIN ") {
        return None;
    }
    let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
    if !text[i..line_end].contains("PRIVATE KEY-----") {
        return None;
    }
    let end = text[line_end..]
        .find("-----END ")
        .map(|n| line_end + n)
        .and_then(|end| {
            let close = text[end..].find("PRIVATE KEY-----")? + end + "PRIVATE KEY-----".len();
            // The END line must close this block, not one far away.
            (!text[end..close].contains('\n')).then_some(close)
        })
        .unwrap_or(line_end);
    Some(TokenMatch {
        kind: "private key",
        range: i..end,
    })
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

fn is_value_char(b: u8) -> bool {
    is_token_char(b) || b == b'/' || b == b'+' || b == b'='
}

/// `key = "value"` / `key: value` / `"key": "value"` where the key is
/// secret-named and the value looks random ([`looks_random`]; for the names of
/// [`is_secret_name`] a looser test: hex or lower-case tokens count too).
fn secret_assignments(text: &str) -> Vec<TokenMatch> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_key_char(bytes[i]) || (i > 0 && is_key_char(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let key_end = i + bytes[i..].iter().take_while(|b| is_key_char(**b)).count();
        let key = &text[i..key_end];
        i = key_end;
        let lower = key.to_ascii_lowercase();
        if !SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            continue;
        }
        let rest = text[key_end..].trim_start_matches(['"', '\'']);
        let rest = rest.trim_start_matches([' ', '\t']);
        let Some(after_op) = rest
            .strip_prefix(":=")
            .or_else(|| rest.strip_prefix('='))
            .or_else(|| rest.strip_prefix(':'))
        else {
            continue;
        };
        let value_part = after_op.trim_start_matches([' ', '\t', '"', '\'']);
        let value_start = text.len() - value_part.len();
        let len = value_part.bytes().take_while(|b| is_value_char(*b)).count();
        let value = &value_part[..len];
        let random = looks_random(value) || (is_secret_name(key) && looks_random_loosely(value));
        if random {
            out.push(TokenMatch {
                kind: "high-entropy secret assignment",
                range: value_start..value_start + len,
            });
            i = value_start + len;
        }
    }
    out
}

/// Shannon entropy of `value`, in bits per character.
fn entropy(value: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in value.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = value.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn classes(value: &str) -> usize {
    [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|c| **c)
    .count()
}

/// At least 20 characters mixing three character classes, with Shannon entropy
/// above 3.5 bits per character (placeholders like `changeme` or `${TOKEN}` do not).
fn looks_random(value: &str) -> bool {
    value.len() >= 20 && classes(value) >= 3 && entropy(value) > 3.5
}

/// For a key that names a secret: at least 16 characters of two classes (hex
/// digests and lower-case tokens too) above 3 bits per character.
fn looks_random_loosely(value: &str) -> bool {
    value.len() >= 16 && classes(value) >= 2 && entropy(value) > 3.0
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One token of `kind`'s family per line: each is found with its kind.
    fn found_kinds(text: &str) -> Vec<&'static str> {
        find_tokens(text).into_iter().map(|m| m.kind).collect()
    }

    const BODY: &str = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";

    #[test]
    fn every_listed_token_kind_is_found_with_its_range() {
        for (kind, prefix, _) in TOKEN_PREFIXES {
            let token = format!("{prefix}{BODY}");
            let text = format!("export X={token} # here");
            let found = find_tokens(&text);
            assert_eq!(found.len(), 1, "{kind}: {found:?}");
            assert_eq!(&text[found[0].range.clone()], token, "{kind}");
        }
    }

    #[test]
    fn github_tokens_of_every_kind_are_found() {
        for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
            let kinds = found_kinds(&format!("token {p}{BODY}"));
            assert!(kinds[0].starts_with("GitHub"), "{p}: {kinds:?}");
        }
    }

    #[test]
    fn anthropic_keys_are_told_from_other_sk_keys() {
        assert_eq!(
            found_kinds(&format!("sk-ant-api03-{BODY}")),
            ["Anthropic API key"]
        );
        assert_eq!(found_kinds(&format!("sk-{BODY}")), ["API secret key"]);
    }

    #[test]
    fn openai_project_and_legacy_keys_are_found() {
        for key in [format!("sk-proj-{BODY}"), format!("sk-{BODY}")] {
            assert_eq!(found_kinds(&key), ["API secret key"], "{key}");
        }
    }

    #[test]
    fn slack_tokens_of_every_kind_are_found() {
        for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"] {
            let kinds = found_kinds(&format!("{p}1234567890-abcdefghij"));
            assert!(kinds[0].starts_with("Slack"), "{p}: {kinds:?}");
        }
    }

    #[test]
    fn aws_key_ids_are_found_but_words_starting_with_akia_are_not() {
        assert_eq!(found_kinds("AKIAIOSFODNN7EXAMPLE"), ["AWS access key id"]);
        assert_eq!(
            found_kinds("ASIAQYLPMN5HHHFPZAM2"),
            ["AWS temporary access key id"]
        );
        assert_eq!(found_kinds("AKIAINTERNATIONALIZATIONS"), [] as [&str; 0]);
        assert_eq!(
            found_kinds("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            ["high-entropy secret assignment"]
        );
    }

    #[test]
    fn sentry_auth_tokens_are_found() {
        assert_eq!(
            found_kinds(&format!("SENTRY=sntrys_{BODY}")),
            ["Sentry organization auth token"]
        );
        assert_eq!(
            found_kinds(&format!("sntryu_{BODY}")),
            ["Sentry user auth token"]
        );
    }

    #[test]
    fn linear_keys_are_found() {
        assert_eq!(found_kinds(&format!("lin_api_{BODY}")), ["Linear API key"]);
        assert_eq!(
            found_kinds(&format!("lin_oauth_{BODY}")),
            ["Linear OAuth token"]
        );
    }

    #[test]
    fn npm_tokens_are_found() {
        assert_eq!(
            found_kinds(&format!("//r/:_authToken=npm_{BODY}")),
            ["npm access token"]
        );
    }

    #[test]
    fn a_private_key_block_is_found_whole_from_begin_to_end() {
        let text = "key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\nafter";
        let found = find_tokens(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, "private key");
        let block = &text[found[0].range.clone()];
        assert!(block.starts_with("-----BEGIN") && block.ends_with("PRIVATE KEY-----"));
        assert!(
            block.contains("AAAABG5vbmU="),
            "the body is inside: {block}"
        );
        assert_eq!(
            find_tokens("-----BEGIN RSA PRIVATE KEY-----")[0].kind,
            "private key"
        );
        assert_eq!(find_tokens("-----BEGIN PUBLIC KEY-----"), []);
    }

    #[test]
    fn random_values_of_secret_named_keys_are_found_but_placeholders_are_not() {
        for secret in [
            "DB_PASSWORD=\"q8Zr2LmX0vTb7NwK4sYd9PeH\"",
            "DEPLOY_TOKEN=e3b0c44298fc1c149afbf4c8996fb92427ae41e4",
            "\"client_secret\": \"9f86d081884c7d659a2feaa0c55ad015\"",
            "UPLOAD_SECRET_PART: 77a8c1d0e3f54b2a9c6d",
        ] {
            assert_eq!(
                found_kinds(secret),
                ["high-entropy secret assignment"],
                "{secret}"
            );
        }
        for harmless in [
            "password = changeme",
            "token: ${GITHUB_TOKEN}",
            "let token = read_token_from_env();",
            "DEPLOY_TOKEN=your-deploy-token-goes-here",
            "PASSWORD_MIN_LENGTH=16",
            "task-ghp_short",
            "risk-assessment-and-more-words-here",
            "class=\"sk-loading-spinner-container-large\"",
            "the_ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA is inside a word",
        ] {
            assert_eq!(find_tokens(harmless), [], "{harmless}");
        }
    }

    #[test]
    fn secret_names_are_recognised() {
        for name in [
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "client_secret",
            "TOKEN",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "TOKENIZER", "LANG"] {
            assert!(!is_secret_name(name), "{name}");
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
