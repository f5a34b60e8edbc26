//! Secrets in other shapes: runs of base64 (standard or URL-safe) or hex in a
//! text are decoded, and what they decode to is searched with
//! [`find_tokens`](super::find_tokens). A run must be long enough to hold a
//! token (16 base64 or 32 hex characters) and decode to text.

use super::patterns::{TokenMatch, find_tokens};

/// A secret found inside an encoded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedMatch {
    /// `base64` or `hex`.
    pub encoding: &'static str,
    /// What the decoded text holds.
    pub kind: &'static str,
    /// The encoded run's byte range in the text.
    pub range: std::ops::Range<usize>,
}

const MIN_BASE64: usize = 16;
const MIN_HEX: usize = 32;

/// Every secret inside a base64 or hex run of `text` (whitespace inside a run,
/// as in wrapped base64, is not allowed: pass a file's text with its line
/// breaks removed to read a wrapped file whole).
pub fn find_encoded_tokens(text: &str) -> Vec<EncodedMatch> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let len = run_len(&bytes[i..]);
        if len == 0 {
            i += 1;
            continue;
        }
        let run = &text[i..i + len];
        let found = if len >= MIN_HEX && run.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(run).map(|d| ("hex", d))
        } else if len >= MIN_BASE64 {
            decode_base64(run).map(|d| ("base64", d))
        } else {
            None
        };
        if let Some((encoding, decoded)) = found
            && let Ok(decoded) = String::from_utf8(decoded)
        {
            for TokenMatch { kind, .. } in find_tokens(&decoded).into_iter().chain(
                // A run that is hex of base64 (or base64 of hex) is read once more.
                find_encoded_tokens_once(&decoded),
            ) {
                out.push(EncodedMatch {
                    encoding,
                    kind,
                    range: i..i + len,
                });
            }
        }
        i += len;
    }
    out.dedup();
    out
}

/// One more level of decoding, without recursing further.
fn find_encoded_tokens_once(text: &str) -> Vec<TokenMatch> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let len = run_len(&bytes[i..]);
        if len == 0 {
            i += 1;
            continue;
        }
        let run = &text[i..i + len];
        let decoded = if len >= MIN_HEX && run.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(run)
        } else if len >= MIN_BASE64 {
            decode_base64(run)
        } else {
            None
        };
        if let Some(Ok(decoded)) = decoded.map(String::from_utf8) {
            out.extend(find_tokens(&decoded));
        }
        i += len;
    }
    out
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The length of the run at the start of `bytes`: base64 characters, then its
/// `=` padding (an `=` ends a run: `KEY=<base64>` is two runs).
fn run_len(bytes: &[u8]) -> usize {
    let body = bytes.iter().take_while(|b| is_base64(**b)).count();
    body + bytes[body..].iter().take_while(|b| **b == b'=').count()
}

fn base64_value(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

/// Base64 (either alphabet, padding optional); `None` when not base64.
fn decode_base64(run: &str) -> Option<Vec<u8>> {
    let body = run.trim_end_matches('=');
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in body.bytes() {
        acc = (acc << 6) | base64_value(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// Hex of an even length; `None` otherwise.
fn decode_hex(run: &str) -> Option<Vec<u8>> {
    if run.len() % 2 == 1 {
        return None;
    }
    (0..run.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&run[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        // The standard alphabet, padded: what `base64` prints.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in text.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn hex(text: &str) -> String {
        text.bytes().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_base64_encoded_aws_key_id_is_found_and_named() {
        let text = format!("KEY_ID_B64={}", b64("AKIAQYLPMN5HHHFPZAM2"));
        let found = find_encoded_tokens(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].encoding, "base64");
        assert_eq!(found[0].kind, "AWS access key id");
        assert_eq!(&text[found[0].range.clone()], b64("AKIAQYLPMN5HHHFPZAM2"));
    }

    #[test]
    fn a_hex_encoded_github_token_and_hex_of_base64_are_found() {
        let token = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        let found = find_encoded_tokens(&format!("x = \"{}\"", hex(token)));
        assert_eq!(found[0].encoding, "hex");
        assert_eq!(found[0].kind, "GitHub personal access token");
        let twice = find_encoded_tokens(&hex(&b64(token)));
        assert_eq!(twice[0].kind, "GitHub personal access token", "{twice:?}");
    }

    #[test]
    fn ordinary_base64_and_digests_hold_nothing() {
        for text in [
            b64("hello world, this is a README line"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            "sha512-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789".into(),
            "src/components/navigation/sidebar_menu.rs".into(),
        ] {
            assert_eq!(find_encoded_tokens(&text), [], "{text}");
        }
    }
}
