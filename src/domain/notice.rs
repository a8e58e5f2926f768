//! The notices a workflow can send. They are queued in the outbox with their transition (rendering and
//! delivery come with the notice templates); a definition naming any other notice is refused when it loads.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::definition::Label;
use super::documents::ItemStatus;
use super::stored::{Unreadable, read_json};
use crate::domain::code::{apply, coded};

/// Where a notice in the outbox stands. A letter is `sent` once its posting is recorded.
#[apply(coded)]
pub enum NoticeStatus {
    /// Waiting for delivery (an e-mail for the worker, a letter for the desk to print and post).
    Queued,
    Sent,
    /// Delivery gave up after its last attempt; an officer may send it again.
    Failed,
}

/// How a notice reaches its reader: by e-mail, or as a letter the desk prints and posts.
#[apply(coded)]
pub enum NoticeChannel {
    Email,
    Letter,
}

#[apply(coded)]
pub enum NoticeKind {
    /// The request was received (sent at intake).
    Received,
    /// CCPA: receipt confirmed, the verification process and the expected reply date described.
    Acknowledgement,
    /// More information is needed to confirm identity.
    IdentityRequested,
    /// Identity documents are missing or stale; the letter lists which.
    DocumentsRequested,
    /// The fee invoice (請求書).
    Invoice,
    PaymentReceived,
    PaymentShort,
    DeadlineExtended,
    /// The answer can be downloaded.
    AnswerReady,
    /// The answer went out by registered mail.
    AnswerDispatched,
    /// The requested change (correction, deletion, stop of use, restriction…) was made.
    ActionCompleted,
    /// Refused, with the reasons and how to complain.
    Refused,
    NoDataHeld,
    /// Data held by another party (e.g. the share registrar); the requester is told where to go.
    Referral,
    /// The request came through a channel the procedure does not accept.
    ChannelNotAccepted,
    /// Please confirm your email address (a signed, single-use, expiring link).
    EmailConfirmation,
    /// The email address was not confirmed in time; the request was closed.
    UnconfirmedExpired,
    /// To the person an agent filed for: please confirm the request directly.
    PersonConfirmation,
    /// Identity could not be verified: why, and how to try again. Nothing was disclosed or deleted.
    IdentityNotVerified,
    /// The requester withdrew the request; it is closed and nothing more is done.
    Withdrawn,
    /// The requester's appeal of a refusal was received; the decision and its deadline follow.
    AppealReceived,
    /// The requester's tracking link, sent again because someone asked for the links filed with this
    /// address (the page asking never says whether there were any).
    TrackingLink,
    /// The released answer's link expires soon and has not been used.
    DownloadExpiring,
    /// The disclosure cannot be made by the method the requester asked (electronically): it will be
    /// made in writing, and why (APPI Art. 33(3)).
    DeliveryMethodChanged,
    /// To an officer: a request was assigned to them.
    StaffAssigned,
    /// To the assigned officer (or every officer): a legal deadline is three days away.
    StaffDueSoon,
    /// To the assigned officer (or every officer): a legal deadline has passed.
    StaffOverdue,
    /// To the assigned officer (or every officer): the requester acted from their tracking page
    /// (withdrew, appealed).
    StaffRequesterActed,
    /// To a data system's owner (a staff member): a task opened in their system.
    StaffTaskOpened,
    /// To a data system's owner: their task is still open and the request's legal deadline is near or
    /// has passed (sent with the officers' own reminders).
    StaffTaskDue,
    /// To someone a data system disclosed the person's data to: it was rectified, erased or restricted,
    /// so they must do the same (GDPR Art. 19, CCPA §1798.105(c)(1), §7023(c), PIPEDA 4.9.5).
    RecipientNotified,
    /// To the requester: a restriction of their data will be lifted, from when and why (GDPR Art. 18(3):
    /// before it is lifted).
    RestrictionLifting,
}

impl NoticeKind {
    /// An answer to the request (the data, the action taken, or that none is held): it says where the
    /// requester may turn if they are not satisfied.
    pub fn answers(self) -> bool {
        matches!(
            self,
            NoticeKind::AnswerReady
                | NoticeKind::AnswerDispatched
                | NoticeKind::ActionCompleted
                | NoticeKind::NoDataHeld
        )
    }

    /// An answer or a refusal: what decides the request (and what four eyes must approve).
    pub fn decides(self) -> bool {
        self.answers() || matches!(self, NoticeKind::Refused | NoticeKind::IdentityNotVerified)
    }

