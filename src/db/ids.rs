//! Typed ids (`domain::ids::Id<K>`) as diesel values: bound and read as `Text` on every backend.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::sql_types::{Nullable, Text};

use crate::domain::ids::Id;

impl<K, DB> FromSql<Text, DB> for Id<K>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Id::new)
    }
}

impl<K, DB> Queryable<Text, DB> for Id<K>
where
    DB: Backend,
    Self: FromSql<Text, DB>,
{
    type Row = Self;

    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

macro_rules! bind_as_text {
    ($($sql:ty),*) => {
        $(
            // Bound as the text it is, through diesel's own `String` and `&str` impls.
            impl<K> AsExpression<$sql> for Id<K> {
                type Expression = <String as AsExpression<$sql>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <String as AsExpression<$sql>>::as_expression(self.into_string())
                }
            }

            impl<'a, K> AsExpression<$sql> for &'a Id<K> {
                type Expression = <&'a str as AsExpression<$sql>>::Expression;
                fn as_expression(self) -> Self::Expression {
                    <&'a str as AsExpression<$sql>>::as_expression(self.as_str())
                }
            }
        )*
    };
}

bind_as_text!(Text, Nullable<Text>);
