//! The review queue, as a page and over the API.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::csrf::Csrf;
use super::error::PageError;
use super::render;
use super::session::{Authorized, WorkRequests};
use crate::app::staff::StaffMember;
use crate::app::{AppState, queue};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/queue.html")]
pub struct QueuePage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub q: queue::QueueQuery,
    pub view: Option<queue::QueueView>,
    pub errors: FieldErrors,
    pub laws: std::sync::Arc<crate::domain::law::Laws>,
    pub choices: queue::QueueChoices,
}

impl QueuePage {
    pub fn v(field: &Option<String>) -> &str {
        field.as_deref().unwrap_or("")
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    /// The next page's address: the same filters, the next cursor.
    pub fn next_href(&self, cursor: &str) -> String {
        let q = &self.q;
        let pairs = [
            ("state", &q.state),
            ("procedure", &q.procedure),
            ("right", &q.right),
            ("jurisdiction", &q.jurisdiction),
            ("assignee", &q.assignee),
            ("due_within", &q.due_within),
            ("overdue", &q.overdue),
            ("waiting", &q.waiting),
            ("confirmation", &q.confirmation),
            ("limit", &q.limit),
        ];
        let mut kept: Vec<(&str, &str)> = pairs
            .iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v)))
            .collect();
        kept.push(("cursor", cursor));
        format!(
            "/staff/requests?{}",
            serde_html_form::to_string(&kept).unwrap_or_default()
        )
    }

    /// Every right some law grants, by its code, for the filter.
    pub fn rights(&self) -> Vec<(String, String)> {
        self.laws
            .right_codes()
            .into_iter()
            .map(|c| (c.to_string(), self.right_label(c.as_str())))
            .collect()
    }

    pub fn right_label(&self, code: &str) -> String {
        self.laws.right_label(None, code, self.tr.lang)
    }

    /// Every place, for the filter (not only those served: older requests may come from others).
    /// How many open requests a filter's choice holds (none shown while the filter cannot be read).
    pub fn count(&self, group: &str, key: &str) -> String {
        let n = self
            .view
            .as_ref()
            .and_then(|v| v.counts.get(group))
            .and_then(|g| g.get(key))
            .copied()
            .unwrap_or(0);
        format!(" ({n})")
    }

    /// The filter's value is this choice.
    pub fn chosen(value: &Option<String>, choice: impl AsRef<str>) -> bool {
        value.as_deref().map(str::trim) == Some(choice.as_ref())
    }

    pub fn state_choices(&self) -> Vec<(String, String)> {
        self.choices
            .states
            .iter()
            .map(|(id, l)| (id.clone(), self.tr.label(l).to_owned()))
            .collect()
    }

    pub fn procedure_choices(&self) -> Vec<(String, String)> {
        self.choices
            .procedures
            .iter()
            .map(|(id, l)| (id.clone(), self.tr.label(l).to_owned()))
            .collect()
    }

    pub fn jurisdictions(&self) -> Vec<(String, String)> {
        self.laws
            .places()
            .iter()
            .map(|p| (p.code.to_string(), p.name.get(self.tr.lang).to_owned()))
            .collect()
    }
}

/// The review queue: filters, nearest deadline first, keyset pages; bad filters come back beside
/// their fields with what was typed.
pub async fn queue(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    query: web::Query<queue::QueueQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.into_inner();
    let (view, errors, status) = match queue::queue(&state, &who.staff, q.clone()).await {
        Ok(v) => (Some(v), FieldErrors::new(), StatusCode::OK),
        Err(crate::app::AppError::Invalid(e)) => (None, e, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    render(
        status,
        &QueuePage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            q,
            view,
            errors,
            laws: state.workflows.laws().clone(),
            choices: queue::choices(&state).await?,
        },
    )
}

/// The same queue over JSON: `GET /api/v1/queue`.
#[utoipa::path(
    get, path = "/api/v1/queue", tag = "requests", operation_id = "listQueue",
    description = "Open requests, nearest deadline first, one keyset page at a time, with counts of the open requests by state, right, jurisdiction and procedure",
    params(queue::QueueQuery),
    responses(
        (status = 200, description = "One page of the queue; pass `next_cursor` as `cursor` for the next", body = queue::QueueView,
         example = json!({
             "items": [{
                 "id": "0196a3f2-5c1e-7d40-9b8a-3e2f1c0d9e8f",
                 "receipt_number": "KJ-20260415-00000123",
                 "request_type": "access",
                 "jurisdiction": "EEA",
                 "channel": "web",
                 "state": "in_progress",
                 "state_label": {"en": "Being handled", "ja": "対応中"},
                 "workflow_id": "gdpr",
                 "workflow_name": {"en": "EEA (GDPR) data subject request", "ja": "EEA（GDPR）データ主体の権利行使"},
                 "received_at": "2026-04-15T01:23:45Z",
                 "due_on": "2026-05-15",
                 "overdue": false,
                 "waiting": false,
                 "awaiting_confirmation": false,
                 "assignee": "officer@example.com",
                 "assignee_name": "佐藤 花子"
             }],
             "total": 1,
             "next_cursor": null,
             "counts": {
                 "state": {"in_progress": 1},
                 "right": {"access": 1},
                 "jurisdiction": {"EEA": 1},
                 "procedure": {"gdpr": 1}
             },
             "awaiting_confirmation": 0
         })),
        (status = 422, description = "`validation_failed`: a filter cannot be read (`right` `unknown_request_type`, `jurisdiction` `unknown_jurisdiction`, `assignee` `unknown_staff`, `due_within` `invalid_days`, `limit` `invalid_limit`, `cursor` `invalid_cursor`, `confirmation` `invalid_value`)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn queue_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    query: super::body::ApiQuery<queue::QueueQuery>,
) -> Result<HttpResponse, super::error::ApiError> {
    let view = queue::queue(&state, &who.staff, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(view))
}
