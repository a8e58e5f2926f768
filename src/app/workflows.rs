//! Reading the laws (`seeds/calendars/`, `seeds/places/`, `seeds/regimes/`), publishing workflow definitions
//! from `seeds/workflows/`, and finding the definition a request runs under.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{AppError, Clock};
use crate::db::workflows::{self as repo, WorkflowRow};
use crate::db::{self, AnyConnection, audit, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::deadline::{Calendar, Calendars};
use crate::domain::law::{Laws, Place, Regime};
use crate::domain::request::{Channel, PlaceCode, RightCode};
use crate::domain::workflow::{DefinitionError, WorkflowDefinition, overlap};

/// A definition read from disk, with where it came from.
#[derive(Debug, Clone)]
pub struct DefinitionFile {
    pub path: PathBuf,
    pub source: String,
    pub definition: WorkflowDefinition,
}

fn toml_files(path: &Path) -> Result<Vec<PathBuf>, AppError> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| AppError::Definition(format!("{}: {e}", path.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    Ok(v)
}

fn located(file: &Path, e: DefinitionError) -> AppError {
    AppError::Definition(match e.line {
        Some(line) => format!("{}:{line}: {}", file.display(), e.reason),
        None => format!("{}: {}", file.display(), e.reason),
    })
}

/// Reads every holiday calendar in a directory (`<seeds>/calendars`).
pub fn read_calendars(dir: &Path) -> Result<Calendars, AppError> {
    let mut out = Calendars::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for file in toml_files(dir)? {
        let src = std::fs::read_to_string(&file)
            .map_err(|e| AppError::Definition(format!("{}: {e}", file.display())))?;
        let cal = Calendar::parse(&src).map_err(|e| located(&file, e))?;
        let expected = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if cal.id != expected {
            return Err(AppError::Definition(format!(
                "{}: calendar id `{}` must match the file name",
                file.display(),
                cal.id
            )));
        }
        out.insert(cal.id.clone(), cal);
    }
    Ok(out)
}

/// The file stem a definition must be named after (`us-ca.toml` for `US-CA`).
fn check_named(file: &Path, id: &str, what: &str) -> Result<(), AppError> {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if stem.eq_ignore_ascii_case(id) {
        Ok(())
    } else {
        Err(AppError::Definition(format!(
            "{}: {what} `{id}` must be in a file named {}.toml",
            file.display(),
            id.to_ascii_lowercase()
        )))
    }
}

/// Reads the laws of a seeds directory: its calendars, places and regimes, checked against each other.
/// `served` are the places the deployment takes requests from (`KAIJI_PLACES`); empty: all of them.
pub fn read_laws(
    calendars_dir: &Path,
    seeds_dir: &Path,
    served: &[String],
) -> Result<Laws, AppError> {
    let calendars = read_calendars(calendars_dir)?;
    let read = |dir: &Path| -> Result<Vec<(PathBuf, String)>, AppError> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        toml_files(dir)?
            .into_iter()
            .map(|f| {
                std::fs::read_to_string(&f)
                    .map(|s| (f.clone(), s))
                    .map_err(|e| AppError::Definition(format!("{}: {e}", f.display())))
            })
            .collect()
    };
    let mut places = Vec::new();
    for (file, src) in read(&seeds_dir.join("places"))? {
        let place = Place::parse(&src, &calendars).map_err(|e| located(&file, e))?;
        check_named(&file, place.code.as_str(), "place")?;
        places.push(place);
    }
    let mut regimes = Vec::new();
    for (file, src) in read(&seeds_dir.join("regimes"))? {
        let regime = Regime::parse(&src, &calendars).map_err(|e| located(&file, e))?;
        check_named(&file, &regime.id, "regime")?;
        regimes.push(regime);
    }
    // The order places are listed in: the form and the pages follow it.
    places.sort_by_key(|p| (p.fallback, p.code.clone()));
    // The desk's inquiries and complaints, whatever the place (none taken where the file is absent).
    let inquiries_file = seeds_dir.join("inquiries.toml");
    let inquiries = if inquiries_file.is_file() {
        let src = std::fs::read_to_string(&inquiries_file)
            .map_err(|e| AppError::Definition(format!("{}: {e}", inquiries_file.display())))?;
        crate::domain::inquiry::InquiryRules::parse(&src)
            .map_err(|e| located(&inquiries_file, e))?
    } else {
        Default::default()
    };
    Laws::new(calendars, places, regimes, served)
        .map(|laws| {
            laws.speaking(crate::i18n::spoken())
                .with_inquiries(inquiries)
        })
        .map_err(|e| AppError::Definition(format!("{}: {e}", seeds_dir.display())))
}

/// The laws a configuration names: its seeds directory and `KAIJI_PLACES`.
pub fn laws_for(config: &crate::config::Config) -> Result<Laws, AppError> {
    let seeds = &config.service.seeds_dir;
    let served: Vec<String> = config
        .service
        .places
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    read_laws(&seeds.join("calendars"), seeds, &served)
}

/// Reads and checks every `*.toml` in a directory (or one file). The first bad file stops the load, named
/// with its line and reason.
pub fn read_definitions(path: &Path, laws: &Laws) -> Result<Vec<DefinitionFile>, AppError> {
    let mut out: Vec<DefinitionFile> = Vec::new();
    for file in toml_files(path)? {
        let source = std::fs::read_to_string(&file)
            .map_err(|e| AppError::Definition(format!("{}: {e}", file.display())))?;
        let definition = WorkflowDefinition::parse(&source, laws).map_err(|e| located(&file, e))?;
        if let Some(other) = out.iter().find(|d| {
            d.definition.id == definition.id && d.definition.version == definition.version
        }) {
            return Err(AppError::Definition(format!(
                "{}: workflow `{}` version {} is also defined in {}",
                file.display(),
                definition.id,
                definition.version,
                other.path.display()
            )));
        }
        out.push(DefinitionFile {
            path: file,
            source,
            definition,
        });
    }
    // Routing must never depend on file order: two workflows may not take the same kind of request.
    let newest: Vec<&WorkflowDefinition> = out
        .iter()
        .map(|f| &f.definition)
        .filter(|d| {
            !out.iter()
                .any(|o| o.definition.id == d.id && o.definition.version > d.version)
        })
        .collect();
    if let Some((a, b, t, c, j)) = overlap(&newest) {
        return Err(AppError::Definition(format!(
            "{}: workflows `{a}` and `{b}` both take {t} requests from {} through {}; give each kind of request one workflow",
            path.display(),
            j.as_str(),
            c.as_str()
        )));
    }
    Ok(out)
}

/// Calendars whose holiday data ends within `months` of `today`: deadlines past their last year cannot
/// be counted, so the operator is warned in time to extend them.
pub fn calendars_ending_soon(
    calendars: &Calendars,
    today: chrono::NaiveDate,
    months: u32,
) -> Vec<(String, i32)> {
    let horizon = crate::domain::deadline::add_months(today, months).unwrap_or(today);
    calendars
        .values()
        .filter(|c| c.last_year() < chrono::Datelike::year(&horizon))
        .map(|c| (c.id.clone(), c.last_year()))
        .collect()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PublishReport {
    pub published: Vec<(String, i64)>,
    pub unchanged: Vec<(String, i64)>,
}

/// Publishes definitions not yet in the database. A published version is immutable: changed content under
/// an existing version is refused, so no request in flight ever sees its rules change.
pub fn publish(
    conn: &mut AnyConnection,
    files: &[DefinitionFile],
    clock: &Clock,
) -> Result<PublishReport, AppError> {
    write_tx(conn, |conn| {
        crate::db::take_turn(conn)?;
        let mut report = PublishReport::default();
        let now = clock.now();
        // Several workflows serve one law: each regime version is checked and published once.
        let mut regimes_seen = std::collections::BTreeSet::new();
        for f in files {
            let d = &f.definition;
            if regimes_seen.insert((d.law.id.clone(), d.law.version)) {
                publish_regime(conn, &d.law, now)?;
            }
            let hash = sha256_hex(&f.source);
            match repo::find(conn, &d.id, d.version)? {
                Some(existing)
                    if existing.source_sha256 == hash
                        && existing.regime_version.is_some_and(|v| v != d.law.version) =>
                {
                    // New requests must follow the new law; those in flight keep the old one.
                    return Err(AppError::Definition(format!(
                        "{}: workflow `{}` version {} was published with regime `{}` version {}, and \
                         seeds/regimes/{}.toml is now version {}: publish the workflow as version {} \
                         so new requests follow it",
                        f.path.display(),
                        d.id,
                        d.version,
                        d.law.id,
                        existing.regime_version.unwrap_or_default(),
                        d.law.id,
                        d.law.version,
                        d.version + 1
                    )));
                }
                Some(existing) if existing.source_sha256 == hash => {
                    report.unchanged.push((d.id.clone(), d.version));
                }
                Some(_) => {
                    return Err(AppError::Definition(format!(
                        "{}: workflow `{}` version {} is already published with different content; \
                         publish the change as version {}",
                        f.path.display(),
                        d.id,
                        d.version,
                        d.version + 1
                    )));
                }
                None => {
                    repo::insert(
                        conn,
                        &WorkflowRow {
                            workflow_id: d.id.clone(),
                            version: d.version,
                            source: f.source.clone(),
                            source_sha256: hash.clone(),
                            published_at: db::to_db_time(now),
                            regime_id: Some(d.law.id.clone()),
                            regime_version: Some(d.law.version),
                        },
                    )?;
                    audit::append(
                        conn,
                        &NewAuditEvent::new(
                            AuditAction::WorkflowPublished,
                            Actor::System("seed"),
                            now,
                        )
                        .details(
                            json!({"workflow_id": d.id, "version": d.version, "sha256": hash}),
                        ),
                    )?;
                    report.published.push((d.id.clone(), d.version));
                }
            }
        }
        Ok(report)
    })
}

/// Publishes the regime a workflow was checked against, once per version: a version already published
/// with other content is refused, as a workflow's is, so the law a request runs by cannot change under it.
fn publish_regime(
    conn: &mut AnyConnection,
    regime: &Regime,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let hash = sha256_hex(&regime.source);
    match repo::find_regime(conn, &regime.id, regime.version)? {
        Some(existing) if existing.source_sha256 == hash => Ok(()),
        Some(_) => Err(AppError::Definition(format!(
            "regime `{}` version {} is already published with different content; publish the change \
             as version {} (seeds/regimes/{}.toml)",
            regime.id,
            regime.version,
            regime.version + 1,
            regime.id
        ))),
        None => {
            repo::insert_regime(
                conn,
                &repo::RegimeRow {
                    regime_id: regime.id.clone(),
                    version: regime.version,
                    source: regime.source.clone(),
                    source_sha256: hash.clone(),
                    published_at: db::to_db_time(now),
                },
            )?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::RegimePublished, Actor::System("seed"), now)
                    .details(
                        json!({"regime_id": regime.id, "version": regime.version, "sha256": hash}),
                    ),
            )?;
            Ok(())
        }
    }
}

