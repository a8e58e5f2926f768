//! Code enums (`domain::code::Code`) as diesel values: a row field of such a type is read from and bound
//! as the TEXT code its column's CHECK lists, so a query names `NoticeStatus::Queued`, never `"queued"`,
//! and a misspelt code does not compile. A stored code the enum does not know is a read error naming it.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use crate::domain::code::Code;
use crate::domain::drp::CallbackStatus;
use crate::domain::fees::{InvoiceStatus, PaymentSource};
use crate::domain::identity::EvidenceKind;
use crate::domain::inquiry::AcknowledgedHow;
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use crate::domain::payment_match::MatchedBy;
use crate::security::keys::{KeyKind, RecordedKeyStatus};

macro_rules! stored_as_code {
    ($($code:ty),* $(,)?) => {$(
        impl<DB> FromSql<Text, DB> for $code
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let stored = String::from_sql(bytes)?;
                stored.parse().map_err(|_| {
                    format!("{} has no code {stored:?}", stringify!($code)).into()
                })
            }
        }

        impl<DB> Queryable<Text, DB> for $code
        where
            DB: Backend,
            Self: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        // Bound one by one where a query binds a list of them (`eq_any`).
        impl<DB> ToSql<Text, DB> for $code
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        stored_as_code!(@bind $code, Text);
        stored_as_code!(@bind $code, Nullable<Text>);
    )*};
    // Bound as its code, through diesel's own `&'static str` impl.
    (@bind $code:ty, $sql:ty) => {
        impl AsExpression<$sql> for $code {
            type Expression = <&'static str as AsExpression<$sql>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<$sql>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<$sql> for &$code {
            type Expression = <&'static str as AsExpression<$sql>>::Expression;
            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<$sql>>::as_expression(self.as_str())
            }
        }
    };
}

stored_as_code!(
    NoticeStatus,
    NoticeChannel,
    InvoiceStatus,
    PaymentSource,
    MatchedBy,
    CallbackStatus,
    KeyKind,
    RecordedKeyStatus,
    EvidenceKind,
    AcknowledgedHow,
);
