//! The Data Rights Protocol 1.0 (Consumer Reports): what an authorised agent's signed call says and
//! whether it may be believed, and the status a request shows an agent. kaiji is the covered business's
//! Privacy Infrastructure Provider. A signed body is `base64(ed25519 signature ‖ UTF-8 JSON)`; it is
//! checked in the order the specification sets (§3.07): it decodes, the signature holds under the
//! agent's key, the `agent-id` claim names that agent, the `business-id` claim names this business,
//! and `issued-at ≤ now < expires-at`. Which DRP action maps to which right is data
//! (`[drp]` in a regime of `seeds/regimes/`).

use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::notice::NoticeKind;
use crate::domain::code::{apply, coded};

/// The versions whose bodies kaiji reads: 1.0, and 0.9.4, which the 1.0 text's own examples carry.
pub const VERSIONS: [&str; 2] = ["1.0", "0.9.4"];

/// Why a signed call is not believed, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrpRefusal {
    #[error("the body is not base64 of a signature and a JSON object")]
    Undecodable,
    #[error("the signature does not verify with the agent's key")]
    BadSignature,
    #[error("the agent-id claim does not name the calling agent")]
    WrongAgent,
    #[error("the business-id claim does not name this business")]
    WrongBusiness,
    #[error("issued-at is in the future")]
    NotYetValid,
    #[error("expires-at has passed")]
    Expired,
    #[error("the claims cannot be read: {0}")]
    BadClaims(&'static str),
    #[error("this signed request was already received")]
    Replayed,
}

/// A signed body, decoded but not yet believed.
pub struct Signed {
    signature: ed25519_dalek::Signature,
    json: Vec<u8>,
}

impl Signed {
    /// Step 1: the body decodes (standard base64 with or without padding, or the URL-safe alphabet;
    /// surrounding white space ignored) into a 64-byte signature and a JSON object.
    pub fn decode(body: &[u8]) -> Result<Self, DrpRefusal> {
        let text = std::str::from_utf8(body).map_err(|_| DrpRefusal::Undecodable)?;
        let text: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let bytes = liberal_base64(&text).ok_or(DrpRefusal::Undecodable)?;
        if bytes.len() <= 64 {
            return Err(DrpRefusal::Undecodable);
        }
        let (sig, json) = bytes.split_at(64);
        let signature =
            ed25519_dalek::Signature::from_slice(sig).map_err(|_| DrpRefusal::Undecodable)?;
        Ok(Self {
            signature,
            json: json.to_vec(),
        })
    }

    /// Steps 2 to 6: the signature under `key`, then the claims against the agent, this business and
    /// the time (`skew` forgives a caller's clock that runs a little ahead).
    pub fn believe(
        &self,
        key: &ed25519_dalek::VerifyingKey,
        agent_id: &str,
        business_id: &str,
        now: DateTime<Utc>,
        skew: Duration,
    ) -> Result<Claims, DrpRefusal> {
        key.verify_strict(&self.json, &self.signature)
            .map_err(|_| DrpRefusal::BadSignature)?;
        let claims = Claims::read(&self.json)?;
        if claims.agent_id != agent_id {
            return Err(DrpRefusal::WrongAgent);
        }
        if claims.business_id != business_id {
            return Err(DrpRefusal::WrongBusiness);
        }
        if now + skew < claims.issued_at {
            return Err(DrpRefusal::NotYetValid);
        }
        if now >= claims.expires_at {
            return Err(DrpRefusal::Expired);
        }
        Ok(claims)
    }

    /// What a replay of this very body is recognised by: the signature (one signed payload, one
    /// signature, whatever base64 alphabet carried it).
    pub fn replay_key(&self) -> String {
        hex::encode(self.signature.to_bytes())
    }
}

/// The claims every signed body carries, and the rest of its object.
#[derive(Debug, Clone)]
pub struct Claims {
    pub agent_id: String,
    pub business_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub object: Map<String, Value>,
}

