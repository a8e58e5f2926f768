//! The data-system registry: where personal data lives, who answers for it, what it holds and for which
//! purposes, which rights it carries out, how it erases, where its data comes from, what it never
//! discloses and whom it discloses to. Administrators keep it; `kaiji seed` adds the systems of
//! `seeds/data_systems.toml` not registered yet.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::systems::{self as repo, DataSystemRow};
use crate::db::{self, AnyConnection, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::ids::DataSystemId;
use crate::domain::staff::Role;
use crate::domain::systems::{DataSystem, RawDataSystem, Recipient, TaskKind, parse_system};

/// The task kinds a registered system carries out (a damaged list serves none, so nothing is asked of it
/// by mistake).
pub(crate) fn serves(s: &DataSystemRow) -> Vec<TaskKind> {
    serde_json::from_str(&s.serves).unwrap_or_default()
}

pub(crate) fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// A data system as the registry shows it, on its page and in the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisteredSystem {
    pub id: String,
    pub name: String,
    pub owner_email: String,
    /// The categories of personal data it holds.
    pub categories: Vec<String>,
    pub retention: String,
    pub deletion_method: String,
    /// The task kinds it carries out.
    pub serves: Vec<TaskKind>,
    /// The purposes it processes for.
    pub purposes: Vec<String>,
    /// Whom it discloses to (told of rectifications, erasures and restrictions).
    pub recipients: Vec<Recipient>,
    /// Where its data comes from.
    pub sources: String,
    /// The automated decision-making it does; empty: none declared.
    pub automated_decisions: String,
    /// Fields it holds but never discloses.
    pub never_disclose: Vec<String>,
    /// Whether new requests get a task in it.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DataSystemRow> for RegisteredSystem {
    fn from(s: DataSystemRow) -> Self {
        RegisteredSystem {
            serves: serves(&s),
            purposes: json_list(&s.purposes),
            recipients: super::recipients::of(&s),
            sources: s.sources.clone(),
            automated_decisions: s.automated_decisions.clone(),
            never_disclose: json_list(&s.never_disclose),
            id: s.id.to_string(),
            name: s.name,
            owner_email: s.owner_email,
            categories: json_list(&s.categories),
            retention: s.retention,
            deletion_method: s.deletion_method,
            active: s.active,
            created_at: db::from_db_time(s.created_at),
            updated_at: db::from_db_time(s.updated_at),
        }
    }
}

/// The registry, for staff.
pub async fn list(state: &AppState) -> Result<Vec<RegisteredSystem>, AppError> {
    state
        .db
        .run(|conn| {
            Ok(repo::list_systems(conn)?
                .into_iter()
                .map(RegisteredSystem::from)
                .collect())
        })
        .await
}

/// Registers a system (administrators). Names are unique.
pub async fn register(
    state: &AppState,
    staff: &StaffMember,
    raw: RawDataSystem,
) -> Result<RegisteredSystem, AppError> {
    if staff.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let sys = parse_registered(&raw)?;
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .run(move |conn| write_tx(conn, |conn| insert(conn, &sys, &actor, now)))
        .await
        .map(RegisteredSystem::from)
}

/// A system as typed, whose recipients are written to in languages kaiji speaks.
fn parse_registered(raw: &RawDataSystem) -> Result<DataSystem, AppError> {
    let sys = parse_system(raw).map_err(AppError::Invalid)?;
    if sys
        .recipients
        .iter()
        .any(|r| !crate::i18n::speaks(r.language))
    {
        return Err(AppError::invalid("recipients", "unknown_language"));
    }
    Ok(sys)
}

/// Changes a registered system (administrators): who owns it, what it holds, which rights it carries
/// out, its purposes and recipients. Tasks already opened stay as they are; names stay unique.
pub async fn update(
    state: &AppState,
    staff: &StaffMember,
    id: DataSystemId,
    raw: RawDataSystem,
) -> Result<RegisteredSystem, AppError> {
    if staff.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let sys = parse_registered(&raw)?;
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let old = repo::find_system(conn, &id)?.ok_or(AppError::NotFound)?;
            if repo::find_system_by_name(conn, &sys.name)?.is_some_and(|s| s.id != id) {
                return Err(AppError::invalid("name", "system_name_taken"));
            }
            let row = DataSystemRow {
                updated_at: db::to_db_time(now),
                ..registration(&sys, old.id.clone(), old.active, old.created_at)
            };
            if !repo::update_system(conn, &id, &row, db::to_db_time(now))? {
                return Err(AppError::NotFound);
            }
            // The audit names what changed, not the values (owners' and recipients' addresses).
            let changed: Vec<&str> = [
                ("name", old.name != row.name),
                ("owner_email", old.owner_email != row.owner_email),
                ("categories", old.categories != row.categories),
                ("retention", old.retention != row.retention),
                (
                    "deletion_method",
                    old.deletion_method != row.deletion_method,
                ),
                ("serves", old.serves != row.serves),
                ("purposes", old.purposes != row.purposes),
                ("recipients", old.recipients != row.recipients),
                ("sources", old.sources != row.sources),
                (
                    "automated_decisions",
                    old.automated_decisions != row.automated_decisions,
                ),
                ("never_disclose", old.never_disclose != row.never_disclose),
            ]
            .into_iter()
            .filter_map(|(f, c)| c.then_some(f))
            .collect();
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::SystemChanged, actor, now)
                    .details(json!({"system_id": id, "name": row.name, "changed": changed})),
            )?;
            Ok(RegisteredSystem::from(row))
        })
        .await
}

