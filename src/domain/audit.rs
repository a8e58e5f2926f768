//! The vocabulary of the audit log. Codes are stable: retire a code by leaving it here, never reuse it.

use chrono::{DateTime, Utc};

use super::staff::Role;
use crate::domain::code::{apply, coded};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
pub enum AuditAction {
    /// A data subject's request was recorded.
    #[strum(serialize = "request.received")]
    RequestReceived,
    /// A workflow transition was applied to a request.
    #[strum(serialize = "request.transitioned")]
    RequestTransitioned,
    #[strum(serialize = "staff.login")]
    StaffLogin,
    #[strum(serialize = "staff.login_failed")]
    StaffLoginFailed,
    #[strum(serialize = "staff.logout")]
    StaffLogout,
    #[strum(serialize = "staff.created")]
    StaffCreated,
    /// A one-time link for creating the first administrator was issued (its token is not recorded).
    #[strum(serialize = "staff.setup_link_issued")]
    SetupLinkIssued,
    /// A workflow definition version was published from `seeds/`.
    #[strum(serialize = "workflow.published")]
    WorkflowPublished,
    /// An officer held a request while a complaint, appeal or lawsuit is pending: erasures skip it.
    #[strum(serialize = "request.legal_hold_placed")]
    LegalHoldPlaced,
    /// The hold was lifted: the request is erased on its ordinary schedule again.
    #[strum(serialize = "request.legal_hold_lifted")]
    LegalHoldLifted,
    /// A regime (a law's file in `seeds/regimes/`) version was published: workflows published with it
    /// keep reading it, whatever later versions say.
    #[strum(serialize = "regime.published")]
    RegimePublished,
    #[strum(serialize = "staff.api_token_created")]
    ApiTokenCreated,
    #[strum(serialize = "staff.api_token_revoked")]
    ApiTokenRevoked,
    /// An identity document was recorded from an envelope (with the checklist's new result).
    #[strum(serialize = "request.document_recorded")]
    DocumentRecorded,
    /// An officer rejected a recorded identity document, with why (it no longer counts).
    #[strum(serialize = "request.document_rejected")]
    DocumentRejected,
    /// A scan or document was stored, encrypted.
    #[strum(serialize = "file.stored")]
    FileStored,
    /// A staff member opened a stored file.
    #[strum(serialize = "file.viewed")]
    FileViewed,
    /// A file's contents were erased after the retention period.
    #[strum(serialize = "file.purged")]
    FilePurged,
    #[strum(serialize = "invoice.issued")]
    InvoiceIssued,
    /// A payment was recorded (matched to an invoice or waiting for an officer).
    #[strum(serialize = "payment.recorded")]
    PaymentRecorded,
    /// The requester downloaded a reply released to them.
    #[strum(serialize = "reply.downloaded")]
    ReplyDownloaded,
    /// A data-system task was closed (exported, no data, erased, or kept on a legal ground).
    #[strum(serialize = "task.completed")]
    TaskCompleted,
    /// The recipients a system disclosed to were told of a rectification, erasure or restriction.
    #[strum(serialize = "task.recipients_notified")]
    RecipientsNotified,
    /// The person was told that a restriction will be lifted, and from when (GDPR Art. 18(3)).
    #[strum(serialize = "task.restriction_lifted")]
    RestrictionLifted,
    /// Reviewing the answer, an officer withheld a system's export on a ground, or put it back.
    #[strum(serialize = "task.export_withheld")]
    ExportWithheld,
    /// A second officer approved an answer or refusal at the request's version (four eyes).
    #[strum(serialize = "request.approved")]
    RequestApproved,
    /// An officer checked an agent's proof of authority (signed permission, power of attorney).
    #[strum(serialize = "request.authority_checked")]
    AuthorityChecked,
    /// A printed letter was recorded as posted (day, mail class, tracking number).
    #[strum(serialize = "letter.posted")]
    LetterPosted,
    /// A provision to or receipt from a third party was entered in the register (APPI Arts. 29–30).
    #[strum(serialize = "provision.recorded")]
    ProvisionRecorded,
    /// An officer confirmed a register record as a request's person's, for its answer (Art. 33(5)).
    #[strum(serialize = "request.provision_record_attached")]
    ProvisionAttached,
    /// An officer took a register record off a request.
    #[strum(serialize = "request.provision_record_detached")]
    ProvisionDetached,
    /// Register records past their retention were erased.
    #[strum(serialize = "provision.erased")]
    ProvisionErased,
    /// An inquiry or complaint was received (from the form, or recorded by an officer).
    #[strum(serialize = "inquiry.received")]
    InquiryReceived,
    /// It was acknowledged (by e-mail, letter, in person, or with its answer).
    #[strum(serialize = "inquiry.acknowledged")]
    InquiryAcknowledged,
    /// It was answered.
    #[strum(serialize = "inquiry.answered")]
    InquiryAnswered,
    /// An officer opened it (the person's words).
    #[strum(serialize = "inquiry.viewed")]
    InquiryViewed,
    /// Its personal data was erased after the record retention.
    #[strum(serialize = "inquiry.erased")]
    InquiryErased,
    /// A data system was registered.
    #[strum(serialize = "system.registered")]
    SystemRegistered,
    /// A data system was taken out of (or back into) new requests.
    #[strum(serialize = "system.changed")]
    SystemChanged,
    /// Identity verified, and how (e.g. an assertion from the company's login).
    #[strum(serialize = "identity.verified")]
    IdentityVerified,
    /// The person an agent filed for confirmed the request directly.
    #[strum(serialize = "request.person_confirmed")]
    PersonConfirmed,
    /// An identity check that did not reach the degree required (data points short, no declaration).
    #[strum(serialize = "identity.check_failed")]
    IdentityCheckFailed,
    /// The requester confirmed their email address through the link sent to it.
    #[strum(serialize = "request.email_confirmed")]
    EmailConfirmed,
    /// An officer withdrew a released download link.
    #[strum(serialize = "reply.download_revoked")]
    DownloadRevoked,
    /// An officer recorded what a correction, deletion or stop of use changed.
    #[strum(serialize = "request.change_recorded")]
    ChangeRecorded,
    /// The requester sent evidence of identity or of an agent's authority (kinds and names only).
    #[strum(serialize = "identity.evidence_received")]
    EvidenceReceived,
    /// A notice was delivered (by email).
    #[strum(serialize = "notice.sent")]
    NoticeSent,
    /// A notice could not be delivered after the last attempt.
    #[strum(serialize = "notice.failed")]
    NoticeFailed,
    /// An officer queued a failed notice again.
    #[strum(serialize = "notice.retried")]
    NoticeRetried,
    /// A request was assigned to a staff member (or unassigned).
    #[strum(serialize = "request.assigned")]
    RequestAssigned,
    /// Someone exported the audit log (with the filter used).
    #[strum(serialize = "audit.exported")]
    AuditExported,
    /// Too many failed sign-ins in a row locked an account (before sign-in throttling replaced locks;
    /// kept so older logs read).
    #[strum(serialize = "staff.locked")]
    StaffLocked,
    /// Sign-ins for an email, from an address, or both, must wait after too many failures: one event
    /// per throttle and hour.
    #[strum(serialize = "staff.sign_in_throttled")]
    StaffSignInThrottled,
    /// An admin unlocked an account.
    #[strum(serialize = "staff.unlocked")]
    StaffUnlocked,
    /// A member enrolled an authenticator app for the second step of sign-in.
    #[strum(serialize = "staff.mfa_enrolled")]
    StaffMfaEnrolled,
    /// A session passed the second step (with the app, or a recovery code).
    #[strum(serialize = "staff.second_step_passed")]
    StaffSecondStepPassed,
    /// An admin reset a member's enrolment, with a fresh code of their own.
    #[strum(serialize = "staff.mfa_reset")]
    StaffMfaReset,
    /// An admin changed a member's role.
    #[strum(serialize = "staff.role_changed")]
    StaffRoleChanged,
    /// An admin disabled an account: its sessions ended and its tokens were revoked with it.
    #[strum(serialize = "staff.disabled")]
    StaffDisabled,
    /// An admin enabled a disabled account again.
    #[strum(serialize = "staff.enabled")]
    StaffEnabled,
    /// An admin ended every session of a member.
    #[strum(serialize = "staff.sessions_ended")]
    StaffSessionsEnded,
    /// An admin ended every staff session at once (but their own), or the command line did.
    #[strum(serialize = "staff.all_sessions_ended")]
    StaffAllSessionsEnded,
    /// A member was refused a route their role does not allow (the first of the hour per route).
    #[strum(serialize = "access.denied")]
    AccessDenied,
    /// A bearer token or session cookie opened nothing (the first of the hour per address).
    #[strum(serialize = "access.credential_refused")]
    CredentialRefused,
    /// A form's CSRF token did not match (the first of the hour per address).
    #[strum(serialize = "access.csrf_refused")]
    CsrfRefused,
    /// An intake limit turned a submission away (the first of the hour per address).
    #[strum(serialize = "intake.rate_limited")]
    IntakeRateLimited,
    #[strum(serialize = "staff.password_changed")]
    StaffPasswordChanged,
    /// A staff member ended all their sessions.
    #[strum(serialize = "staff.logout_everywhere")]
    StaffLogoutEverywhere,
    #[strum(serialize = "staff.renamed")]
    StaffRenamed,
    /// An officer added an internal note to a request.
    #[strum(serialize = "request.note_added")]
    NoteAdded,
    /// A closed request's personal data was erased at the end of its retention period.
    #[strum(serialize = "request.records_purged")]
    RecordsPurged,
    /// The service started, with its effective settings (secrets masked): configuration changes show.
    #[strum(serialize = "system.started")]
    ServiceStarted,
    /// A request reached a final state. Its details never hold personal data and are never erased:
    /// retention checks, from the log alone, that a record was closed long enough before it was erased.
    #[strum(serialize = "request.closed")]
    RequestClosed,
    /// A person's choice (an opt-out of sale or sharing, a limit, an opt-in) was recorded: kind, value,
    /// source and regime, never who.
    #[strum(serialize = "preference.recorded")]
    PreferenceRecorded,
    /// A staff member or a data system asked where someone stands (how many choices were found).
    #[strum(serialize = "preference.looked_up")]
    PreferencesLookedUp,
    /// An administrator registered (or replaced) an authorised agent's directory entry for the Data
    /// Rights Protocol.
    #[strum(serialize = "drp.agent_added")]
    DrpAgentAdded,
    #[strum(serialize = "drp.agent_removed")]
    DrpAgentRemoved,
    /// An agent set up its pair-wise bearer token.
    #[strum(serialize = "drp.key_set_up")]
    DrpKeySetUp,
    /// An agent's signed call was not believed (which check failed), or was a replay.
    #[strum(serialize = "drp.call_refused")]
    DrpCallRefused,
    /// An agent filed a request over DRP.
    #[strum(serialize = "drp.exercised")]
    DrpExercised,
    #[strum(serialize = "drp.status_read")]
    DrpStatusRead,
    /// An agent revoked a request it filed.
    #[strum(serialize = "drp.revoked")]
    DrpRevoked,
    /// An operator made this instance's key of one kind the key set's (`kaiji keys adopt`).
    #[strum(serialize = "key.adopted")]
    KeyAdopted,
    /// A new key of one kind now signs; the previous one only verifies (`kaiji keys rotate`).
    #[strum(serialize = "key.rotated")]
    KeyRotated,
    /// Sealed content was encrypted again under the document key that now signs (`kaiji keys reencrypt`).
    #[strum(serialize = "key.reencrypted")]
    KeyReencrypted,
    /// An old key that nothing depends on any more was retired (`kaiji keys retire`).
    #[strum(serialize = "key.retired")]
    KeyRetired,
    /// A consistent copy of the database was made (`kaiji backup`).
    #[strum(serialize = "backup.made")]
    BackupMade,
    /// The database was restored from a backup (`kaiji restore`): the first leaf of the log's new
    /// epoch, naming the backup's last checkpoint.
    #[strum(serialize = "audit.restored")]
    AuditRestored,
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The data subject (or their agent), identified by the request, not by name.
    Requester,
    Staff {
        id: String,
        role: Role,
    },
    /// kaiji itself or an operator at the command line; the label says which.
    System(&'static str),
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Requester => "requester",
            Actor::Staff { .. } => "staff",
            Actor::System(_) => "system",
        }
    }

    /// The id stored with the event: the staff id, or the system label.
    pub fn id(&self) -> Option<String> {
        match self {
            Actor::Requester => None,
            Actor::Staff { id, .. } => Some(id.clone()),
            Actor::System(label) => Some((*label).to_owned()),
        }
    }

    pub const KINDS: [&'static str; 3] = ["requester", "staff", "system"];
}