impl Claims {
    fn read(json: &[u8]) -> Result<Self, DrpRefusal> {
        let value: Value =
            serde_json::from_slice(json).map_err(|_| DrpRefusal::BadClaims("not JSON"))?;
        let Value::Object(object) = value else {
            return Err(DrpRefusal::BadClaims("not a JSON object"));
        };
        let text = |k: &'static str| -> Result<String, DrpRefusal> {
            object
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(DrpRefusal::BadClaims(k))
        };
        let time = |k: &'static str| -> Result<DateTime<Utc>, DrpRefusal> {
            parse_time(&text(k)?).ok_or(DrpRefusal::BadClaims(k))
        };
        Ok(Self {
            agent_id: text("agent-id")?,
            business_id: text("business-id")?,
            issued_at: time("issued-at")?,
            expires_at: time("expires-at")?,
            object: object.clone(),
        })
    }

    /// A text claim, if present and text.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.object.get(key).and_then(Value::as_str)
    }

    /// Whether the claim says the agent verified it (`email_verified: true`).
    pub fn verified(&self, key: &str) -> bool {
        self.object
            .get(&format!("{key}_verified"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `drp.version`, one kaiji reads (absent counts as 1.0).
    pub fn version_ok(&self) -> bool {
        self.text("drp.version")
            .is_none_or(|v| VERSIONS.contains(&v))
    }
}

/// ISO 8601 as agents write it: with or without fractions, with `Z` or an offset, or with neither
/// (read as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// An agent's entry in the service directory (its `agent.schema.json`): its id, name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    pub id: String,
    pub name: String,
    /// The 32-byte Ed25519 public key, as the directory gives it (base64; hex in old entries).
    pub verify_key: [u8; 32],
    pub web_url: Option<String>,
    pub technical_contact: Option<String>,
    pub business_contact: Option<String>,
}

impl AgentEntry {
    /// Reads one entry. Ids are not checked against the schema's `[A-Z_]+`: real ids have lower case
    /// and hyphens; they must be 1 to 100 printable ASCII characters without `/`.
    pub fn parse(v: &Value) -> Result<Self, &'static str> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim);
        let id = text("id").ok_or("id_required")?;
        if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_graphic() && c != '/')
        {
            return Err("invalid_agent_id");
        }
        let name = text("name")
            .filter(|n| !n.is_empty())
            .ok_or("name_required")?;
        if name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err("invalid_name");
        }
        let verify_key = decode_key(text("verify_key").ok_or("verify_key_required")?)?;
        let url = |k: &str| -> Result<Option<String>, &'static str> {
            match text(k).filter(|u| !u.is_empty()) {
                None => Ok(None),
                Some(u)
                    if u.len() <= 500
                        && (u.starts_with("https://") || u.starts_with("http://")) =>
                {
                    Ok(Some(u.to_owned()))
                }
                Some(_) => Err("invalid_url"),
            }
        };
        let contact = |k: &str| {
            text(k)
                .filter(|c| !c.is_empty() && c.len() <= 254)
                .map(str::to_owned)
        };
        Ok(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            verify_key,
            web_url: url("web_url")?,
            technical_contact: contact("technical_contact"),
            business_contact: contact("business_contact"),
        })
    }

    pub fn key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.verify_key).ok()
    }
}

/// Where the person may be sent on to after confirming (§3.02.1), as it will be sent: `redirect_to`
/// only if it is on the agent's registered web origin (scheme, host and port of its directory entry's
/// `web_url`), so that the verification page cannot be made to forward anyone elsewhere. Whitespace and
/// control characters (which a URL parser would quietly drop) refuse it outright.
pub fn return_allowed(web_url: Option<&str>, redirect_to: &str) -> Option<String> {
    if redirect_to.len() > 1000
        || redirect_to
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let home = url::Url::parse(web_url?).ok()?;
    let to = url::Url::parse(redirect_to).ok()?;
    (matches!(to.scheme(), "https" | "http")
        && to.username().is_empty()
        && to.password().is_none()
        && to.origin() == home.origin())
    .then(|| to.to_string())
}

/// The address kaiji writes to about an agent's filings: its business contact, else its technical one.
pub fn contact_email<'a>(
    business_contact: &'a Option<String>,
    technical_contact: &'a Option<String>,
) -> Option<&'a str> {
    [business_contact, technical_contact]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .find(|c| super::request::SubjectEmail::parse(c).is_ok())
}

/// A 32-byte key in base64 (any alphabet) or, as before DRP 0.9.1, hex.
pub fn decode_key(s: &str) -> Result<[u8; 32], &'static str> {
    let s = s.trim();
    let bytes = if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(s).ok()
    } else {
        liberal_base64(s)
    };
    let bytes = bytes.ok_or("invalid_verify_key")?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| "invalid_verify_key")?;
    ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| "invalid_verify_key")?;
    Ok(key)
}

/// Base64 as agents write it: the standard alphabet or the URL-safe one, padded or not.
fn liberal_base64(s: &str) -> Option<Vec<u8>> {
    [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ]
    .iter()
    .find_map(|e| e.decode(s).ok())
}

/// Where a status callback to an agent stands: `superseded` when a newer status replaced it unsent.
#[apply(coded)]
pub enum CallbackStatus {
    Queued,
    Sent,
    Failed,
    Superseded,
}

