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

    /// Counts one filing attempt from this address. IPv6 counts per /64, the block one subscriber gets.
    pub fn check_ip(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self
                .per_ip
                .check_key(&network(ip))
                .map_err(|n| self.refused(n)),
            None => Ok(()),
        }
    }

    /// Counts one request for this email address: compared case-insensitively and without a
    /// `+tag`, so `pat+1@` and `pat+2@` are one inbox.
    pub fn check_email(&self, email: &str) -> Result<(), AppError> {
        self.per_email
            .check_key(&mailbox(email))
            .map_err(|n| self.refused(n))
    }

    /// Forgets counters that have fully refilled (run hourly), so memory does not grow.
    pub fn housekeeping(&self) {
        self.per_ip.retain_recent();
        self.per_email.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_email.shrink_to_fit();
    }
}

fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

fn mailbox(email: &str) -> String {
    let e = email.trim().to_lowercase();
    match e.split_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => e,
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
        assert!(
            l.check_email("Pat+2@example.com").is_err(),
            "a +tag is the same inbox"
        );
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(l.check_ip(Some(v6a)).is_ok());
        assert!(l.check_ip(Some(v6b)).is_ok());
        assert!(l.check_ip(Some(v6a)).is_err(), "one /64 is one address");
        l.housekeeping();
    }
}
