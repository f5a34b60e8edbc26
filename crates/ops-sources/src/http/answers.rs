//! Statuses that are answers, not failures: a GraphQL server reports errors
//! (a refused key, an invalid query) in a JSON body with a 4xx status, and the
//! caller reads that body to say what went wrong.

use super::Http;

impl Http {
    /// Returns answers with one of `statuses` (besides 2xx and 304) to the
    /// caller instead of failing on them; the rate-limit rule still sees them
    /// first. Linear answers GraphQL errors with `400`.
    pub fn with_answers(mut self, statuses: &'static [u16]) -> Self {
        self.answers = statuses;
        self
    }
}