/// Where a request stands, as the protocol says it (§3.02).
#[apply(coded)]
pub enum DrpStatus {
    Open,
    InProgress,
    Fulfilled,
    Revoked,
    Denied,
    Expired,
}

impl DrpStatus {
    pub fn is_final(self) -> bool {
        !matches!(self, DrpStatus::Open | DrpStatus::InProgress)
    }
}

/// What the workflow says of a request, for its DRP status.
pub struct WorkflowPosition<'a> {
    pub terminal: bool,
    /// Still in the procedure's first state (nobody has acted).
    pub at_start: bool,
    /// The state waits on the requester (identity information, documents).
    pub waits_on_requester: bool,
    /// The person's own confirmation is still awaited (their address, an agent's filing).
    pub awaiting_person: bool,
    /// The notices the request was sent, oldest first: the last that tells an outcome says which.
    pub notices: &'a [NoticeKind],
    /// The ground a refusal named, if any.
    pub ground: Option<&'a str>,
}

/// The status and reason a request shows an agent: derived from the workflow every time it is read,
/// so that it never disagrees with the state an officer sees.
pub fn status_of(p: &WorkflowPosition<'_>) -> (DrpStatus, Option<&'static str>) {
    if !p.terminal {
        if p.waits_on_requester || p.awaiting_person {
            return (DrpStatus::InProgress, Some("need_user_verification"));
        }
        return if p.at_start {
            (DrpStatus::Open, None)
        } else {
            (DrpStatus::InProgress, None)
        };
    }
    let outcome = p.notices.iter().rev().find_map(|n| match n {
        NoticeKind::Withdrawn => Some((DrpStatus::Revoked, None)),
        NoticeKind::UnconfirmedExpired | NoticeKind::IdentityNotVerified => {
            Some((DrpStatus::Denied, Some("insuf_verification")))
        }
        NoticeKind::Refused => Some((
            DrpStatus::Denied,
            Some(match p.ground {
                Some("suspected_fraud") => "suspected_fraud",
                _ => "other",
            }),
        )),
        NoticeKind::ChannelNotAccepted | NoticeKind::Referral => {
            Some((DrpStatus::Denied, Some("claim_not_covered")))
        }
        NoticeKind::NoDataHeld => Some((DrpStatus::Denied, Some("no_match"))),
        NoticeKind::AnswerReady | NoticeKind::AnswerDispatched | NoticeKind::ActionCompleted => {
            Some((DrpStatus::Fulfilled, None))
        }
        _ => None,
    });
    // Closed without a notice that says how: answered.
    outcome.unwrap_or((DrpStatus::Fulfilled, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    #[test]
    fn the_person_returns_only_to_the_agents_own_site() {
        let home = Some("https://agent.example/app");
        assert_eq!(
            return_allowed(home, "https://agent.example/done?id=1").as_deref(),
            Some("https://agent.example/done?id=1")
        );
        assert_eq!(
            return_allowed(home, "https://AGENT.example:443/x").as_deref(),
            Some("https://agent.example/x")
        );
        for elsewhere in [
            "https://agent.example.evil.test/",
            "http://agent.example/",
            "https://agent.example:8443/",
            "https://user@agent.example/",
            "javascript:alert(1)",
            "//agent.example/",
            "/relative",
            "",
            "https://agent.example/\r\nSet-Cookie: a=b",
            "https://agent.example/\tx",
            "https://agent.example/ x",
        ] {
            assert_eq!(return_allowed(home, elsewhere), None, "{elsewhere}");
        }
        assert_eq!(return_allowed(None, "https://agent.example/"), None);
    }

    fn key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
    }

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    fn signed(claims: Value) -> Vec<u8> {
        let json = serde_json::to_vec(&claims).unwrap();
        let sig = key().sign(&json);
        let mut all = sig.to_bytes().to_vec();
        all.extend_from_slice(&json);
        base64::engine::general_purpose::STANDARD
            .encode(all)
            .into_bytes()
    }

    fn claims() -> Value {
        serde_json::json!({"agent-id": "aa-1", "business-id": "cb-1", "issued-at": "2026-12-06T10:00:00Z",
                           "expires-at": "2026-12-06T10:15:00Z", "drp.version": "1.0"})
    }

    fn check(body: &[u8], now: &str) -> Result<Claims, DrpRefusal> {
        Signed::decode(body)?.believe(
            &key().verifying_key(),
            "aa-1",
            "cb-1",
            t(now),
            Duration::seconds(60),
        )
    }

    #[test]
    fn a_good_body_is_believed() {
        let c = check(&signed(claims()), "2026-12-06T10:05:00Z").unwrap();
        assert_eq!(c.agent_id, "aa-1");
        assert!(c.version_ok());
    }

    #[test]
    fn the_checks_run_in_the_specifications_order() {
        assert_eq!(
            check(b"%%%", "2026-12-06T10:05:00Z").err(),
            Some(DrpRefusal::Undecodable)
        );
        let mut tampered = signed(claims());
        let n = tampered.len();
        tampered[n - 5] = if tampered[n - 5] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            check(&tampered, "2026-12-06T10:05:00Z").err(),
            Some(DrpRefusal::BadSignature)
        );
        // A bad signature is found before a wrong agent, a wrong agent before a wrong business, and
        // both before time.
        let mut c = claims();
        c["agent-id"] = "aa-2".into();
        c["business-id"] = "cb-2".into();
        assert_eq!(
            check(&signed(c.clone()), "2030-01-01T00:00:00Z").err(),
            Some(DrpRefusal::WrongAgent)
        );
        c["agent-id"] = "aa-1".into();
        assert_eq!(
            check(&signed(c), "2030-01-01T00:00:00Z").err(),
            Some(DrpRefusal::WrongBusiness)
        );
        assert_eq!(
            check(&signed(claims()), "2026-12-06T09:58:00Z").err(),
            Some(DrpRefusal::NotYetValid)
        );
        // Within the skew a fast agent clock is forgiven; expires-at itself is already too late.
        assert!(check(&signed(claims()), "2026-12-06T09:59:30Z").is_ok());
        assert_eq!(
            check(&signed(claims()), "2026-12-06T10:15:00Z").err(),
            Some(DrpRefusal::Expired)
        );
    }

    #[test]
    fn times_are_read_as_agents_write_them() {
        for s in [
            "2026-12-06T10:00:00Z",
            "2026-12-06T10:00:00.123456Z",
            "2026-12-06T19:00:00+09:00",
            "2026-12-06T10:00:00",
            "2026-12-06T10:00:00.5",
        ] {
            assert_eq!(
                parse_time(s).map(|t| t.timestamp()),
                Some(t("2026-12-06T10:00:00Z").timestamp()),
                "{s}"
            );
        }
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn keys_come_in_base64_or_hex() {
        let pk = key().verifying_key().to_bytes();
        let b64 = base64::engine::general_purpose::STANDARD.encode(pk);
        assert_eq!(decode_key(&b64).unwrap(), pk);
        assert_eq!(decode_key(&hex::encode(pk)).unwrap(), pk);
        assert!(decode_key("AAAA").is_err());
        let entry = serde_json::json!({"id": "CR_AA_PS-DRP_PROD_01", "name": "Permission Slip",
                                       "verify_key": b64, "web_url": "https://aa.example"});
        let a = AgentEntry::parse(&entry).unwrap();
        assert_eq!(a.id, "CR_AA_PS-DRP_PROD_01");
        let mut bad = entry.clone();
        bad["id"] = "a/b".into();
        assert_eq!(AgentEntry::parse(&bad), Err("invalid_agent_id"));
    }

    #[test]
    fn the_status_follows_the_workflow() {
        let base = WorkflowPosition {
            terminal: false,
            at_start: true,
            waits_on_requester: false,
            awaiting_person: false,
            notices: &[],
            ground: None,
        };
        assert_eq!(status_of(&base), (DrpStatus::Open, None));
        let waiting = WorkflowPosition {
            awaiting_person: true,
            ..base
        };
        assert_eq!(
            status_of(&waiting),
            (DrpStatus::InProgress, Some("need_user_verification"))
        );
        let closed = |notices: &'static [NoticeKind], ground| WorkflowPosition {
            terminal: true,
            at_start: false,
            waits_on_requester: false,
            awaiting_person: false,
            notices,
            ground,
        };
        use NoticeKind::*;
        assert_eq!(
            status_of(&closed(&[Received, Withdrawn], None)).0,
            DrpStatus::Revoked
        );
        assert_eq!(
            status_of(&closed(&[Received, Refused], Some("suspected_fraud"))),
            (DrpStatus::Denied, Some("suspected_fraud"))
        );
        assert_eq!(
            status_of(&closed(&[Received, IdentityNotVerified], None)),
            (DrpStatus::Denied, Some("insuf_verification"))
        );
        assert_eq!(
            status_of(&closed(
                &[Received, ActionCompleted, DownloadExpiring],
                None
            )),
            (DrpStatus::Fulfilled, None)
        );
        assert!(DrpStatus::Fulfilled.is_final() && !DrpStatus::Open.is_final());
    }
}
