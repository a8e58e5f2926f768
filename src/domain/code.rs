//! Codes: the stored and written names of a closed set of kinds. strum derives each spelling once (the
//! enum's `strum(serialize_all)`); this trait gives every such enum the same ways to use them.

/// A kind whose code is stored in a column, written in definitions and shown nowhere raw.
pub trait Code: Copy + Into<&'static str> + strum::VariantArray + 'static {
    /// Every kind, in the order the enum declares them.
    const ALL: &'static [Self] = Self::VARIANTS;

    /// The code stored and written in definitions.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every code, in the same order: what an error message or a schema lists as known.
    fn codes() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl<T: Copy + Into<&'static str> + strum::VariantArray + 'static> Code for T {}

pub(crate) use macro_rules_attribute::apply;

macro_rules_attribute::attribute_alias! {
    // What every code enum derives, said once: `#[apply(coded)]` on a fieldless enum gives it its codes in
    // snake_case both ways (strum: `as_str`, `parse`, `Display`, the list of variants; serde likewise) and
    // the usual comparisons, so a stored, written or sent code is spelled by its variant's name alone.
    #[apply(coded)] =
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[derive(strum::EnumString, strum::IntoStaticStr, strum::Display, strum::VariantArray)]
        #[strum(serialize_all = "snake_case")]
        #[serde(rename_all = "snake_case")];
}