/// One entry for the append-only audit log. `details` holds ids and reasons, never personal data.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub action: AuditAction,
    pub actor: Actor,
    pub occurred_at: DateTime<Utc>,
    pub request_id: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub details: serde_json::Value,
}

impl NewAuditEvent {
    pub fn new(action: AuditAction, actor: Actor, occurred_at: DateTime<Utc>) -> Self {
        Self {
            action,
            actor,
            occurred_at,
            request_id: None,
            from_state: None,
            to_state: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn for_request(mut self, request_id: &str) -> Self {
        self.request_id = Some(request_id.to_owned());
        self
    }

    pub fn states(mut self, from: Option<&str>, to: Option<&str>) -> Self {
        self.from_state = from.map(str::to_owned);
        self.to_state = to.map(str::to_owned);
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::Code;

    #[test]
    fn action_codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()));
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(a));
        }
    }

    #[test]
    fn actor_kind_and_id() {
        let staff = Actor::Staff {
            id: "u1".into(),
            role: Role::Officer,
        };
        assert_eq!((staff.kind(), staff.id()), ("staff", Some("u1".into())));
        assert_eq!(Actor::Requester.id(), None);
        assert_eq!(Actor::System("cli").id(), Some("cli".into()));
        for a in [Actor::Requester, staff, Actor::System("x")] {
            assert!(Actor::KINDS.contains(&a.kind()));
        }
    }
}

