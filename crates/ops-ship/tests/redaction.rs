//! Property: whatever text surrounds a token of any listed kind, redaction removes
//! it, keeps the surrounding text, and is idempotent.

use ops_ship::gate::secrets::{TOKEN_PREFIXES, find_tokens, redact};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    (0..TOKEN_PREFIXES.len(), "[A-Za-z0-9]{40,60}").prop_map(|(i, body)| {
        let (_, prefix, _) = TOKEN_PREFIXES[i];
        // Random bodies carry a digit (see TOKEN_PREFIXES); make sure this one does.
        format!("{prefix}{body}7")
    })
}

proptest! {
    #[test]
    fn a_token_never_survives_redaction_in_any_surrounding_text(
        before in "[ -~\n]{0,80}",
        after in "[ -~\n]{0,80}",
        secret in token(),
    ) {
        // Separate the token from word characters so it starts a token.
        let text = format!("{before} {secret}\n{after}");
        let red = redact(&text);
        prop_assert!(!red.contains(&secret), "{red}");
        prop_assert!(red.contains("[redacted "), "{red}");
        prop_assert_eq!(redact(&red), red.clone(), "redaction is idempotent");
        prop_assert!(find_tokens(&red).is_empty(), "nothing token-shaped is left: {}", red);
    }

    #[test]
    fn text_without_a_listed_prefix_is_left_as_it_is(text in "[a-z .,:;!?()\n]{0,200}") {
        prop_assert_eq!(redact(&text), text);
    }
}
