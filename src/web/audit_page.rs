//! The audit page: the log's integrity (key, latest signed checkpoint, where checkpoints go), the
//! downloads, and the log itself as a paged, filterable table of sentences, each opening to its record
//! and leaf hash.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::Csrf;
use super::error::PageError;
use super::narrate::{self, EventSentence};
use super::render;
use super::session::{Authorized, ReadAudit};
use crate::app::audit_browse::{self, AuditBrowse, BrowseInput, BrowsedEvent};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, audit_proofs};
use crate::domain::FieldErrors;
use crate::domain::audit::AuditAction;
use crate::domain::code::Code;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/audit.html")]
pub struct AuditPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub log: AuditBrowse,
    pub input: BrowseInput,
    pub errors: FieldErrors,
    pub overview: audit_proofs::Overview,
    /// Where this instance pushes checkpoints, if it does.
    pub push_dir: Option<String>,
    pub push_seconds: u32,
}

impl AuditPage {
    pub fn sentence(&self, e: &BrowsedEvent) -> String {
        let r = &e.row;
        EventSentence {
            action: &r.action,
            actor_kind: &r.actor_kind,
            actor_id: r.actor_id.as_deref(),
            receipt: r
                .request_id
                .as_deref()
                .map(|id| self.log.vocabulary.receipt(id).unwrap_or("—")),
            from_state: r.from_state.as_deref(),
            to_state: r.to_state.as_deref(),
            details: &r.details,
        }
        .tell(&self.tr, &self.log.vocabulary)
    }

    pub fn who(&self, e: &BrowsedEvent) -> String {
        narrate::actor(
            &self.tr,
            &self.log.vocabulary,
            &e.row.actor_kind,
            e.row.actor_id.as_deref(),
        )
    }

    pub fn receipt(&self, e: &BrowsedEvent) -> Option<String> {
        let id = e.row.request_id.as_deref()?;
        Some(self.log.vocabulary.receipt(id).unwrap_or("—").to_owned())
    }

    /// The actions a reader can filter on, by their words.
    pub fn actions(&self) -> Vec<(&'static str, String)> {
        let mut all: Vec<(&'static str, String)> = AuditAction::ALL
            .iter()
            .map(|a| {
                (
                    a.as_str(),
                    self.tr
                        .t(&format!("audit-kind-{}", a.as_str().replace('.', "-"))),
                )
            })
            .collect();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        all
    }

    /// Who a reader can filter on: the requester, kaiji, and every staff member by name.
    pub fn actors(&self) -> Vec<(String, String)> {
        let mut all = vec![
            ("requester".to_owned(), self.tr.t("actor-requester")),
            ("system".to_owned(), self.tr.t("actor-system")),
        ];
        all.extend(self.log.vocabulary.people().into_iter().map(|(id, n)| {
            (
                id.to_owned(),
                format!("{} ({})", n.name, narrate::role(&self.tr, n.role)),
            )
        }));
        all
    }

    pub fn v(s: &Option<String>) -> &str {
        s.as_deref().unwrap_or("")
    }

    /// The filter's value is this choice.
    pub fn chosen(value: &Option<String>, choice: impl AsRef<str>) -> bool {
        value.as_deref() == Some(choice.as_ref())
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    /// The link to the next (older) page: the same filter, before this event.
    pub fn older_href(&self, before: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("action", &self.input.action),
            ("actor", &self.input.actor),
            ("request", &self.input.request),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("before", before);
        format!("/staff/audit?{}#audit-log", q.finish())
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    request: Option<String>,
    before: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    who: Authorized<ReadAudit>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let input = BrowseInput {
        action: q.action,
        actor: q.actor,
        request: q.request,
        before: q.before,
    };
    let (status, log, errors) = match audit_browse::browse(&state, input.clone()).await {
        Ok(log) => (StatusCode::OK, log, FieldErrors::new()),
        Err(AppError::Invalid(errors)) => {
            let log = audit_browse::browse(&state, BrowseInput::default()).await?;
            (StatusCode::UNPROCESSABLE_ENTITY, log, errors)
        }
        Err(e) => return Err(e.into()),
    };
    let s = state.clone();
    let overview = web::block(move || audit_proofs::overview(&s.db, &s.config, &s.keys))
        .await
        .map_err(|e| AppError::Definition(e.to_string()))??;
    render(
        status,
        &AuditPage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            log,
            input,
            errors,
            overview,
            push_dir: state
                .config
                .audit
                .audit_checkpoint_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            push_seconds: state.config.audit.audit_push_seconds,
        },
    )
}
