//! Reading the `Link` header Sentry pages with:
//! `<URL>; rel="previous"; results="false"; cursor="0:0:1", <URL>; rel="next"; results="true"; cursor="0:100:0"`.
//!
//! Parsed as RFC 8288 says, not by splitting on commas: URLs sit between `<`
//! and `>` (and may hold commas and semicolons), parameter values may be
//! quoted (and then hold commas, semicolons and colons).

/// One link of the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// The target URL.
    pub url: String,
    /// Parameters in order, names lowercased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every link of a `Link` header value; `None` if it is not one.
pub fn parse_links(header: &str) -> Option<Vec<Link>> {
    let mut links = Vec::new();
    let mut rest = header.trim_start();
    while !rest.is_empty() {
        let after = rest.strip_prefix('<')?;
        let end = after.find('>')?;
        let mut link = Link {
            url: after[..end].to_string(),
            params: Vec::new(),
        };
        rest = after[end + 1..].trim_start();
        while let Some(p) = rest.strip_prefix(';') {
            let p = p.trim_start();
            let name_end = p
                .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
                .unwrap_or(p.len());
            let name = p[..name_end].to_ascii_lowercase();
            let mut tail = p[name_end..].trim_start();
            let mut value = String::new();
            if let Some(v) = tail.strip_prefix('=') {
                let v = v.trim_start();
                (value, tail) = match v.strip_prefix('"') {
                    Some(quoted) => unquote(quoted)?,
                    None => {
                        let stop = v.find([';', ',']).unwrap_or(v.len());
                        (v[..stop].trim_end().to_string(), &v[stop..])
                    }
                };
            }
            if name.is_empty() {
                return None;
            }
            link.params.push((name, value));
            rest = tail.trim_start();
        }
        links.push(link);
        rest = match rest.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(links)
}

/// A quoted string's value (after its opening quote) and what follows it.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

/// What the `Link` header says about the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Fetch this URL.
    Page(String),
    /// There is no next page.
    End,
}

/// The next page from a `Link` header: `rel="next"` with `results="true"` (or
/// no `results`, as plain RFC 8288 links have) is a page, `results="false"` or
/// no next link is the end.
pub fn next_page(header: &str) -> Option<Next> {
    let links = parse_links(header)?;
    let next = links.into_iter().find(|l| {
        l.param("rel").is_some_and(|rel| {
            rel.split_whitespace()
                .any(|r| r.eq_ignore_ascii_case("next"))
        })
    });
    Some(match next {
        Some(l)
            if l.param("results")
                .is_none_or(|r| r.eq_ignore_ascii_case("true")) =>
        {
            Next::Page(l.url)
        }
        _ => Next::End,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTRY: &str = "<https://sentry.io/api/0/organizations/acme/issues/?project=1&query=is%3Aunresolved&cursor=1700000000000:0:1>; rel=\"previous\"; results=\"false\"; cursor=\"1700000000000:0:1\", <https://sentry.io/api/0/organizations/acme/issues/?project=1&query=is%3Aunresolved&cursor=1700000000000:100:0>; rel=\"next\"; results=\"true\"; cursor=\"1700000000000:100:0\"";

    #[test]
    fn sentry_links_parse_with_cursors_holding_colons() {
        let links = parse_links(SENTRY).expect("parses");
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].param("rel"), Some("previous"));
        assert_eq!(links[0].param("results"), Some("false"));
        assert_eq!(links[1].param("cursor"), Some("1700000000000:100:0"));
        assert!(links[1].url.ends_with("&cursor=1700000000000:100:0"));
        assert_eq!(next_page(SENTRY), Some(Next::Page(links[1].url.clone())));
    }

    #[test]
    fn results_false_on_the_next_link_is_the_end() {
        let last = SENTRY.replace("results=\"true\"", "results=\"false\"");
        assert_eq!(next_page(&last), Some(Next::End));
    }

    #[test]
    fn commas_and_semicolons_inside_urls_and_quotes_do_not_split_links() {
        let h = "<https://x/a?q=a,b;c>; rel=\"next\"; title=\"one, two; three\"; results=\"true\", <https://x/b>; rel=prev";
        let links = parse_links(h).expect("parses");
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].url, "https://x/a?q=a,b;c");
        assert_eq!(links[0].param("title"), Some("one, two; three"));
        assert_eq!(links[1].param("rel"), Some("prev"));
        assert_eq!(next_page(h), Some(Next::Page("https://x/a?q=a,b;c".into())));
    }

    #[test]
    fn order_of_links_and_parameters_does_not_matter_and_no_next_is_the_end() {
        let h = "<https://x/n>; results=\"true\"; REL=\"next\", <https://x/p>; rel=\"previous\"";
        assert_eq!(next_page(h), Some(Next::Page("https://x/n".into())));
        assert_eq!(
            next_page("<https://x/p>; rel=\"previous\""),
            Some(Next::End)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_header_text_parses_or_is_refused_without_a_panic(text in "\\PC{0,80}") {
            let _ = next_page(&text);
        }

        #[test]
        fn link_shaped_text_never_panics(
            url in "[a-z:/?&=,;\"<>0-9 ]{0,30}",
            params in "[a-z=;,\" \\\\]{0,30}",
        ) {
            let _ = parse_links(&format!("<{url}>{params}, <{url}>; rel=\"next\"{params}"));
        }
    }

    #[test]
    fn garbage_is_not_a_link_header() {
        for bad in [
            "https://x/n; rel=next",
            "<https://x/n",
            "<a>; rel=\"next",
            "<a> junk",
        ] {
            assert_eq!(parse_links(bad), None, "{bad}");
        }
    }
}
