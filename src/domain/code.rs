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
