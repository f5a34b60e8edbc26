//! `ready_to_merge` over every combination of its inputs (4 × 4 × 3 × 2 = 96).

use ops_ship::github::{CheckRollup, Decision, Mergeable, ReviewDecision, ready_to_merge};

fn every_case() -> impl Iterator<Item = (CheckRollup, ReviewDecision, Mergeable, bool)> {
    CheckRollup::ALL.into_iter().flat_map(|c| {
        ReviewDecision::ALL.into_iter().flat_map(move |r| {
            Mergeable::ALL
                .into_iter()
                .flat_map(move |m| [false, true].map(move |d| (c, r, m, d)))
        })
    })
}

#[test]
fn the_loop_covers_every_combination_once() {
    let all: std::collections::HashSet<_> = every_case().collect();
    assert_eq!(all.len(), 96);
    assert_eq!(every_case().count(), 96);
}

#[test]
fn merge_exactly_when_green_clean_not_draft_and_review_approved_or_not_required() {
    for (c, r, m, d) in every_case() {
        let ok = c == CheckRollup::Green
            && m == Mergeable::Clean
            && !d
            && matches!(r, ReviewDecision::Approved | ReviewDecision::NotRequired);
        assert_eq!(
            ready_to_merge(c, r, m, d) == Decision::Merge,
            ok,
            "{c:?} {r:?} {m:?} draft={d}"
        );
    }
}

#[test]
fn never_merge_on_red_pending_or_a_missing_required_check() {
    for (c, r, m, d) in every_case() {
        if c != CheckRollup::Green {
            assert_ne!(
                ready_to_merge(c, r, m, d),
                Decision::Merge,
                "{c:?} {r:?} {m:?} draft={d}"
            );
        }
    }
}

#[test]
fn red_checks_conflicts_requested_changes_and_drafts_block_whatever_else_holds() {
    for (c, r, m, d) in every_case() {
        let blocking = c == CheckRollup::Red
            || m == Mergeable::Conflicting
            || r == ReviewDecision::ChangesRequested
            || d;
        let decision = ready_to_merge(c, r, m, d);
        assert_eq!(
            matches!(decision, Decision::Blocked(_)),
            blocking,
            "{c:?} {r:?} {m:?} draft={d}: {decision:?}"
        );
    }
}

#[test]
fn pending_missing_unknown_mergeability_and_required_review_wait_and_say_why() {
    for (c, r, m, d) in every_case() {
        let decision = ready_to_merge(c, r, m, d);
        if let Decision::Wait(why) = &decision {
            let mut reasons = 0;
            if c == CheckRollup::Pending {
                assert!(why.contains("running"), "{why}");
                reasons += 1;
            }
            if c == CheckRollup::Missing {
                assert!(why.contains("required check"), "{why}");
                reasons += 1;
            }
            if m == Mergeable::Unknown {
                assert!(why.contains("mergeability"), "{why}");
                reasons += 1;
            }
            if r == ReviewDecision::ReviewRequired {
                assert!(why.contains("review"), "{why}");
                reasons += 1;
            }
            assert!(
                reasons > 0,
                "waiting needs a reason: {c:?} {r:?} {m:?} draft={d}"
            );
        }
        if let Decision::Blocked(why) = &decision {
            assert!(!why.is_empty());
        }
    }
}