/// An event as the chain hashed it: its fields, in the leaf's order, then the previous hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent<'a> {
    pub event: LeafEvent<'a>,
    pub prev_hash: &'a str,
}

/// The digest of an event's details that the chain covers.
pub fn details_digest(details: &str) -> String {
    hex_string(details_digest_hex(details))
}

/// The same digest as 64 hex bytes, without allocating (the verifier computes millions).
pub fn details_digest_hex(details: &str) -> [u8; 64] {
    use sha2::{Digest, Sha256};
    to_hex(&Sha256::digest(details.as_bytes()))
}

fn to_hex(digest: &[u8]) -> [u8; 64] {
    let mut out = [0_u8; 64];
    // A SHA-256 digest is 32 bytes: exactly 64 hex digits.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

fn hex_string(hex: [u8; 64]) -> String {
    hex.iter().map(|&b| char::from(b)).collect()
}

/// The hash before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl ChainedEvent<'_> {
    /// SHA-256 (hex) of the canonical form: the fields above as a JSON array, in this order.
    pub fn hash(&self) -> String {
        hex_string(self.hash_hex(&mut Vec::with_capacity(512)))
    }

    /// The hash as 64 hex bytes; `buf` receives the canonical form (which is also the event's leaf
    /// data in the tree) and is reused across events by the verifier, so nothing is allocated per event.
    pub fn hash_hex(&self, buf: &mut Vec<u8>) -> [u8; 64] {
        use sha2::{Digest, Sha256};
        self.write_canonical(buf);
        to_hex(&Sha256::digest(buf.as_slice()))
    }

    /// The canonical form into `buf` (cleared first): the fields as a JSON array, the previous hash
    /// last.
    pub fn write_canonical(&self, buf: &mut Vec<u8>) {
        Canonical {
            tag: None,
            event: &self.event,
            prev_hash: Some(self.prev_hash),
        }
        .write(buf);
    }
}