    /// Notices to those a system disclosed to, not to the requester (never a letter, never on the
    /// tracking page).
    pub fn to_recipient(self) -> bool {
        self == NoticeKind::RecipientNotified
    }

    /// Notices to staff, not to the requester (never a letter, never on the tracking page).
    pub fn to_staff(self) -> bool {
        matches!(
            self,
            NoticeKind::StaffAssigned
                | NoticeKind::StaffDueSoon
                | NoticeKind::StaffOverdue
                | NoticeKind::StaffRequesterActed
                | NoticeKind::StaffTaskOpened
                | NoticeKind::StaffTaskDue
        )
    }
}

/// What a notice says beyond its kind: written once by the change that queued it (a transition, a
/// payment, a reminder) and read by both renderings, the email and the printed letter. The field names
/// are those of the stored JSON, so notices queued by earlier versions still render; fields a reader
/// does not know are ignored, missing ones are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticePayload {
    /// The workflow event that queued the notice, if a transition did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The officer's reason (refusals, extensions, requests for documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<InvoiceNotice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_yen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortfall_yen: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<DispatchNotice>,
    /// The day on the delivery certificate (配達証明).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<DownloadNotice>,
    /// The identity documents still needed, and what is wrong with each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<ItemStatus>,
    /// The changes made to the requester's data (corrections, erasures, stops).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeNotice>,
    /// What each data system did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<SystemOutcome>,
    /// The deadlines this transition extended, with their new dates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<ExtensionNotice>,
    /// What the answer leaves out, and why (its presence alone makes the notice a partial refusal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_refusal: Option<String>,
    /// How to appeal a decision, where the procedure lets the requester (VCDPA §59.1-578(B)): the
    /// tracking page's button, by its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appeal: Option<Label>,
    /// For staff reminders: the legal deadline concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineNotice>,
    /// Whom the notice is for, when not the requester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Addressee>,
    /// A refusal's legal ground, as the regime words it (`seeds/regimes` `[[grounds]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground: Option<GroundNotice>,
    /// The day the answer is due, as the deadlines stand when the notice is queued (CCPA §7021(a): the
    /// acknowledgement gives when the business expects to respond).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_due: Option<NaiveDate>,
    /// How the requester's identity will be verified for this right (CCPA §7021(a), §7062).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationNotice>,
    /// For a notice to a recipient: who they are, whose data and what was done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientNotice>,
    /// For a system owner: the task opened in their system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskNotice>,
    /// For a restriction about to be lifted: in which system, from when and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifting: Option<LiftingNotice>,
    /// The records of provision to and receipt from third parties the answer discloses (APPI Art.
    /// 33(5)), copied from the register so the answer reads the same after a record is erased.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provision_records: Vec<ProvisionNotice>,
}

/// One record of the register as an answer discloses it: the items Arts. 29 and 30 have recorded.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionNotice {
    /// `provided` (to a third party) or `received` (from one).
    pub direction: String,
    pub provided_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_provided_on: Option<NaiveDate>,
    /// The recipient, or the provider.
    pub counterparty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty_representative: Option<String>,
    /// How the provider came by the data (received records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired_how: Option<String>,
    /// The person as the record names them.
    pub person: String,
    pub items: String,
    /// On what the data went: the regime's words.
    pub basis: Label,
}

// The person's data: Debug shows none of it.
impl std::fmt::Debug for ProvisionNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvisionNotice")
            .field("direction", &self.direction)
            .field("provided_on", &self.provided_on)
            .finish_non_exhaustive()
    }
}

/// A notice to someone a data system disclosed the person's data to. It names the person so the
/// recipient can find them, and the new values of corrected items (never the old ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientNotice {
    pub name: String,
    pub email: String,
    /// `processor`, `service_provider`, `contractor` (instructed) or `third_party` (asked).
    pub role: String,
    /// The system that disclosed to them.
    pub system: String,
    /// `erased`, `rectified`, `restricted`, `stopped`, or `lifted` (a restriction ends).
    pub outcome: String,
    /// The person, as the request names them.
    pub subject_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_email: Option<String>,
    /// A restriction: the processing still allowed (empty: storage only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// A restriction lifted: from which day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted_on: Option<NaiveDate>,
    /// Processing stopped (an opt-out of sale or sharing): for which purposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_for: Option<String>,
}

/// A task opened in a system, for its owner (the request itself stays out of the notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskNotice {
    pub id: String,
    pub system: String,
    /// The task's kind (`export`, `erase`, `rectify`, `restrict`, `stop_processing`, `locate`).
    pub kind: String,
}