type DefinitionCache = HashMap<(String, i64), Arc<WorkflowDefinition>>;

/// Parsed definitions by (id, version), filled from the database on first use, and the laws they are
/// read against (places, regimes, and the calendars their clocks count in). Published versions never
/// change, so entries never go stale.
#[derive(Clone, Default)]
pub struct WorkflowCatalog {
    cache: Arc<RwLock<DefinitionCache>>,
    laws: Arc<Laws>,
}

impl WorkflowCatalog {
    pub fn new(laws: Laws) -> Self {
        Self {
            cache: Arc::default(),
            laws: Arc::new(laws),
        }
    }

    pub fn calendars(&self) -> &Calendars {
        &self.laws.calendars
    }

    pub fn laws(&self) -> &Arc<Laws> {
        &self.laws
    }

    pub fn get(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        version: i64,
    ) -> Result<Arc<WorkflowDefinition>, AppError> {
        if let Some(d) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(id.to_owned(), version))
        {
            return Ok(d.clone());
        }
        let row = repo::find(conn, id, version)?.ok_or_else(|| {
            AppError::Definition(format!("`{id}` version {version} is not published"))
        })?;
        let laws = self.laws_of(conn, &row)?;
        let def = Arc::new(WorkflowDefinition::parse(&row.source, &laws).map_err(|e| {
            AppError::Definition(format!("`{}` v{}: {e}", row.workflow_id, row.version))
        })?);
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((row.workflow_id.clone(), row.version), def.clone());
        Ok(def)
    }

    /// The laws a published workflow is read against: today's, with its regime as it was published with
    /// it where that version differs from today's file.
    fn laws_of(
        &self,
        conn: &mut AnyConnection,
        row: &WorkflowRow,
    ) -> Result<std::borrow::Cow<'_, Laws>, AppError> {
        use std::borrow::Cow;
        let (Some(id), Some(version)) = (&row.regime_id, row.regime_version) else {
            return Ok(Cow::Borrowed(&self.laws));
        };
        if self.laws.regime(id).is_some_and(|r| r.version == version) {
            return Ok(Cow::Borrowed(&self.laws));
        }
        let pinned = repo::find_regime(conn, id, version)?.ok_or_else(|| {
            AppError::Definition(format!("regime `{id}` version {version} is not published"))
        })?;
        let regime = Regime::parse(&pinned.source, &self.laws.calendars)
            .map_err(|e| AppError::Definition(format!("regime `{id}` v{version}: {e}")))?;
        Ok(Cow::Owned(self.laws.with_regime(regime)))
    }

    /// The newest published version of every workflow, by id.
    pub fn newest_published(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Vec<Arc<WorkflowDefinition>>, AppError> {
        let mut latest: Vec<(String, i64)> = Vec::new();
        for (id, version) in repo::list_versions(conn)? {
            match latest.last_mut() {
                Some((last_id, last_v)) if *last_id == id => *last_v = (*last_v).max(version),
                _ => latest.push((id, version)),
            }
        }
        latest
            .into_iter()
            .map(|(id, version)| self.get(conn, &id, version))
            .collect()
    }

    /// The newest published version of the workflow that serves this right, channel and place.
    pub fn for_new_request(
        &self,
        conn: &mut AnyConnection,
        request_type: &RightCode,
        channel: Channel,
        place: &PlaceCode,
    ) -> Result<Arc<WorkflowDefinition>, AppError> {
        self.newest_published(conn)?
            .into_iter()
            .find(|def| def.serves(request_type, channel, place))
            .ok_or_else(|| AppError::NoWorkflow {
                request_type: request_type.to_string(),
                channel: channel.as_str(),
                jurisdiction: place.to_string(),
            })
    }

    /// The newest procedure that takes letters (its forms, desk, fee and checklists).
    pub fn postal_procedure(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Arc<WorkflowDefinition>, AppError> {
        self.newest_published(conn)?
            .into_iter()
            .find(|def| def.channels.contains(&Channel::Postal) && def.postal.is_some())
            .ok_or(AppError::NotFound)
    }
}

/// The workflow as an SVG picture, with `current` highlighted (rendered from its DOT form).
pub fn diagram_svg(
    def: &WorkflowDefinition,
    current: Option<&str>,
    lang: crate::domain::request::Language,
) -> Result<String, AppError> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let dot = def.to_dot(current, lang);
    let graph = DotParser::new(&dot)
        .process()
        .map_err(|e| AppError::Definition(format!("diagram of `{}`: {e}", def.id)))?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut vg = builder.get();
    let mut svg = SVGWriter::new();
    vg.do_it(false, false, false, &mut svg);
    Ok(svg.finalize())
}