/// An event's fields as one JSON array, in the order both eras hash them: after the tree's format tag,
/// or before the chain's previous hash. Written once so that the eras cannot disagree on the order.
struct Canonical<'e, 'a> {
    tag: Option<&'static str>,
    event: &'e LeafEvent<'a>,
    prev_hash: Option<&'a str>,
}

impl Canonical<'_, '_> {
    /// Into `buf` (cleared first). Strings and integers into memory: cannot fail.
    fn write(&self, buf: &mut Vec<u8>) {
        buf.clear();
        let _ = serde_json::to_writer(&mut *buf, self);
    }
}

impl serde::Serialize for Canonical<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let e = self.event;
        let len = 10 + usize::from(self.tag.is_some()) + usize::from(self.prev_hash.is_some());
        let mut t = s.serialize_tuple(len)?;
        if let Some(tag) = self.tag {
            t.serialize_element(tag)?;
        }
        t.serialize_element(&e.seq)?;
        t.serialize_element(e.id)?;
        t.serialize_element(&e.occurred_at)?;
        t.serialize_element(e.action)?;
        t.serialize_element(e.actor_kind)?;
        t.serialize_element(&e.actor_id)?;
        t.serialize_element(&e.request_id)?;
        t.serialize_element(&e.from_state)?;
        t.serialize_element(&e.to_state)?;
        t.serialize_element(e.details_sha256)?;
        if let Some(prev_hash) = self.prev_hash {
            t.serialize_element(prev_hash)?;
        }
        t.end()
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let leaf = LeafEvent {
            seq: 1,
            id: "a",
            occurred_at: "2026-11-22T01:00:00.000000".into(),
            action: "request.received",
            actor_kind: "requester",
            actor_id: None,
            request_id: Some("r"),
            from_state: None,
            to_state: Some("received"),
            details_sha256: "d1",
        };
        let e = leaf.clone().in_chain(GENESIS_HASH);
        let h = e.hash();
        assert_eq!(h.len(), 64);
        assert_eq!(h, e.clone().hash(), "deterministic");
        // The canonical form is the JSON array of the fields (how chains written so far were hashed).
        let as_array = |e: &ChainedEvent| {
            use sha2::{Digest, Sha256};
            let (l, prev_hash) = (&e.event, e.prev_hash);
            let array = serde_json::json!([
                l.seq,
                l.id,
                l.occurred_at,
                l.action,
                l.actor_kind,
                l.actor_id,
                l.request_id,
                l.from_state,
                l.to_state,
                l.details_sha256,
                prev_hash,
            ]);
            hex::encode(Sha256::digest(array.to_string().as_bytes()))
        };
        assert_eq!(h, as_array(&e));
        {
            use sha2::{Digest, Sha256};
            assert_eq!(
                details_digest("{\"a\":\"é\"}"),
                hex::encode(Sha256::digest("{\"a\":\"é\"}".as_bytes()))
            );
        }
        let quoted = LeafEvent {
            id: "quote\" and \\ and \u{1} and 日本",
            ..leaf.clone()
        }
        .in_chain(GENESIS_HASH);
        assert_eq!(quoted.hash(), as_array(&quoted));
        let changed = [
            LeafEvent {
                seq: 2,
                ..leaf.clone()
            },
            LeafEvent {
                details_sha256: "d2",
                ..leaf.clone()
            },
            LeafEvent {
                actor_id: Some("s"),
                ..leaf.clone()
            },
            LeafEvent {
                occurred_at: "2026-11-22T01:00:00.000001".into(),
                ..leaf.clone()
            },
        ]
        .map(|l| l.in_chain(GENESIS_HASH))
        .into_iter()
        .chain([leaf.clone().in_chain("ff")]);
        for c in changed {
            assert_ne!(c.hash(), h);
        }
    }
}

