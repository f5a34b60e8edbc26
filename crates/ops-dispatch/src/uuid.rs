//! UUIDs in the canonical 8-4-4-4-12 form, without a dependency: a random one
//! for a new Claude Code session (`--session-id` must be a valid UUID), and one
//! derived from its parts for a stream-json user message, so the same message
//! sent again (a retry after a failed write) carries the same `uuid` and is not
//! applied twice.

use ops_core::model::fingerprint;

/// A random (version 4) UUID from the system's random source.
pub fn random() -> String {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if read.is_err() {
        // No random source: the time and process make it unique enough for a session.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_string();
        return derived(&[&now, &std::process::id().to_string()]);
    }
    format_v4(&hex(&bytes))
}

/// The UUID of `parts`: the same parts give the same UUID (two 64-bit
/// fingerprints, with the version 4 and variant bits set as the CLI expects of
/// a canonical UUID).
pub fn derived(parts: &[&str]) -> String {
    let mut a = vec!["uuid-a"];
    a.extend_from_slice(parts);
    let mut b = vec!["uuid-b"];
    b.extend_from_slice(parts);
    format_v4(&format!("{}{}", fingerprint(&a), fingerprint(&b)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 hex digits as `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx` (V in 8..b).
fn format_v4(hex: &str) -> String {
    let digits: Vec<char> = hex.chars().collect();
    let variant = ['8', '9', 'a', 'b'][digits[16].to_digit(16).unwrap_or(0) as usize % 4];
    let s = |from: usize, to: usize| digits[from..to].iter().collect::<String>();
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        s(0, 8),
        s(8, 12),
        s(13, 16),
        s(17, 20),
        s(20, 32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(u: &str) -> bool {
        let parts: Vec<&str> = u.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && u.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
            && parts[2].starts_with('4')
            && parts[3].starts_with(['8', '9', 'a', 'b'])
    }

    #[test]
    fn random_uuids_are_canonical_and_differ_and_derived_ones_repeat_for_the_same_parts() {
        let (a, b) = (random(), random());
        assert!(canonical(&a) && canonical(&b), "{a} {b}");
        assert_ne!(a, b);
        let d = derived(&["s", "1", "hello"]);
        assert!(canonical(&d), "{d}");
        assert_eq!(d, derived(&["s", "1", "hello"]));
        assert_ne!(d, derived(&["s", "2", "hello"]));
    }
}
