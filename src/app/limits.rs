//! Intake rate limits: so many requests per hour from one client address and for one email address,
//! so a script cannot flood the desk or bury a person's address under requests. Submissions with
//! errors count in a bucket of their own, so a person correcting typos does not use up their filing
//! limit and a script sending garbage is stopped all the same.
//!
//! Where the counts live follows the backend. On PostgreSQL they are in the database
//! (`db::intake_hits`), so every instance behind a balancer shares them and a restart keeps them: at
//! most the limit in any hour. SQLite serves one process, which counts in memory (`governor`'s
//! buckets, refilling evenly over the hour) and forgets at a restart. One difference: in memory a
//! filing the inbox's limit refuses has already taken its address's turn (the address is checked
//! first, so a client held at its own limit cannot spend a stranger's inbox); the database's check
//! counts a refused submission against nothing.

use std::net::IpAddr;
use std::num::NonZeroU32;

use chrono::{DateTime, Duration, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{AppError, AppState};
use crate::config::subscriber_network;
use crate::db::{self, AnyConnection, Backend, intake_hits};
use crate::domain::field::FieldErrors;
use crate::domain::request::NewRequest;
use crate::security::tokens;

/// The window the shared counts sum over.
const WINDOW: Duration = Duration::hours(1);

pub struct IntakeLimits {
    quotas: Quotas,
    store: Store,
}

#[derive(Debug, Clone, Copy)]
struct Quotas {
    per_ip: u32,
    invalid_per_ip: u32,
    per_email: u32,
}

enum Store {
    /// One process: keyed buckets in memory.
    Memory(Box<Memory>),
    /// Every instance on one PostgreSQL database.
    Shared,
}

struct Memory {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    invalid_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
    resends_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    resends_per_email: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// What one submission counts against.
enum Bucket {
    /// The client's filings (its network, see `config::subscriber_network`).
    Filings(IpAddr),
    /// The client's submissions with errors.
    Errors(IpAddr),
    /// Filings for one inbox (see `mailbox`).
    Inbox(String),
    /// The client's asks to send tracking links again (counted apart from filings, so asking for links
    /// never uses up anyone's filing limit).
    ResendsFrom(IpAddr),
    /// Tracking links sent again to one inbox: a stranger cannot bury it under them.
    ResendsTo(String),
}

impl IntakeLimits {
    /// Limits for a database of this backend: shared through PostgreSQL, in memory on SQLite.
    pub fn new(
        backend: Backend,
        per_ip_per_hour: u32,
        invalid_per_ip_per_hour: u32,
        per_email_per_hour: u32,
    ) -> Self {
        let quotas = Quotas {
            per_ip: per_ip_per_hour.max(1),
            invalid_per_ip: invalid_per_ip_per_hour.max(1),
            per_email: per_email_per_hour.max(1),
        };
        let store = match backend {
            Backend::Postgres => Store::Shared,
            Backend::Sqlite => Store::Memory(Box::new(Memory::new(quotas))),
        };
        Self { quotas, store }
    }

    fn limit(&self, bucket: &Bucket) -> u32 {
        match bucket {
            Bucket::Filings(_) | Bucket::ResendsFrom(_) => self.quotas.per_ip,
            Bucket::Errors(_) => self.quotas.invalid_per_ip,
            Bucket::Inbox(_) | Bucket::ResendsTo(_) => self.quotas.per_email,
        }
    }

    /// Forgets counts that no longer matter (hourly): refilled buckets in memory, hits older than the
    /// window in the database. Returns the database rows dropped.
    pub fn housekeeping(state: &AppState) -> Result<usize, AppError> {
        match &state.limits.store {
            Store::Memory(m) => {
                m.housekeeping();
                Ok(0)
            }
            Store::Shared => {
                let before = db::to_db_time(state.clock.now() - WINDOW);
                match &mut *state.db.conn()? {
                    AnyConnection::Postgresql(pg) => Ok(intake_hits::forget_before(pg, before)?),
                    AnyConnection::Sqlite(_) => Ok(0),
                }
            }
        }
    }
}

/// A submission the intake limits let through. On PostgreSQL its filing is counted by `count_in`, in
/// the transaction that records the request: one commit for both, and a refusal writes nothing.
#[derive(Debug)]
pub struct Admitted {
    pub request: NewRequest,
    /// Whose submission it is (refusals are audited under it).
    pub client: Option<IpAddr>,
    /// Keyed buckets and their limits, still to count (empty when counted in memory).
    pending: Vec<(String, i64)>,
}

impl Admitted {
    /// A filing no intake limit counts: a tool or test that files on the desk's own authority.
    pub fn unlimited(request: NewRequest) -> Self {
        Self {
            request,
            client: None,
            pending: Vec::new(),
        }
    }

    /// Counts the filing against its buckets, first thing in the intake's transaction. The buckets'
    /// locks are then held to its commit, so a concurrent filing in the same bucket waits and counts
    /// this one. Refused: `RateLimited`, and the caller's transaction rolls back.
    pub fn count_in(&self, conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<(), AppError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        count_shared(conn, &self.pending, now)
    }
}

/// Counts one submission from this client: one with errors against the errors' bucket at once (its
/// errors are the answer until that runs out), a valid one against the address's and the email
/// address's filing limits (in memory here; on PostgreSQL by `Admitted::count_in`).
pub async fn admit(
    state: &AppState,
    ip: Option<IpAddr>,
    parsed: Result<NewRequest, FieldErrors>,
) -> Result<Admitted, AppError> {
    let admitted = count(state, ip, parsed).await;
    if let Err(AppError::RateLimited { .. }) = &admitted {
        let refusal = super::refusals::Refusal::IntakeLimited { client: ip };
        super::refusals::note(state, refusal).await;
    }
    admitted
}

async fn count(
    state: &AppState,
    ip: Option<IpAddr>,
    parsed: Result<NewRequest, FieldErrors>,
) -> Result<Admitted, AppError> {
    let (buckets, outcome) = buckets(ip, parsed);
    let pending = match &state.limits.store {
        Store::Memory(m) => {
            m.count(&buckets)?;
            Vec::new()
        }
        Store::Shared => {
            let keyed = keyed(state, &buckets);
            if outcome.is_err() {
                // Nothing to record: the errors' bucket counts on its own.
                let now = state.clock.now();
                state
                    .db
                    .run(move |conn| count_shared(conn, &keyed, now))
                    .await?;
                Vec::new()
            } else {
                keyed
            }
        }
    };
    outcome.map(|request| Admitted {
        request,
        client: ip,
        pending,
    })
}

/// Counts one ask to send tracking links again, from this client to this address: refused with
/// `RateLimited` past either hourly limit (the filing limits' sizes, counted apart from filings).
pub async fn admit_resend(
    state: &AppState,
    ip: Option<IpAddr>,
    email: &str,
) -> Result<(), AppError> {
    let mut buckets: Vec<Bucket> = ip
        .map(subscriber_network)
        .map(Bucket::ResendsFrom)
        .into_iter()
        .collect();
    buckets.push(Bucket::ResendsTo(mailbox(email)));
    count_buckets(state, buckets).await
}

/// An inquiry or complaint from the public form counts as a filing: against the client's network and
/// the inbox it names, so the desk's form is no way around the intake limits.
pub async fn admit_inquiry(
    state: &AppState,
    ip: Option<IpAddr>,
    email: &str,
) -> Result<(), AppError> {
    let mut buckets: Vec<Bucket> = ip
        .map(subscriber_network)
        .map(Bucket::Filings)
        .into_iter()
        .collect();
    buckets.push(Bucket::Inbox(mailbox(email)));
    let admitted = count_buckets(state, buckets).await;
    if let Err(AppError::RateLimited { .. }) = &admitted {
        super::refusals::note(
            state,
            super::refusals::Refusal::IntakeLimited { client: ip },
        )
        .await;
    }
    admitted
}

/// A submission with errors from a public form other than the request form: counted against the
/// client's errors (refused with `RateLimited` past the limit).
pub async fn admit_invalid(state: &AppState, ip: Option<IpAddr>) -> Result<(), AppError> {
    let buckets: Vec<Bucket> = ip
        .map(subscriber_network)
        .map(Bucket::Errors)
        .into_iter()
        .collect();
    count_buckets(state, buckets).await
}

async fn count_buckets(state: &AppState, buckets: Vec<Bucket>) -> Result<(), AppError> {
    match &state.limits.store {
        Store::Memory(m) => m.count(&buckets),
        Store::Shared => {
            let keyed = keyed(state, &buckets);
            let now = state.clock.now();
            state
                .db
                .run(move |conn| count_shared(conn, &keyed, now))
                .await
        }
    }
}

/// The buckets a submission counts against, and what it answers when let through.
fn buckets(
    ip: Option<IpAddr>,
    parsed: Result<NewRequest, FieldErrors>,
) -> (Vec<Bucket>, Result<NewRequest, AppError>) {
    let address = ip.map(subscriber_network);
    match parsed {
        Err(errors) => (
            address.map(Bucket::Errors).into_iter().collect(),
            Err(AppError::Invalid(errors)),
        ),
        Ok(request) => {
            let mut buckets: Vec<Bucket> = address.map(Bucket::Filings).into_iter().collect();
            if let Some(email) = &request.email {
                buckets.push(Bucket::Inbox(mailbox(email.as_ref())));
            }
            (buckets, Ok(request))
        }
    }
}

impl Memory {
    fn new(q: Quotas) -> Self {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_ip: RateLimiter::keyed(quota(q.per_ip)),
            invalid_per_ip: RateLimiter::keyed(quota(q.invalid_per_ip)),
            per_email: RateLimiter::keyed(quota(q.per_email)),
            resends_per_ip: RateLimiter::keyed(quota(q.per_ip)),
            resends_per_email: RateLimiter::keyed(quota(q.per_email)),
            clock: DefaultClock::default(),
        }
    }

    fn count(&self, buckets: &[Bucket]) -> Result<(), AppError> {
        for bucket in buckets {
            match bucket {
                Bucket::Filings(ip) => self.per_ip.check_key(ip),
                Bucket::Errors(ip) => self.invalid_per_ip.check_key(ip),
                Bucket::Inbox(inbox) => self.per_email.check_key(inbox),
                Bucket::ResendsFrom(ip) => self.resends_per_ip.check_key(ip),
                Bucket::ResendsTo(inbox) => self.resends_per_email.check_key(inbox),
            }
            .map_err(|not_until| AppError::RateLimited {
                retry_after_secs: not_until.wait_time_from(self.clock.now()).as_secs().max(1),
            })?;
        }
        Ok(())
    }

    fn housekeeping(&self) {
        self.per_ip.retain_recent();
        self.invalid_per_ip.retain_recent();
        self.per_email.retain_recent();
        self.resends_per_ip.retain_recent();
        self.resends_per_email.retain_recent();
        self.per_ip.shrink_to_fit();
        self.invalid_per_ip.shrink_to_fit();
        self.per_email.shrink_to_fit();
        self.resends_per_ip.shrink_to_fit();
        self.resends_per_email.shrink_to_fit();
    }
}

/// The buckets' keyed digests (the database never sees an address or an email) and their limits.
fn keyed(state: &AppState, buckets: &[Bucket]) -> Vec<(String, i64)> {
    let key = state.keys.session.expose();
    buckets
        .iter()
        .map(|b| {
            let named = match b {
                Bucket::Filings(ip) => format!("intake filings\n{ip}"),
                Bucket::Errors(ip) => format!("intake errors\n{ip}"),
                Bucket::Inbox(inbox) => format!("intake inbox\n{inbox}"),
                Bucket::ResendsFrom(ip) => format!("resends from\n{ip}"),
                Bucket::ResendsTo(inbox) => format!("resends to\n{inbox}"),
            };
            (
                tokens::sign(key, named.as_bytes()),
                i64::from(state.limits.limit(b)),
            )
        })
        .collect()
}

/// Counts one submission against keyed buckets in the database (PostgreSQL only).
fn count_shared(
    conn: &mut AnyConnection,
    buckets: &[(String, i64)],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let AnyConnection::Postgresql(pg) = conn else {
        return Err(AppError::NotConfigured(
            "shared intake limits on PostgreSQL",
        ));
    };
    let v = intake_hits::hit(
        pg,
        &uuid::Uuid::new_v4().to_string(),
        buckets,
        db::to_db_time(now),
        db::to_db_time(now - WINDOW),
    )?;
    // Refused: when the oldest hit of the fullest bucket leaves the window there is room again.
    if v.admitted {
        return Ok(());
    }
    let wait = v.full_since.map_or(1, |oldest| {
        (db::from_db_time(oldest) + WINDOW - now).num_seconds()
    });
    Err(AppError::RateLimited {
        retry_after_secs: u64::try_from(wait).unwrap_or(1).max(1),
    })
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

    fn laws() -> crate::domain::law::Laws {
        crate::domain::law::Laws::shipped()
    }

    fn filed(email: &str) -> Result<NewRequest, FieldErrors> {
        let raw = RawRequest {
            name: "Pat".into(),
            email: email.into(),
            request_type: "access".into(),
            jurisdiction: "japan".into(),
            message: "Please send me my data.".into(),
            ..RawRequest::default()
        };
        let parsed = NewRequest::parse(
            &raw,
            Language::EN,
            Channel::Web,
            &laws(),
            chrono::Utc::now(),
        );
        assert!(parsed.is_ok(), "{parsed:?}");
        parsed
    }

    fn with_errors() -> Result<NewRequest, FieldErrors> {
        let parsed = NewRequest::parse(
            &RawRequest::default(),
            Language::EN,
            Channel::Web,
            &laws(),
            chrono::Utc::now(),
        );
        assert!(parsed.is_err());
        parsed
    }

    /// `admit` with the in-memory store (the shared one is tested against PostgreSQL in `tests/`).
    fn admit(
        l: &IntakeLimits,
        ip: Option<IpAddr>,
        parsed: Result<NewRequest, FieldErrors>,
    ) -> Result<NewRequest, AppError> {
        let (b, outcome) = buckets(ip, parsed);
        let Store::Memory(m) = &l.store else {
            unreachable!("SQLite's limits are in memory")
        };
        m.count(&b)?;
        outcome
    }

    fn limited(r: Result<NewRequest, AppError>) -> bool {
        matches!(r, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0)
    }

    #[test]
    fn filings_count_per_address_and_per_email() {
        let l = IntakeLimits::new(Backend::Sqlite, 2, 100, 1);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(admit(&l, Some(a), filed("pat@example.com")).is_ok());
        assert!(admit(&l, Some(a), filed("kim@example.com")).is_ok());
        assert!(limited(admit(&l, Some(a), filed("lee@example.com"))));
        let c: IpAddr = "192.0.2.3".parse().unwrap();
        assert!(
            limited(admit(&l, Some(c), filed("Pat@Example.com "))),
            "the same email address, however written"
        );
        assert!(
            limited(admit(&l, Some(c), filed("Pat+2@example.com"))),
            "a +tag is the same inbox"
        );
        assert!(
            admit(&l, Some(b), filed("ann@example.com")).is_ok(),
            "another address has its own count"
        );
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(admit(&l, Some(v6a), filed("a1@example.com")).is_ok());
        assert!(admit(&l, Some(v6b), filed("a2@example.com")).is_ok());
        assert!(
            limited(admit(&l, Some(v6a), filed("a3@example.com"))),
            "one /64 is one address"
        );
        let Store::Memory(m) = &l.store else {
            unreachable!()
        };
        m.housekeeping();
    }

    #[test]
    fn submissions_with_errors_have_their_own_bucket() {
        let l = IntakeLimits::new(Backend::Sqlite, 1, 3, 5);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(matches!(
                admit(&l, Some(a), with_errors()),
                Err(AppError::Invalid(_))
            ));
        }
        assert!(
            limited(admit(&l, Some(a), with_errors())),
            "then the errors' bucket is empty"
        );
        assert!(
            admit(&l, Some(a), filed("pat@example.com")).is_ok(),
            "typos did not use up the filing limit"
        );
        assert!(limited(admit(&l, Some(a), filed("kim@example.com"))));
        assert!(
            matches!(
                admit(&l, Some("192.0.2.9".parse().unwrap()), with_errors()),
                Err(AppError::Invalid(_))
            ),
            "per address"
        );
    }
}
