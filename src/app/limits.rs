//! Intake rate limits: so many requests per hour from one client address and for one email address,
//! so a script cannot flood the desk or bury a person's address under requests. Submissions with
//! errors count in a bucket of their own, so a person correcting typos does not use up their filing
//! limit and a script sending garbage is stopped all the same. In memory, per process (several
//! instances behind a balancer each count their own).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::AppError;
use crate::domain::field::FieldErrors;
use crate::domain::request::NewRequest;

pub struct IntakeLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    invalid_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl IntakeLimits {
    pub fn new(
        per_ip_per_hour: u32,
        invalid_per_ip_per_hour: u32,
        per_email_per_hour: u32,
    ) -> Self {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(quota(per_ip_per_hour)),
            invalid_per_ip: RateLimiter::keyed(quota(invalid_per_ip_per_hour)),
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

    /// Counts one submission from this client: one with errors against the errors' bucket (its
    /// errors are the answer until that runs out), a valid one against the address's and the email
    /// address's filing limits. The request comes back when it may be filed.
    pub fn admit(
        &self,
        ip: Option<IpAddr>,
        parsed: Result<NewRequest, FieldErrors>,
    ) -> Result<NewRequest, AppError> {
        match parsed {
            Err(errors) => {
                Self::check(&self.invalid_per_ip, ip).map_err(|n| self.refused(n))?;
                Err(AppError::Invalid(errors))
            }
            Ok(request) => {
                Self::check(&self.per_ip, ip).map_err(|n| self.refused(n))?;
                if let Some(email) = &request.email {
                    self.check_email(email.as_ref())?;
                }
                Ok(request)
            }
        }
    }

    /// IPv6 counts per /64, the block one subscriber gets.
    fn check(
        limiter: &DefaultKeyedRateLimiter<IpAddr>,
        ip: Option<IpAddr>,
    ) -> Result<(), governor::NotUntil<governor::clock::QuantaInstant>> {
        match ip {
            Some(ip) => limiter.check_key(&network(ip)),
            None => Ok(()),
        }
    }

    /// Counts one request for this email address: compared case-insensitively and without a
    /// `+tag`, so `pat+1@` and `pat+2@` are one inbox.
    fn check_email(&self, email: &str) -> Result<(), AppError> {
        self.per_email
            .check_key(&mailbox(email))
            .map_err(|n| self.refused(n))
    }

    /// Forgets counters that have fully refilled (run hourly), so memory does not grow.
    pub fn housekeeping(&self) {
        self.per_ip.retain_recent();
        self.invalid_per_ip.retain_recent();
        self.per_email.retain_recent();
        self.per_ip.shrink_to_fit();
        self.invalid_per_ip.shrink_to_fit();
        self.per_email.shrink_to_fit();
    }
}

/// The block one subscriber holds: an IPv4 address, or an IPv6 /64.
pub fn network(ip: IpAddr) -> IpAddr {
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
    use crate::domain::request::{Channel, Language, RawRequest};

    fn filed(email: &str) -> Result<NewRequest, FieldErrors> {
        let raw = RawRequest {
            name: "Pat".into(),
            email: email.into(),
            request_type: "access".into(),
            jurisdiction: "japan".into(),
            message: "Please send me my data.".into(),
            ..RawRequest::default()
        };
        let parsed = NewRequest::parse(&raw, Language::En, Channel::Web);
        assert!(parsed.is_ok(), "{parsed:?}");
        parsed
    }

    fn with_errors() -> Result<NewRequest, FieldErrors> {
        let parsed = NewRequest::parse(&RawRequest::default(), Language::En, Channel::Web);
        assert!(parsed.is_err());
        parsed
    }

    fn limited(r: Result<NewRequest, AppError>) -> bool {
        matches!(r, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0)
    }

    #[test]
    fn filings_count_per_address_and_per_email() {
        let l = IntakeLimits::new(2, 100, 1);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.admit(Some(a), filed("pat@example.com")).is_ok());
        assert!(l.admit(Some(a), filed("kim@example.com")).is_ok());
        assert!(limited(l.admit(Some(a), filed("lee@example.com"))));
        let c: IpAddr = "192.0.2.3".parse().unwrap();
        assert!(
            limited(l.admit(Some(c), filed("Pat@Example.com "))),
            "the same email address, however written"
        );
        assert!(
            limited(l.admit(Some(c), filed("Pat+2@example.com"))),
            "a +tag is the same inbox"
        );
        assert!(
            l.admit(Some(b), filed("ann@example.com")).is_ok(),
            "another address has its own count"
        );
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(l.admit(Some(v6a), filed("a1@example.com")).is_ok());
        assert!(l.admit(Some(v6b), filed("a2@example.com")).is_ok());
        assert!(
            limited(l.admit(Some(v6a), filed("a3@example.com"))),
            "one /64 is one address"
        );
        l.housekeeping();
    }

    #[test]
    fn submissions_with_errors_have_their_own_bucket() {
        let l = IntakeLimits::new(1, 3, 5);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(matches!(
                l.admit(Some(a), with_errors()),
                Err(AppError::Invalid(_))
            ));
        }
        assert!(
            limited(l.admit(Some(a), with_errors())),
            "then the errors' bucket is empty"
        );
        assert!(
            l.admit(Some(a), filed("pat@example.com")).is_ok(),
            "typos did not use up the filing limit"
        );
        assert!(limited(l.admit(Some(a), filed("kim@example.com"))));
        assert!(
            matches!(
                l.admit(Some("192.0.2.9".parse().unwrap()), with_errors()),
                Err(AppError::Invalid(_))
            ),
            "per address"
        );
    }
}
