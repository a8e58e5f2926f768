//! When a staff sign-in must wait (NIST SP 800-63B-4 §3.2.2, rate limiting; ASVS 5.0 V6.3). Failures are
//! counted three ways over a day, each with growing waits once its free attempts are used:
//! - per account and client address: someone mistyping, or guessing one account from one place;
//! - per client address, over every account: one place spraying many accounts;
//! - per account from addresses it never signed in from: many places guessing one account. An address
//!   the account signed in from before is spared this one, so no one elsewhere can lock a member out.
//!
//! Counts are keyed on the email address typed, known or not, so a wait says nothing about whether an
//! account exists.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::code::{apply, coded};

/// How far back failures count.
pub const WINDOW: TimeDelta = TimeDelta::hours(24);

/// Which count made a sign-in wait.
#[apply(coded)]
pub enum Scope {
    AccountAtAddress,
    Address,
    AccountElsewhere,
}

impl Scope {
    fn rule(self) -> Rule {
        match self {
            Scope::AccountAtAddress => Rule {
                free: 5,
                first_wait: TimeDelta::seconds(30),
                longest_wait: TimeDelta::minutes(15),
            },
            Scope::Address => Rule {
                free: 20,
                first_wait: TimeDelta::seconds(30),
                longest_wait: TimeDelta::hours(1),
            },
            Scope::AccountElsewhere => Rule {
                free: 10,
                first_wait: TimeDelta::minutes(1),
                longest_wait: TimeDelta::hours(1),
            },
        }
    }
}

/// Failures free of any wait, then a first wait that doubles with each further failure, up to a cap.
#[derive(Debug, Clone, Copy)]
struct Rule {
    free: u32,
    first_wait: TimeDelta,
    longest_wait: TimeDelta,
}

/// Failed sign-ins within the window, and the newest one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: Option<DateTime<Utc>>,
}

impl Rule {
    /// How long after the newest failure the next attempt is heard.
    fn wait_after(&self, count: u32) -> Option<TimeDelta> {
        let over = count.checked_sub(self.free)?;
        let doubled = self
            .first_wait
            .checked_mul(1_i32.checked_shl(over.min(30)).unwrap_or(i32::MAX))
            .unwrap_or(self.longest_wait);
        Some(doubled.min(self.longest_wait))
    }
}

/// The counts for one attempt.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub account_at_address: Failures,
    pub address: Failures,
    pub account: Failures,
    /// The account (when it exists) signed in from this address before.
    pub known_address: bool,
}

/// A sign-in that must wait, and how long yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub scope: Scope,
    pub remaining: TimeDelta,
    /// The failures that count towards it.
    pub failures: u32,
}

/// The longest wait any count imposes at `now`, if any.
pub fn wait(counts: &Counts, now: DateTime<Utc>) -> Option<Wait> {
    let mut scopes = vec![
        (Scope::AccountAtAddress, counts.account_at_address),
        (Scope::Address, counts.address),
    ];
    if !counts.known_address {
        scopes.push((Scope::AccountElsewhere, counts.account));
    }
    scopes
        .into_iter()
        .filter_map(|(scope, f)| {
            let wait = scope.rule().wait_after(f.count)?;
            let remaining = f.last? + wait - now;
            (remaining > TimeDelta::zero()).then_some(Wait {
                scope,
                remaining,
                failures: f.count,
            })
        })
        .max_by_key(|w| w.remaining)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn failures(count: u32, last: i64) -> Failures {
        Failures {
            count,
            last: Some(at(last)),
        }
    }

    #[test]
    fn the_free_attempts_then_doubling_waits_up_to_the_cap() {
        let c = |n| Counts {
            account_at_address: failures(n, 0),
            ..Counts::default()
        };
        assert_eq!(wait(&c(4), at(0)), None, "four failures wait for nothing");
        let w = wait(&c(5), at(0)).unwrap();
        assert_eq!(
            (w.scope, w.remaining, w.failures),
            (Scope::AccountAtAddress, TimeDelta::seconds(30), 5)
        );
        assert_eq!(
            wait(&c(6), at(0)).unwrap().remaining,
            TimeDelta::seconds(60)
        );
        assert_eq!(
            wait(&c(7), at(10)).unwrap().remaining,
            TimeDelta::seconds(110)
        );
        assert_eq!(
            wait(&c(50), at(0)).unwrap().remaining,
            TimeDelta::minutes(15),
            "capped"
        );
        assert_eq!(wait(&c(5), at(30)), None, "the wait is over");
    }

    #[test]
    fn an_address_the_account_knows_is_spared_failures_from_elsewhere() {
        let mut c = Counts {
            account: failures(40, 0),
            ..Counts::default()
        };
        let w = wait(&c, at(1)).unwrap();
        assert_eq!(w.scope, Scope::AccountElsewhere);
        c.known_address = true;
        assert_eq!(wait(&c, at(1)), None);
        // Its own failures still count.
        c.account_at_address = failures(6, 0);
        assert_eq!(wait(&c, at(1)).unwrap().scope, Scope::AccountAtAddress);
    }

    #[test]
    fn the_longest_wait_wins() {
        let c = Counts {
            account_at_address: failures(5, 0),
            address: failures(25, 0),
            account: failures(10, 0),
            known_address: false,
        };
        let w = wait(&c, at(0)).unwrap();
        assert_eq!(
            (w.scope, w.remaining),
            (Scope::Address, TimeDelta::minutes(16))
        );
    }

    proptest! {
        #[test]
        fn waits_never_exceed_the_cap_nor_grow_as_time_passes(
            n in 0u32..10_000, elapsed in 0i64..100_000, later in 0i64..100_000
        ) {
            for scope in [Scope::AccountAtAddress, Scope::Address, Scope::AccountElsewhere] {
                let mut c = Counts::default();
                match scope {
                    Scope::AccountAtAddress => c.account_at_address = failures(n, 0),
                    Scope::Address => c.address = failures(n, 0),
                    Scope::AccountElsewhere => c.account = failures(n, 0),
                }
                let now = wait(&c, at(elapsed)).map(|w| w.remaining);
                let after = wait(&c, at(elapsed + later)).map(|w| w.remaining);
                prop_assert!(now.unwrap_or_default() <= scope.rule().longest_wait);
                prop_assert!(after.unwrap_or_default() <= now.unwrap_or_default());
                let more = match scope {
                    Scope::AccountAtAddress => Counts { account_at_address: failures(n + 1, 0), ..c },
                    Scope::Address => Counts { address: failures(n + 1, 0), ..c },
                    Scope::AccountElsewhere => Counts { account: failures(n + 1, 0), ..c },
                };
                prop_assert!(
                    wait(&more, at(elapsed)).map(|w| w.remaining).unwrap_or_default()
                        >= now.unwrap_or_default(),
                    "one more failure never shortens the wait"
                );
            }
        }
    }
}
