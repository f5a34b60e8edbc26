//! What GitHub's answers to a merge or a pull-request creation mean, as pure
//! functions of status and message (the messages are the documented and observed
//! ones; see the fixtures this crate's tests read when `../shared` is present).

/// The meaning of an answer to `PUT /repos/{o}/{r}/pulls/{n}/merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeAnswer {
    /// 200: merged.
    Merged,
    /// 409 "Head branch was modified": the pinned sha is not the head; never retry
    /// blindly, the new head has not been checked.
    HeadModified,
    /// 405 "Base branch was modified": mergeability is being recomputed; retry with backoff.
    BaseModified,
    /// 405 "Required status check ... is expected": a required check has not reported.
    RequiredCheckExpected,
    /// 405 "Pull Request is not mergeable": re-read the pull request (it may be merged).
    NotMergeable,
    /// 405 that only a person or a settings change can fix (permissions, merge
    /// method, linear history, required approvals); never bypassed, never retried.
    NeedsHuman,
    /// Anything else.
    Other,
}

/// Classifies a merge answer.
pub fn classify_merge(status: u16, message: &str) -> MergeAnswer {
    match status {
        200 => MergeAnswer::Merged,
        409 => MergeAnswer::HeadModified,
        405 if message.contains("Base branch was modified") => MergeAnswer::BaseModified,
        405 if message.contains("Head branch was modified") => MergeAnswer::HeadModified,
        405 if message.starts_with("Required status check") => MergeAnswer::RequiredCheckExpected,
        405 if message.contains("Pull Request is not mergeable") => MergeAnswer::NotMergeable,
        405 => MergeAnswer::NeedsHuman,
        _ => MergeAnswer::Other,
    }
}

/// Whether an answer to `POST /repos/{o}/{r}/pulls` says an open pull request for
/// the same head and base exists (422 "A pull request already exists for ...").
pub fn pull_already_exists(status: u16, message: &str) -> bool {
    status == 422 && message.contains("A pull request already exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_answers_are_classified_by_status_and_message() {
        let table = [
            (200, "Pull Request successfully merged", MergeAnswer::Merged),
            (
                409,
                "Head branch was modified. Review and try the merge again.",
                MergeAnswer::HeadModified,
            ),
            (
                405,
                "Base branch was modified. Review and try the merge again.",
                MergeAnswer::BaseModified,
            ),
            (
                405,
                "Required status check \"ci\" is expected.",
                MergeAnswer::RequiredCheckExpected,
            ),
            (
                405,
                "Pull Request is not mergeable",
                MergeAnswer::NotMergeable,
            ),
            (
                405,
                "You're not authorized to push to this branch.",
                MergeAnswer::NeedsHuman,
            ),
            (
                405,
                "At least 1 approving review is required by reviewers with write access.",
                MergeAnswer::NeedsHuman,
            ),
            (422, "Validation Failed", MergeAnswer::Other),
        ];
        for (status, message, want) in table {
            assert_eq!(classify_merge(status, message), want, "{status} {message}");
        }
        assert!(pull_already_exists(
            422,
            "Validation Failed: A pull request already exists for o:b."
        ));
        assert!(!pull_already_exists(
            422,
            "Validation Failed: No commits between dev and b"
        ));
    }
}
