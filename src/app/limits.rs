//! Intake rate limits: so many requests per hour from one address and for one email address, so a
//! script cannot flood the desk or bury a person's address under requests. In memory, per process
//! (several instances behind a balancer each count their own).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AppError;

pub struct IntakeLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl IntakeLimits {
    pub fn new(per_ip_per_hour: u32, per_email_per_hour: u32) -> Self {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(quota(per_ip_per_hour)),
            per_email: RateLimiter::keyed(quota(per_email_per_hour)),
            clock: DefaultClock::default(),
        }
    }

    fn refused(&self, not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
        let wait = not_until.wait_time_from(self.clock.now());
        AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }
    }

    /// Counts one filing attempt from this address.
    pub fn check_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.per_ip.check_key(&ip).map_err(|n| self.refused(n)),
            None => Ok(()),
        }
    }

    /// Counts one request for this email address (compared case-insensitively).
    pub fn check_email(&self, email: &str) -> Result<(), AppError> {
        self.per_email
            .check_key(&email.trim().to_lowercase())
            .map_err(|n| self.refused(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_address_and_per_email() {
        let l = IntakeLimits::new(2, 1);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.check_ip(Some(a)).is_ok());
        assert!(l.check_ip(Some(a)).is_ok());
        assert!(
            matches!(l.check_ip(Some(a)), Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0)
        );
        assert!(
            l.check_ip(Some(b)).is_ok(),
            "another address has its own count"
        );
        assert!(l.check_email("Pat@Example.com").is_ok());
        assert!(
            l.check_email("pat@example.com ").is_err(),
            "the same address, however written"
        );
        assert!(l.check_email("kim@example.com").is_ok());
    }
}
