//! After the document key rotates, what was sealed under the old key is sealed again under the new
//! one, a page at a time while the service runs, so that the old key can be retired. A survey (the
//! same walk without writing) tells how much each old key still seals.

use std::collections::BTreeMap;

use super::{AppError, Clock};
use crate::config::{KeyRing, Keys};
use crate::db::sealed::{self, SealedItem, SealedStore};
use crate::db::{Db, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::ids::RequestId;
use crate::security::documents::{Sealed, seal};
use crate::security::keys::KeyKind;
use crate::security::mfa;
use strum::VariantArray;

/// Items a page holds: small enough that a page's writes are a short transaction.
const PAGE: i64 = 200;

/// What a walk found (and, re-encrypting, did).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Survey {
    pub checked: u64,
    /// Items sealed under each older key (by key id), before this walk sealed them again.
    pub under: BTreeMap<String, u64>,
    /// Items sealed again under the signing key.
    pub resealed: u64,
    /// Items no key of the ring opens (sealed under a key adopted away, or altered).
    pub unreadable: u64,
}

/// How much each older document key still seals. Writes nothing.
pub fn survey(db: &Db, keys: &Keys) -> Result<Survey, AppError> {
    walk(db, &keys.document, false, &mut |_, _| {})
}

/// Seals again under the signing document key everything an older key sealed, reporting progress as
/// (items checked, items in all). Audited once, with the counts.
pub fn reencrypt(
    db: &Db,
    keys: &Keys,
    clock: &Clock,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Survey, AppError> {
    let report = walk(db, &keys.document, true, progress)?;
    let now = clock.now();
    let mut conn = db.conn()?;
    write_tx(&mut conn, |c| {
        crate::db::audit::append(
            c,
            &NewAuditEvent::new(AuditAction::KeyReencrypted, Actor::System("cli"), now).details(
                serde_json::json!({
                    "kind": KeyKind::Document,
                    "key_id": keys.document.signer_id(),
                    "checked": report.checked,
                    "resealed": report.resealed,
                    "unreadable": report.unreadable,
                }),
            ),
        )
    })?;
    Ok(report)
}

fn walk(
    db: &Db,
    ring: &KeyRing,
    write: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Survey, AppError> {
    let ids = ring.ids();
    let mut conn = db.conn()?;
    let mut total = 0_u64;
    for &store in SealedStore::VARIANTS {
        total += sealed::count(&mut conn, store)?.max(0) as u64;
    }
    let mut report = Survey::default();
    progress(0, total);
    for &store in SealedStore::VARIANTS {
        let mut after = String::new();
        loop {
            let items = sealed::page(&mut conn, store, &after, PAGE)?;
            let Some(last) = items.last() else { break };
            after = last.id.clone();
            let mut again = Vec::new();
            for item in &items {
                report.checked += 1;
                match open(ring, store, item) {
                    None => report.unreadable += 1,
                    Some((_, 0)) => {}
                    Some((plain, i)) => {
                        *report.under.entry(ids[i].clone()).or_default() += 1;
                        again.push((item, plain));
                    }
                }
            }
            if write && !again.is_empty() {
                let resealed = write_tx(&mut conn, |c| {
                    let mut n = 0;
                    for (item, plain) in &again {
                        let (nonce, ciphertext) = seal_again(ring, store, item, plain);
                        n += u64::from(sealed::reseal(c, store, item, &nonce, &ciphertext)?);
                    }
                    Ok::<_, AppError>(n)
                })?;
                report.resealed += resealed;
            }
            progress(report.checked.min(total), total);
        }
    }
    Ok(report)
}

fn aad(store: SealedStore, item: &SealedItem) -> Vec<u8> {
    let request = RequestId::new(item.owner.clone());
    match store {
        SealedStore::StoredFiles => super::documents::file_aad(&request, &item.id),
        SealedStore::IdentityEvidence => super::evidence::aad(&request, &item.id),
        SealedStore::AnswerPackages => super::package::package_aad(&request, &item.id),
        SealedStore::TaskExports => super::systems::export_aad(&request, &item.id),
        SealedStore::MfaSecrets => item.owner.clone().into_bytes(),
    }
}

/// The plaintext and the place in the ring of the key that opened it.
fn open(ring: &KeyRing, store: SealedStore, item: &SealedItem) -> Option<(Vec<u8>, usize)> {
    if store == SealedStore::MfaSecrets {
        let text = String::from_utf8_lossy(&item.ciphertext);
        return ring
            .all()
            .enumerate()
            .find_map(|(i, k)| mfa::open_secret(k, &item.owner, &text).map(|p| (p, i)));
    }
    let sealed = Sealed {
        nonce: item.nonce.clone(),
        ciphertext: item.ciphertext.clone(),
    };
    ring.opened_by(&aad(store, item), &sealed).ok()
}

fn seal_again(
    ring: &KeyRing,
    store: SealedStore,
    item: &SealedItem,
    plain: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    if store == SealedStore::MfaSecrets {
        let text = mfa::seal_secret(ring.expose(), &item.owner, plain);
        return (Vec::new(), text.into_bytes());
    }
    let s = seal(ring.expose(), &aad(store, item), plain);
    (s.nonce, s.ciphertext)
}
