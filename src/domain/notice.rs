//! The notices a workflow can send. They are queued in the outbox with their transition (rendering and
//! delivery come with the notice templates); a definition naming any other notice is refused when it loads.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// The released answer's link expires soon and has not been used.
    DownloadExpiring,
    /// To an officer: a request was assigned to them.
    StaffAssigned,
    /// To the assigned officer (or every officer): a legal deadline is three days away.
    StaffDueSoon,
    /// To the assigned officer (or every officer): a legal deadline has passed.
    StaffOverdue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 23] = [
        NoticeKind::Received,
        NoticeKind::Acknowledgement,
        NoticeKind::IdentityRequested,
        NoticeKind::DocumentsRequested,
        NoticeKind::Invoice,
        NoticeKind::PaymentReceived,
        NoticeKind::PaymentShort,
        NoticeKind::DeadlineExtended,
        NoticeKind::AnswerReady,
        NoticeKind::AnswerDispatched,
        NoticeKind::ActionCompleted,
        NoticeKind::Refused,
        NoticeKind::NoDataHeld,
        NoticeKind::Referral,
        NoticeKind::ChannelNotAccepted,
        NoticeKind::EmailConfirmation,
        NoticeKind::UnconfirmedExpired,
        NoticeKind::PersonConfirmation,
        NoticeKind::IdentityNotVerified,
        NoticeKind::DownloadExpiring,
        NoticeKind::StaffAssigned,
        NoticeKind::StaffDueSoon,
        NoticeKind::StaffOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Received => "received",
            NoticeKind::Acknowledgement => "acknowledgement",
            NoticeKind::IdentityRequested => "identity_requested",
            NoticeKind::DocumentsRequested => "documents_requested",
            NoticeKind::Invoice => "invoice",
            NoticeKind::PaymentReceived => "payment_received",
            NoticeKind::PaymentShort => "payment_short",
            NoticeKind::DeadlineExtended => "deadline_extended",
            NoticeKind::AnswerReady => "answer_ready",
            NoticeKind::AnswerDispatched => "answer_dispatched",
            NoticeKind::ActionCompleted => "action_completed",
            NoticeKind::Refused => "refused",
            NoticeKind::NoDataHeld => "no_data_held",
            NoticeKind::Referral => "referral",
            NoticeKind::ChannelNotAccepted => "channel_not_accepted",
            NoticeKind::EmailConfirmation => "email_confirmation",
            NoticeKind::UnconfirmedExpired => "unconfirmed_expired",
            NoticeKind::PersonConfirmation => "person_confirmation",
            NoticeKind::IdentityNotVerified => "identity_not_verified",
            NoticeKind::DownloadExpiring => "download_expiring",
            NoticeKind::StaffAssigned => "staff_assigned",
            NoticeKind::StaffDueSoon => "staff_due_soon",
            NoticeKind::StaffOverdue => "staff_overdue",
        }
    }

    /// Notices to staff, not to the requester (never a letter, never on the tracking page).
    pub fn to_staff(self) -> bool {
        matches!(
            self,
            NoticeKind::StaffAssigned | NoticeKind::StaffDueSoon | NoticeKind::StaffOverdue
        )
    }
}

impl FromStr for NoticeKind {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or("unknown_notice")
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for n in NoticeKind::ALL {
            assert_eq!(n.as_str().parse::<NoticeKind>(), Ok(n));
        }
    }
}