/// What an erased event's details become, in both eras.
pub const REDACTED_DETAILS: &str = "{\"redacted\":true}";

/// The shortest time a closed request's record is kept before its personal data may be erased: CCPA
/// §7101 keeps records of requests for two years. Settings may only lengthen it.
pub const MIN_RECORD_RETENTION_MONTHS: u32 = 24;

/// The two parts of the log: the hash chain written before the Merkle tree (its events are the tree's
/// first leaves, in chain order), and the events sequenced into the tree since.
#[apply(coded)]
pub enum Era {
    Chain,
    Tree,
}

impl Era {
    /// The era of sequence number `seq` in a log whose chain held `chain_size` events.
    pub fn of(seq: i64, chain_size: i64) -> Self {
        if seq <= chain_size {
            Era::Chain
        } else {
            Era::Tree
        }
    }
}

/// A salt as stored (64 hex digits) back to its 32 bytes.
pub fn parse_salt(hex_salt: &str) -> Option<[u8; 32]> {
    let mut out = [0_u8; 32];
    hex::decode_to_slice(hex_salt, &mut out).ok()?;
    Some(out)
}

/// The commitment a tree-era event makes to its details: SHA-256 over its random salt and the details,
/// hex. Once the details and the salt are erased, the digest confirms no guess of what they were.
pub fn salted_details_digest(salt: &[u8; 32], details: &str) -> String {
    hex_string(salted_details_digest_hex(salt, details))
}

