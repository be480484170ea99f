//! How long the outbox waits before trying a message again. Pure.

use chrono::Duration;

/// Retry delays double from `first` up to `cap`.
pub fn backoff(attempts: i32, first: u64, cap: u64) -> Duration {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    let secs = first
        .saturating_mul(1u64 << exp.min(20))
        .min(cap.max(first));
    Duration::seconds(secs as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff(1, 60, 3600), Duration::seconds(60));
        assert_eq!(backoff(2, 60, 3600), Duration::seconds(120));
        assert_eq!(backoff(4, 60, 3600), Duration::seconds(480));
        assert_eq!(backoff(30, 60, 3600), Duration::seconds(3600));
    }
}
