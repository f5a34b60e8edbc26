//! What agents reported spending, per task, and how dollars are written.

use ops_core::model::Task;

/// The sum of the task's attempts' `cost_usd`; `None` when no attempt reported one.
/// A cost that is not a finite, non-negative number is left out (the engine does
/// not count it either).
pub fn task_cost(task: &Task) -> Option<f64> {
    task.attempts
        .iter()
        .filter_map(|a| a.cost_usd.filter(|c| usable(*c)))
        .reduce(|a, b| a + b)
}

/// Whether `usd` is a cost worth adding up: finite and not negative.
pub fn usable(usd: f64) -> bool {
    usd.is_finite() && usd >= 0.0
}

/// `$1.23`: dollars to the cent, for tables and totals.
pub fn dollars(usd: f64) -> String {
    format!("${usd:.2}")
}

/// `$0.0042`, `$1.50`: one agent's spend with enough digits to tell small
/// costs apart (up to six decimals, trailing zeros dropped, at least cents).
pub fn fine_dollars(usd: f64) -> String {
    let text = format!("{usd:.6}");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut frac = frac.trim_end_matches('0').to_string();
    while frac.len() < 2 {
        frac.push('0');
    }
    format!("${whole}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_core::model::{Attempt, TaskId, Timestamp};

    fn attempt(number: u32, cost_usd: Option<f64>) -> Attempt {
        Attempt {
            number,
            brief: String::new(),
            started_at: Timestamp::default(),
            ended_at: None,
            summary: None,
            cost_usd,
            outcome: None,
            session: None,
        }
    }

    #[test]
    fn task_cost_sums_the_usable_costs_the_attempts_reported_and_is_none_when_none_did() {
        let mut task = Task::new(TaskId::new("t").expect("valid"), "t", "p", "/r");
        assert_eq!(task_cost(&task), None);
        task.attempts.push(attempt(1, None));
        assert_eq!(task_cost(&task), None);
        task.attempts.push(attempt(2, Some(0.25)));
        task.attempts.push(attempt(3, Some(0.5)));
        task.attempts.push(attempt(4, Some(f64::NAN)));
        task.attempts.push(attempt(5, Some(-1.0)));
        assert_eq!(
            task_cost(&task),
            Some(0.75),
            "NaN and negative costs are left out"
        );
        assert_eq!(dollars(0.755), "$0.76");
        assert_eq!(fine_dollars(0.0123), "$0.0123");
        assert_eq!(fine_dollars(0.0042), "$0.0042");
        assert_eq!(fine_dollars(0.000_042), "$0.000042");
        assert_eq!(fine_dollars(1.5), "$1.50");
        assert_eq!(fine_dollars(0.0), "$0.00");
    }
}