/// The same as 64 hex bytes, without allocating (the verifier computes millions).
pub fn salted_details_digest_hex(salt: &[u8; 32], details: &str) -> [u8; 64] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(salt);
    h.update(details.as_bytes());
    to_hex(&h.finalize())
}

/// The tag that starts every tree-era leaf, so that no leaf can be read as one of the other era.
pub const LEAF_FORMAT: &str = "kaiji-audit/2";

/// A tree-era event as its leaf in the Merkle tree holds it: every field but the details themselves,
/// which it covers through their salted digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafEvent<'a> {
    pub seq: i64,
    pub id: &'a str,
    /// UTC, microseconds: `2026-11-22T01:00:00.000000`.
    pub occurred_at: String,
    pub action: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub details_sha256: &'a str,
}

impl<'a> LeafEvent<'a> {
    /// The leaf data: the JSON array `["kaiji-audit/2", seq, id, occurred_at, action, actor_kind,
    /// actor_id, request_id, from_state, to_state, details_sha256]`, into `buf` (cleared first).
    pub fn write_leaf_data(&self, buf: &mut Vec<u8>) {
        Canonical {
            tag: Some(LEAF_FORMAT),
            event: self,
            prev_hash: None,
        }
        .write(buf);
    }

    pub fn leaf_data(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(320);
        self.write_leaf_data(&mut buf);
        buf
    }

    /// The same fields as the hash chain hashed them, linked to the hash before.
    pub fn in_chain(self, prev_hash: &'a str) -> ChainedEvent<'a> {
        ChainedEvent {
            event: self,
            prev_hash,
        }
    }
}

/// What a redaction record (a `request.records_purged` event) says: which of its request's events it
/// erased, and under which retention period. Records from the chain era list no events: they erased
/// every chain-era event of their request before them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RedactionRecord {
    pub retention_months: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted_events: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A `request.closed` event's details: the final state, and for closures carried over from before the
/// tree (recorded at the upgrade), when the request closed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Closure {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<chrono::NaiveDateTime>,
}

