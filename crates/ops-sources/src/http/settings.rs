//! The settings file's `[http]` section as the client's [`HttpConfig`].

use super::HttpConfig;
use ops_core::config::HttpSettings;

impl From<&HttpSettings> for HttpConfig {
    fn from(s: &HttpSettings) -> Self {
        HttpConfig {
            retries: s.retries,
            backoff: s.backoff,
            max_wait: s.max_wait,
            timeout: s.timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HttpConfig;
    use ops_core::config::Settings;
    use std::path::Path;
    use std::time::Duration;

    #[test]
    fn the_http_section_becomes_the_client_config() {
        let defaults = HttpConfig::from(&Settings::default().http);
        let expected = HttpConfig::default();
        assert_eq!(
            (
                defaults.retries,
                defaults.backoff,
                defaults.max_wait,
                defaults.timeout
            ),
            (
                expected.retries,
                expected.backoff,
                expected.max_wait,
                expected.timeout
            )
        );
        let s = Settings::parse(
            "[http]\nretries = 1\nbackoff_ms = 20\nmax_wait_secs = 5\ntimeout_secs = 7\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let c = HttpConfig::from(&s.http);
        assert_eq!(
            (c.retries, c.backoff, c.max_wait, c.timeout),
            (
                1,
                Duration::from_millis(20),
                Duration::from_secs(5),
                Duration::from_secs(7)
            )
        );
    }
}
