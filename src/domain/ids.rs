//! Typed identifiers: a request's id cannot be passed where a notice's is expected. One generic type,
//! `Id<K>`, with a marker per kind of record; stored as text (UUIDv7 for new records). The database
//! mapping lives in `db::ids`.

use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The identifier of a record of kind `K`.
pub struct Id<K> {
    value: String,
    // `fn() -> K`: the id owns no `K`, so it is Send, Sync and Clone whatever `K` is.
    kind: PhantomData<fn() -> K>,
}

/// Declares each kind of record with an id of its own (in `kind`) and its id type, named once.
macro_rules! kinds {
    ($($kind:ident => $id:ident),* $(,)?) => {
        /// The kinds of records with ids of their own.
        pub mod kind {
            /// Names a kind of record in `Debug` output.
            pub trait Kind {
                const NAME: &'static str;
            }

            $(
                #[derive(Debug)]
                pub enum $kind {}
                impl Kind for $kind {
                    const NAME: &'static str = stringify!($id);
                }
            )*
        }

        $(pub type $id = Id<kind::$kind>;)*
    };
}

kinds! {
    Request => RequestId,
    Notice => NoticeId,
    Staff => StaffId,
    StoredFile => FileId,
    Task => TaskId,
    Invoice => InvoiceId,
    Evidence => EvidenceId,
    Package => PackageId,
    Download => DownloadId,
    Payment => PaymentId,
    DataSystem => DataSystemId,
    DataChange => DataChangeId,
    Inquiry => InquiryId,
    IdentityDocument => DocumentId,
    ProvisionRecord => ProvisionRecordId,
}

impl<K> Id<K> {
    /// An id as stored or as given in a path; lookups decide whether such a record exists.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn into_string(self) -> String {
        self.value
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Self::new(self.value.clone())
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<K> Eq for Id<K> {}

impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<K: kind::Kind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", K::NAME, self.value)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl<K> From<String> for Id<K> {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl<K> From<&str> for Id<K> {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// An id reads as its text wherever text is expected (SQL binds, paths, logs of ids); the reverse takes
/// `Id::new`, so one kind of id is never taken for another.
impl<K> std::ops::Deref for Id<K> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.value
    }
}

impl<K> AsRef<str> for Id<K> {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl<K> PartialEq<str> for Id<K> {
    fn eq(&self, other: &str) -> bool {
        self.value == other
    }
}

impl<K> PartialEq<&str> for Id<K> {
    fn eq(&self, other: &&str) -> bool {
        self.value == *other
    }
}

impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.value)
    }
}

impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_print_and_serialize_as_their_text() {
        let a = RequestId::new("0190-a");
        assert_eq!(a, RequestId::from("0190-a"));
        assert_eq!(a, "0190-a");
        assert_eq!(a.to_string(), "0190-a");
        assert_eq!(format!("{a:?}"), "RequestId(0190-a)");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"0190-a\"");
        let back: NoticeId = serde_json::from_str("\"n-1\"").unwrap();
        assert_eq!(back.as_str(), "n-1");
    }
}