/// Why an erasure does not check out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactionProblem {
    /// No redaction record in the log names the event.
    Unrecorded,
    /// The record's request was not closed, by the log's own events, at least the retention period
    /// (and never less than the legal minimum) before the record.
    Premature,
}

/// Whether a record made at `record_at` under `months` of retention may erase a request closed at
/// `closed_at`. Months are calendar months, clamped to the month's end (the retention job counts the
/// same way backwards from its own time, so whatever it erased passes here).
pub fn erasure_is_timely(
    closed_at: chrono::NaiveDateTime,
    record_at: chrono::NaiveDateTime,
    months: u32,
) -> bool {
    months >= MIN_RECORD_RETENTION_MONTHS
        && closed_at
            .checked_add_months(chrono::Months::new(months))
            .is_some_and(|due| due <= record_at)
}

#[cfg(test)]
mod tree_era_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_leaf_data_is_a_tagged_json_array_and_every_field_changes_it() {
        let e = LeafEvent {
            seq: 7,
            id: "a\"b",
            occurred_at: "2026-12-03T01:00:00.000000".into(),
            action: "request.received",
            actor_kind: "requester",
            actor_id: None,
            request_id: Some("r"),
            from_state: None,
            to_state: Some("received"),
            details_sha256: "d",
        };
        assert_eq!(
            String::from_utf8(e.leaf_data()).unwrap(),
            r#"["kaiji-audit/2",7,"a\"b","2026-12-03T01:00:00.000000","request.received","requester",null,"r",null,"received","d"]"#
        );
        for changed in [
            LeafEvent {
                seq: 8,
                ..e.clone()
            },
            LeafEvent {
                actor_id: Some("x"),
                ..e.clone()
            },
            LeafEvent {
                details_sha256: "e",
                ..e.clone()
            },
            LeafEvent {
                to_state: None,
                ..e.clone()
            },
        ] {
            assert_ne!(changed.leaf_data(), e.leaf_data());
        }
    }

    #[test]
    fn the_salted_digest_is_sha256_of_salt_then_details() {
        use sha2::{Digest, Sha256};
        let salt = [3_u8; 32];
        let mut data = salt.to_vec();
        data.extend_from_slice("{\"a\":1}".as_bytes());
        assert_eq!(
            salted_details_digest(&salt, "{\"a\":1}"),
            hex::encode(Sha256::digest(&data))
        );
        assert_ne!(
            salted_details_digest(&[4; 32], "{\"a\":1}"),
            salted_details_digest(&salt, "{\"a\":1}")
        );
        assert_eq!(parse_salt(&hex::encode(salt)), Some(salt));
        assert_eq!(parse_salt("zz"), None);
    }

    #[test]
    fn erasure_waits_for_the_retention_period_and_the_legal_minimum() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert!(erasure_is_timely(
            at("2024-02-29 10:00"),
            at("2026-02-28 10:00"),
            24
        ));
        assert!(!erasure_is_timely(
            at("2024-03-01 10:00"),
            at("2026-02-28 10:00"),
            24
        ));
        assert!(!erasure_is_timely(
            at("2020-01-01 10:00"),
            at("2026-02-28 10:00"),
            12
        ));
        assert!(erasure_is_timely(
            at("2020-01-01 10:00"),
            at("2026-02-28 10:00"),
            36
        ));
    }

    proptest! {
        /// What the retention job selects (closed before its time minus the period) always passes the
        /// verifier's check of the same record.
        #[test]
        fn what_retention_erases_verify_accepts(closed in 0_i64..4_000_000_000, later in 0_i64..4_000_000_000, months in 24_u32..240) {
            let closed = chrono::DateTime::from_timestamp(closed, 0).unwrap().naive_utc();
            let now = closed + chrono::TimeDelta::seconds(later);
            if let Some(cutoff) = now.checked_sub_months(chrono::Months::new(months))
                && closed < cutoff
            {
                prop_assert!(erasure_is_timely(closed, now, months));
            }
        }
    }
}
