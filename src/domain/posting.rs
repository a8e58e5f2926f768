//! A printed letter recorded as posted: the day, the mail class and, for registered mail, the tracking
//! number on Japan Post's receipt. Only post: a letter handed over by fax or e-mail is not "posted".

use chrono::NaiveDate;

use super::FieldErrors;
use super::postal::{MailClass, TrackingNumber, parse_date, tracking_for};

/// A posting as the officer types it in.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawPosting {
    pub posted_on: String,
    pub mail_class: String,
    pub tracking_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterPosting {
    pub posted_on: NaiveDate,
    pub mail_class: MailClass,
    pub tracking_number: Option<TrackingNumber>,
}

impl LetterPosting {
    /// `printed_on` is the day the letter's notice was queued: it cannot have been posted before.
    pub fn parse(
        raw: &RawPosting,
        printed_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let posted_on = errors.check(
            "posted_on",
            parse_date(&raw.posted_on).and_then(|d| {
                if d > today {
                    Err("date_in_future")
                } else if d < printed_on {
                    Err("before_the_letter")
                } else {
                    Ok(d)
                }
            }),
        );
        let mail_class = errors.check(
            "mail_class",
            match raw.mail_class.trim() {
                "" => Err("required"),
                m => match m.parse::<MailClass>() {
                    Ok(c) if c.is_registered() || c == MailClass::Ordinary => Ok(c),
                    _ => Err("unknown_mail_class"),
                },
            },
        );
        let tracking_number = tracking_for(mail_class, &raw.tracking_number, &mut errors);
        match (posted_on, mail_class, tracking_number) {
            (Some(posted_on), Some(mail_class), Some(tracking_number)) if errors.is_empty() => {
                Ok(LetterPosting {
                    posted_on,
                    mail_class,
                    tracking_number,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn raw(on: &str, class: &str, tracking: &str) -> RawPosting {
        RawPosting {
            posted_on: on.into(),
            mail_class: class.into(),
            tracking_number: tracking.into(),
        }
    }

    #[test]
    fn registered_mail_needs_its_tracking_number() {
        let p = LetterPosting::parse(
            &raw(
                "2026-12-04",
                "registered_with_delivery_certificate",
                "131-12-38385-2",
            ),
            d("2026-12-03"),
            d("2026-12-06"),
        )
        .unwrap();
        assert_eq!(p.tracking_number.unwrap().as_str(), "13112383852");
        let e = LetterPosting::parse(
            &raw("2026-12-04", "simple_registered", ""),
            d("2026-12-03"),
            d("2026-12-06"),
        )
        .unwrap_err();
        assert_eq!(e.code_for("tracking_number"), Some("required"));
        let p = LetterPosting::parse(
            &raw("2026-12-04", "ordinary", ""),
            d("2026-12-03"),
            d("2026-12-06"),
        )
        .unwrap();
        assert_eq!(p.tracking_number, None);
    }

    #[test]
    fn a_posting_is_dated_between_the_letter_and_today() {
        let e = LetterPosting::parse(
            &raw("2026-12-07", "ordinary", ""),
            d("2026-12-03"),
            d("2026-12-06"),
        )
        .unwrap_err();
        assert_eq!(e.code_for("posted_on"), Some("date_in_future"));
        let e = LetterPosting::parse(
            &raw("2026-12-02", "fax", ""),
            d("2026-12-03"),
            d("2026-12-06"),
        )
        .unwrap_err();
        assert_eq!(e.code_for("posted_on"), Some("before_the_letter"));
        assert_eq!(e.code_for("mail_class"), Some("unknown_mail_class"));
    }
}
