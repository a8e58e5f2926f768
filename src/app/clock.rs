//! The one place kaiji reads the time. Tests fix it and move it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(at)))
    }

    /// Now, in UTC, to the microsecond: the precision both backends store.
    pub fn now(&self) -> DateTime<Utc> {
        let t = match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        };
        t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
    }

    /// Moves a fixed clock forward; the system clock moves by itself.
    pub fn advance(&self, by: TimeDelta) {
        if let Clock::Fixed(t) = self {
            let mut guard = t.lock().unwrap_or_else(|p| p.into_inner());
            *guard += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-01-31T00:00:00.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = Clock::fixed(start);
        assert_eq!(c.now().timestamp_subsec_nanos(), 123_456_000);
        c.advance(TimeDelta::days(1));
        assert_eq!(c.now().date_naive().to_string(), "2026-02-01");
    }
}