/// A restriction to be lifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiftingNotice {
    pub system: String,
    pub lifted_on: NaiveDate,
    pub reason: String,
}

/// The identity check a right needs, as the procedure (at least as strict as the law) sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationNotice {
    /// Pieces of information the requester gives that must match the business's records.
    pub points: u32,
    /// Whether the requester also signs a declaration under penalty of perjury.
    pub declaration: bool,
}

/// The ground a refusal rests on, copied into the notice so it reads the same after the regime changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundNotice {
    pub code: String,
    pub label: Label,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<Label>,
}

impl NoticePayload {
    /// The address a notice to a recipient goes to, in place of the requester's.
    pub fn recipient_address(&self) -> Option<(&str, &str)> {
        self.recipient
            .as_ref()
            .map(|r| (r.email.as_str(), r.name.as_str()))
    }

    /// Reads a stored payload. One that cannot be read is an error, never a notice without its
    /// particulars (an invoice letter without the amount would be worse than none). The error says where
    /// the payload broke, not what it holds (payloads carry personal data).
    pub fn from_stored(raw: &str) -> Result<Self, Unreadable> {
        read_json("notice particulars", raw.as_bytes())
    }

    /// The JSON stored with the notice.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("a notice payload is plain data")
    }

    /// The notice goes to the person an agent filed for, not to the requester.
    pub fn to_person(&self) -> bool {
        self.to == Some(Addressee::Person)
    }
}

/// Someone other than the requester a notice is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Addressee {
    /// The person an agent filed for.
    Person,
}

/// The fee invoice (請求書), as the notice quotes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceNotice {
    pub number: String,
    pub amount_yen: i64,
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_yen: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<String>,
    /// A qualified invoice: the issuer's registration number, the tax rate and the tax within the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate_percent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_yen: Option<i64>,
}

/// The reply's registered-mail dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchNotice {
    /// As printed on the receipt (with its hyphens).
    pub tracking_number: String,
    pub dispatched_on: NaiveDate,
}

/// A released answer's download link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadNotice {
    pub id: String,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<i64>,
}

/// One change made to the requester's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeNotice {
    /// `corrected`, `deleted` or `stopped`.
    pub action: String,
    pub item: String,
    #[serde(default)]
    pub prior_value: Option<String>,
    #[serde(default)]
    pub new_value: Option<String>,
}

/// What one data system did with the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemOutcome {
    pub system: String,
    #[serde(default)]
    pub kind: String,
    /// The task's outcome (`erased`, `retained`, `exported`, `rectified`, `restricted`, `stopped`,
    /// `declined`, `no_data`), or a task still open.
    pub outcome: String,
    #[serde(default)]
    pub legal_ground: Option<String>,
    #[serde(default)]
    pub deletion_method: Option<String>,
    /// What a restriction still allows, or what a stop covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purposes: Option<String>,
    /// Those told of the change (GDPR Art. 19: the person may ask who they are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients_told: Vec<ToldRecipient>,
}

/// Someone a system told of what it did for the person, as the answer names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToldRecipient {
    pub name: String,
    /// `processor`, `service_provider`, `contractor` or `third_party`.
    pub role: String,
}

/// One extended deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionNotice {
    pub clock: String,
    #[serde(default)]
    pub label: Option<Label>,
    /// `None` when the new date cannot be counted.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
}

/// The deadline a staff reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineNotice {
    pub clock: String,
    pub due_on: NaiveDate,
    /// The clock's name in the desk's language.
    #[serde(default)]
    pub label: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::Code;

    #[test]
    fn an_unreadable_payload_is_an_error_that_quotes_nothing() {
        let secret =
            r#"{"invoice": {"number": "INV-1", "amount_yen": "山田花子", "due_on": "2026-12-08"}}"#;
        let e = NoticePayload::from_stored(secret).unwrap_err();
        assert!(!e.to_string().contains("山田"), "{e}");
        assert_eq!((e.what, e.line), ("notice particulars", 1));
        assert_eq!(
            NoticePayload::from_stored("{}"),
            Ok(NoticePayload::default())
        );
        // Fields a newer version added are ignored by this one.
        assert!(NoticePayload::from_stored(r#"{"later": 1}"#).is_ok());
    }

    #[test]
    fn codes_round_trip() {
        for &n in NoticeKind::ALL {
            assert_eq!(n.as_str().parse::<NoticeKind>(), Ok(n));
        }
    }
}
