//! Who files for someone else: an authorised agent (whose person confirms, and may have to verify
//! directly) or a parent or guardian (who says on what basis they act, checked against the law's age).

use crate::domain::code::{apply, coded};

/// Who files for whom.
#[apply(coded)]
pub enum OnBehalfKind {
    /// An authorised agent (CCPA §7063, GDPR representatives, APPI 任意代理人).
    Agent,
    /// A parent or guardian of a minor or an adult ward.
    Guardian,
}

/// On what basis a guardian files (recorded with the request; the officer checks the proof of authority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum GuardianBasis {
    /// A parent or guardian of a minor: born on `born_on`, under the law's `minor_under` on the day of
    /// filing.
    Minor {
        born_on: chrono::NaiveDate,
        minor_under: u32,
    },
    /// A guardian, conservator or 成年後見人 of an adult, appointed by a court.
    Guardianship,
}

impl GuardianBasis {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a guardian's basis as typed, against the law's age on the day of filing: a minor's birth
    /// date must be a real past day and the person under `minor_under` on `filed_on`.
    pub fn parse(
        basis: &str,
        born_on: &str,
        minor_under: Option<u32>,
        filed_on: chrono::NaiveDate,
    ) -> Result<Self, (&'static str, &'static str)> {
        match basis.trim() {
            "" => Err(("guardian_basis", "required")),
            "guardianship" => Ok(GuardianBasis::Guardianship),
            "minor" => {
                let born = born_on.trim();
                if born.is_empty() {
                    return Err(("person_born_on", "required"));
                }
                let born_on = chrono::NaiveDate::parse_from_str(born, "%Y-%m-%d")
                    .ok()
                    .filter(|_| born.len() == 10)
                    .ok_or(("person_born_on", "invalid_date"))?;
                if born_on > filed_on {
                    return Err(("person_born_on", "in_future"));
                }
                let minor_under = minor_under.ok_or(("guardian_basis", "not_offered_here"))?;
                match filed_on.years_since(born_on) {
                    Some(age) if age < minor_under => Ok(GuardianBasis::Minor {
                        born_on,
                        minor_under,
                    }),
                    _ => Err(("person_born_on", "not_a_minor")),
                }
            }
            _ => Err(("guardian_basis", "unknown_guardian_basis")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_minor_is_under_the_laws_age_on_the_day_of_filing() {
        let parse = |born: &str, on| GuardianBasis::parse("minor", born, Some(18), on);
        // The eighteenth birthday is the first day of majority.
        assert!(parse("2008-12-01", day(2026, 11, 30)).is_ok());
        assert_eq!(
            parse("2008-12-01", day(2026, 12, 1)),
            Err(("person_born_on", "not_a_minor"))
        );
        // Born on 29 February: a year older on 1 March in common years.
        assert!(parse("2008-02-29", day(2026, 2, 28)).is_ok());
        assert!(parse("2008-02-29", day(2026, 3, 1)).is_err());
        assert_eq!(
            GuardianBasis::parse("minor", "2010-01-01", None, day(2026, 1, 1)),
            Err(("guardian_basis", "not_offered_here"))
        );
        assert_eq!(
            GuardianBasis::parse(" guardianship ", "", None, day(2026, 1, 1)),
            Ok(GuardianBasis::Guardianship)
        );
    }

    proptest! {
        /// Whatever the dates, a minor is exactly someone whose age in whole years on the filing day is
        /// under the law's age, and what is recorded is what was typed.
        #[test]
        fn the_age_basis_follows_whole_years(
            born in 0i64..40_000,
            later in 0i64..40_000,
            under in 1u32..=25,
        ) {
            let born = day(1950, 1, 1) + chrono::Duration::days(born);
            let on = born + chrono::Duration::days(later);
            let parsed = GuardianBasis::parse("minor", &born.to_string(), Some(under), on);
            let age = on.years_since(born).unwrap();
            if age < under {
                prop_assert_eq!(parsed, Ok(GuardianBasis::Minor { born_on: born, minor_under: under }));
            } else {
                prop_assert_eq!(parsed, Err(("person_born_on", "not_a_minor")));
            }
        }
    }
}