/// A system as typed, as its stored row.
fn registration(
    sys: &DataSystem,
    id: DataSystemId,
    active: bool,
    created_at: chrono::NaiveDateTime,
) -> DataSystemRow {
    DataSystemRow {
        id,
        name: sys.name.clone(),
        owner_email: sys.owner_email.clone(),
        categories: serde_json::to_string(&sys.categories).unwrap_or_else(|_| "[]".into()),
        retention: sys.retention.clone(),
        deletion_method: sys.deletion_method.clone(),
        active,
        created_at,
        updated_at: created_at,
        serves: serde_json::to_string(&sys.serves).unwrap_or_else(|_| "[]".into()),
        purposes: serde_json::to_string(&sys.purposes).unwrap_or_else(|_| "[]".into()),
        recipients: serde_json::to_string(&sys.recipients).unwrap_or_else(|_| "[]".into()),
        sources: sys.sources.clone(),
        automated_decisions: sys.automated_decisions.clone(),
        never_disclose: serde_json::to_string(&sys.never_disclose).unwrap_or_else(|_| "[]".into()),
    }
}

/// A registered system as its form shows it again.
pub fn as_typed(s: &RegisteredSystem) -> RawDataSystem {
    RawDataSystem {
        name: s.name.clone(),
        owner_email: s.owner_email.clone(),
        // One line each: the form's fields are single-line inputs, which drop newlines.
        categories: s.categories.join(", "),
        retention: s.retention.clone(),
        deletion_method: s.deletion_method.clone(),
        serves: s
            .serves
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        purposes: s.purposes.join(", "),
        recipients: crate::domain::systems::recipients_text(&s.recipients),
        sources: s.sources.clone(),
        automated_decisions: s.automated_decisions.clone(),
        never_disclose: s.never_disclose.join(", "),
    }
}

fn insert(
    conn: &mut AnyConnection,
    sys: &DataSystem,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<DataSystemRow, AppError> {
    if repo::find_system_by_name(conn, &sys.name)?.is_some() {
        return Err(AppError::invalid("name", "system_name_taken"));
    }
    let row = registration(sys, db::new_id().into(), true, db::to_db_time(now));
    repo::insert_system(conn, &row)?;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::SystemRegistered, actor.clone(), now)
            .details(json!({"system_id": row.id, "name": row.name})),
    )?;
    Ok(row)
}

/// Takes a system out of (or back into) new requests (administrators). Tasks already open stay.
pub async fn set_active(
    state: &AppState,
    staff: &StaffMember,
    id: DataSystemId,
    active: bool,
) -> Result<(), AppError> {
    if staff.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            if !repo::set_active(conn, &id, active, db::to_db_time(now))? {
                return Err(AppError::NotFound);
            }
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::SystemChanged, actor, now)
                    .details(json!({"system_id": id, "active": active})),
            )?;
            Ok(())
        })
        .await
}

/// Systems in `seeds/data_systems.toml` not yet registered (by name), as `kaiji seed` loads them.
#[derive(Debug, serde::Deserialize)]
struct SeedFile {
    #[serde(default)]
    systems: Vec<SeedSystem>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSystem {
    name: String,
    owner_email: String,
    categories: Vec<String>,
    retention: String,
    deletion_method: String,
    /// Task kinds; absent: every kind.
    #[serde(default)]
    serves: Vec<String>,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    recipients: Vec<SeedRecipient>,
    #[serde(default)]
    sources: String,
    #[serde(default)]
    automated_decisions: String,
    #[serde(default)]
    never_disclose: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRecipient {
    role: String,
    name: String,
    email: String,
    #[serde(default)]
    language: Option<String>,
}

pub fn seed(db: &crate::db::Db, clock: &super::Clock, text: &str) -> Result<usize, AppError> {
    let file: SeedFile = toml::from_str(text)
        .map_err(|e| AppError::Definition(format!("data_systems.toml: {e}")))?;
    let mut parsed = Vec::new();
    for s in file.systems {
        let recipients: Vec<String> = s
            .recipients
            .iter()
            .map(|r| {
                format!(
                    "{} | {} | {} | {}",
                    r.role,
                    r.name,
                    r.email,
                    r.language.as_deref().unwrap_or("en")
                )
            })
            .collect();
        let sys = parse_registered(&RawDataSystem {
            name: s.name.clone(),
            owner_email: s.owner_email,
            categories: s.categories.join("\n"),
            retention: s.retention,
            deletion_method: s.deletion_method,
            serves: s.serves.join(","),
            purposes: s.purposes.join("\n"),
            recipients: recipients.join("\n"),
            sources: s.sources,
            automated_decisions: s.automated_decisions,
            never_disclose: s.never_disclose.join(","),
        })
        .map_err(|e| {
            AppError::Definition(format!("data_systems.toml: system `{}`: {e:?}", s.name))
        })?;
        parsed.push(sys);
    }
    let now = clock.now();
    let mut conn = db.conn()?;
    write_tx(&mut conn, |conn| {
        // Instances started together seed in turn (see `db::take_turn`).
        crate::db::take_turn(conn)?;
        let mut added = 0;
        for sys in &parsed {
            if repo::find_system_by_name(conn, &sys.name)?.is_none() {
                insert(conn, sys, &Actor::System("seed"), now)?;
                added += 1;
            }
        }
        Ok(added)
    })
}
