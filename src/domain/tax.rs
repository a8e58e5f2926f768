//! Consumption tax on fees, for Japan's qualified invoices (適格請求書, since 2023-10-01): the rate in
//! force on the invoice's day (a place's data, `consumption_tax` in `seeds/places`), the tax computed
//! once per invoice and rounded down (消費税法施行令 Art. 70-10 allows one rounding per rate per
//! invoice), and the issuer's registration number.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A consumption tax rate and the first day it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub from: NaiveDate,
    pub rate_percent: u32,
}

/// The rate in force on `day`: the latest that began on or before it.
pub fn rate_on(rates: &[TaxRate], day: NaiveDate) -> Option<u32> {
    rates
        .iter()
        .filter(|r| r.from <= day)
        .max_by_key(|r| r.from)
        .map(|r| r.rate_percent)
}

/// An invoice's tax: what it charges in all, and the tax within it, in integer yen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTax {
    pub rate_percent: u32,
    /// The consumption tax the total contains.
    pub tax_yen: i64,
    /// What the requester pays, tax included.
    pub total_yen: i64,
}

/// The tax of an invoice whose fees come to `amount_yen`: within it when the fee includes tax (¥10,800
/// at 10% holds ¥981), else on top of it (¥10,000 at 10% becomes ¥11,000). Rounded down, once.
pub fn invoice_tax(amount_yen: i64, rate_percent: u32, included: bool) -> Option<InvoiceTax> {
    let rate = i64::from(rate_percent);
    let (tax_yen, total_yen) = if included {
        (amount_yen.checked_mul(rate)? / (100 + rate), amount_yen)
    } else {
        let tax = amount_yen.checked_mul(rate)? / 100;
        (tax, amount_yen.checked_add(tax)?)
    };
    Some(InvoiceTax {
        rate_percent,
        tax_yen,
        total_yen,
    })
}

/// Whose consumption tax a fee carries, and whether its amount includes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeTax {
    /// That place's rates, each from its first day.
    pub rates: Vec<TaxRate>,
    /// The place whose rates apply (`consumption_tax` in `seeds/places`).
    pub place: String,
    pub included: bool,
}

/// A qualified-invoice issuer's registration number (登録番号): `T` and 13 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    /// Accepts it as people write it: full-width, lower-case `t`, with hyphens or spaces.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s: String = raw
            .nfkc()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '−' | 'ー'))
            .flat_map(char::to_uppercase)
            .collect();
        let digits = s.strip_prefix('T').ok_or("registration_number_format")?;
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("registration_number_format");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_rate_of_the_day() {
        let rates = [
            TaxRate {
                from: d("2014-04-01"),
                rate_percent: 8,
            },
            TaxRate {
                from: d("2019-10-01"),
                rate_percent: 10,
            },
        ];
        assert_eq!(rate_on(&rates, d("2019-09-30")), Some(8));
        assert_eq!(rate_on(&rates, d("2019-10-01")), Some(10));
        assert_eq!(rate_on(&rates, d("2026-12-06")), Some(10));
        assert_eq!(rate_on(&rates, d("2010-01-01")), None);
    }

    #[test]
    fn tax_is_rounded_down_once_per_invoice() {
        let t = invoice_tax(10_800, 10, true).unwrap();
        assert_eq!((t.tax_yen, t.total_yen), (981, 10_800));
        // Per line it would be 490 + 490 = 980: the invoice rounds once.
        assert_eq!(invoice_tax(5_400, 10, true).unwrap().tax_yen, 490);
        let t = invoice_tax(10_000, 10, false).unwrap();
        assert_eq!((t.tax_yen, t.total_yen), (1_000, 11_000));
        assert_eq!(invoice_tax(5_400, 8, true).unwrap().tax_yen, 400);
        assert_eq!(invoice_tax(i64::MAX, 10, true), None);
    }

    #[test]
    fn registration_numbers_as_people_write_them() {
        assert_eq!(
            RegistrationNumber::parse("T1234567890123")
                .unwrap()
                .as_str(),
            "T1234567890123"
        );
        assert_eq!(
            RegistrationNumber::parse("ｔ１２３４-５６７８-９０１２３")
                .unwrap()
                .as_str(),
            "T1234567890123"
        );
        for bad in [
            "1234567890123",
            "T123456789012",
            "T12345678901234",
            "TX234567890123",
            "",
        ] {
            assert!(RegistrationNumber::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn included_tax_never_exceeds_its_share(amount in 1i64..100_000_000, rate in 1u32..30) {
            let t = invoice_tax(amount, rate, true).unwrap();
            let net = t.total_yen - t.tax_yen;
            // The tax is the net amount's tax, rounded down by less than one yen's worth of rate.
            prop_assert!(t.tax_yen * 100 <= net * i64::from(rate) + i64::from(rate));
            prop_assert!((t.tax_yen + 1) * (100 + i64::from(rate)) > amount * i64::from(rate));
        }
    }
}
