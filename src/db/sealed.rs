//! Content sealed under the document key, across the tables that hold it, for re-encryption after a
//! key rotation: pages in id order (so a walk can stop and resume) and a compare-and-set rewrite.

use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{answer_packages, identity_evidence, staff_mfa, stored_files, system_tasks};

/// A table of sealed content and how its associated data is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum SealedStore {
    /// Identity documents, scans and reply files.
    StoredFiles,
    /// What a requester offered as evidence.
    IdentityEvidence,
    /// Answer packages ready for download.
    AnswerPackages,
    /// Data system owners' exports.
    TaskExports,
    /// Staff authenticator secrets (sealed text, `nonce.ciphertext` in base64).
    MfaSecrets,
}

/// One sealed item. `owner` is the request (the staff member, for an authenticator secret); for an
/// authenticator secret `nonce` is empty and `ciphertext` holds the sealed text.
#[derive(Clone)]
pub struct SealedItem {
    pub id: String,
    pub owner: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A row as read: id, owner, nonce, ciphertext.
type Raw = (String, String, Option<Vec<u8>>, Option<Vec<u8>>);

/// The three tables with `id, request_id, nonce, ciphertext, purged_at` alike.
macro_rules! alike {
    ($store:expr, $t:ident => $body:expr, else $other:expr) => {
        match $store {
            SealedStore::StoredFiles => {
                use stored_files as $t;
                $body
            }
            SealedStore::IdentityEvidence => {
                use identity_evidence as $t;
                $body
            }
            SealedStore::AnswerPackages => {
                use answer_packages as $t;
                $body
            }
            _ => $other,
        }
    };
}

/// How many items a store holds sealed (purged ones hold nothing).
pub fn count(conn: &mut AnyConnection, store: SealedStore) -> QueryResult<i64> {
    alike!(store, t => t::table.filter(t::purged_at.is_null()).count().get_result(conn), else match store {
        SealedStore::TaskExports => system_tasks::table
            .filter(system_tasks::export_ciphertext.is_not_null())
            .count()
            .get_result(conn),
        _ => staff_mfa::table.count().get_result(conn),
    })
}

/// The next `limit` items after id `after`, in id order.
pub fn page(
    conn: &mut AnyConnection,
    store: SealedStore,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<SealedItem>> {
    let rows: Vec<Raw> = alike!(store, t => t::table
        .filter(t::purged_at.is_null())
        .filter(t::id.gt(after))
        .order(t::id.asc())
        .limit(limit)
        .select((t::id, t::request_id, t::nonce.nullable(), t::ciphertext.nullable()))
        .load(conn)?, else match store {
        SealedStore::TaskExports => system_tasks::table
            .filter(system_tasks::export_ciphertext.is_not_null())
            .filter(system_tasks::id.gt(after))
            .order(system_tasks::id.asc())
            .limit(limit)
            .select((
                system_tasks::id,
                system_tasks::request_id,
                system_tasks::export_nonce,
                system_tasks::export_ciphertext,
            ))
            .load(conn)?,
        _ => staff_mfa::table
            .filter(staff_mfa::staff_id.gt(after))
            .order(staff_mfa::staff_id.asc())
            .limit(limit)
            .select((staff_mfa::staff_id, staff_mfa::secret_sealed))
            .load::<(String, String)>(conn)?
            .into_iter()
            .map(|(id, text)| (id.clone(), id, None, Some(text.into_bytes())))
            .collect(),
    });
    Ok(rows
        .into_iter()
        .map(|(id, owner, nonce, ciphertext)| SealedItem {
            id,
            owner,
            nonce: nonce.unwrap_or_default(),
            ciphertext: ciphertext.unwrap_or_default(),
        })
        .collect())
}

/// Replaces an item's sealed content if it is still what was read (`old`); false if it changed
/// meanwhile (purged, or sealed again), which leaves it alone.
pub fn reseal(
    conn: &mut AnyConnection,
    store: SealedStore,
    old: &SealedItem,
    nonce: &[u8],
    ciphertext: &[u8],
) -> QueryResult<bool> {
    let n = alike!(store, t => diesel::update(
        t::table
            .filter(t::id.eq(&old.id))
            .filter(t::purged_at.is_null())
            .filter(t::nonce.eq(&old.nonce)),
    )
    .set((t::nonce.eq(nonce), t::ciphertext.eq(ciphertext)))
    .execute(conn)?, else match store {
        SealedStore::TaskExports => diesel::update(
            system_tasks::table
                .filter(system_tasks::id.eq(&old.id))
                .filter(system_tasks::export_nonce.eq(&old.nonce)),
        )
        .set((
            system_tasks::export_nonce.eq(nonce),
            system_tasks::export_ciphertext.eq(ciphertext),
        ))
        .execute(conn)?,
        _ => {
            let old_text = String::from_utf8_lossy(&old.ciphertext).into_owned();
            let new_text = String::from_utf8_lossy(ciphertext).into_owned();
            diesel::update(
                staff_mfa::table
                    .filter(staff_mfa::staff_id.eq(&old.id))
                    .filter(staff_mfa::secret_sealed.eq(old_text)),
            )
            .set(staff_mfa::secret_sealed.eq(new_text))
            .execute(conn)?
        }
    });
    Ok(n == 1)
}
