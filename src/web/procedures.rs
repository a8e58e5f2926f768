//! The published procedures, for anyone: `/procedures`, `/procedures/{workflow}` (both languages, no
//! sign-in) and `GET /api/v1/procedures`. Everything shown is read from the definitions the engine runs,
//! so the page and the engine cannot disagree.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, PageError};
use super::render;
use crate::app::AppState;
use crate::app::procedures::{self, ProcedureView};
use crate::domain::code::Code;
use crate::domain::deadline::Period;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/public/procedures.html")]
pub struct ProceduresPage {
    pub tr: Tr,
    pub procedures: Vec<ProcedureView>,
    /// The links the served laws word ("Do Not Sell or Share My Personal Information").
    pub privacy_links: Vec<super::preferences::PrivacyLink>,
}

#[derive(Template)]
#[template(path = "pages/public/procedure.html")]
pub struct ProcedurePage {
    pub tr: Tr,
    pub p: ProcedureView,
}

impl ProcedurePage {
    /// "Once by 2 months", in the page's language.
    pub fn period(&self, p: &Period) -> String {
        period_text(&self.tr, *p)
    }

    pub fn extension(&self, ext: &Option<(Period, u32)>) -> Option<String> {
        ext.map(|(period, times)| {
            self.tr.t_args(
                if times == 1 {
                    "procedures-extension-once"
                } else {
                    "procedures-extension"
                },
                &[
                    ("period", period_text(&self.tr, period)),
                    ("times", times.to_string()),
                ],
            )
        })
    }

    pub fn fee(&self, fee: &Option<(i64, String, u32)>, free_by_law: &bool) -> String {
        match fee {
            None if *free_by_law => self.tr.t("procedures-fee-free-by-law"),
            None => self.tr.t("form-fee-none"),
            Some((yen, per, due)) => self.tr.t_args(
                "procedures-fee",
                &[
                    (
                        "fee",
                        self.tr.t_args(
                            &format!("form-fee-per-{per}"),
                            &[("amount", self.tr.yen(yen))],
                        ),
                    ),
                    ("days", due.to_string()),
                ],
            ),
        }
    }

    pub fn identity(&self, points: &Option<u32>, declaration: &bool) -> String {
        match points {
            Some(n) if *declaration => self
                .tr
                .t_args("procedures-points-declaration", &[("n", n.to_string())]),
            Some(n) => self.tr.t_args("procedures-points", &[("n", n.to_string())]),
            None if self.p.documents.is_some() => self.tr.t_args(
                "procedures-documents",
                &[(
                    "months",
                    self.p
                        .documents
                        .as_ref()
                        .map(|d| d.max_age_months)
                        .unwrap_or(0)
                        .to_string(),
                )],
            ),
            None => self.tr.t("procedures-identity-asked"),
        }
    }
}

/// The same page as one A4 sheet to print, with its address on the web (links do not work on paper).
#[derive(Template)]
#[template(path = "pages/public/procedure_print.html")]
pub struct ProcedurePrintPage {
    pub page: ProcedurePage,
    pub url: String,
}

impl std::ops::Deref for ProcedurePrintPage {
    type Target = ProcedurePage;
    fn deref(&self) -> &ProcedurePage {
        &self.page
    }
}

fn period_text(tr: &Tr, p: Period) -> String {
    let (key, n) = match p {
        Period::Days(n) => ("procedures-days", n),
        Period::Weeks(n) => ("procedures-weeks", n),
        Period::Months(n) => ("procedures-months", n),
        Period::BusinessDays(n) => ("procedures-business-days", n),
    };
    // English says "1 month" but "2 months"; Japanese has one form.
    let key = if n == 1 {
        format!("{key}-one")
    } else {
        key.to_owned()
    };
    tr.t_args(&key, &[("n", n.to_string())])
}

pub async fn index(state: web::Data<AppState>, tr: Tr) -> Result<HttpResponse, PageError> {
    let procedures = procedures::published(&state).await?;
    let privacy_links = super::preferences::privacy_links(state.workflows.laws(), &tr);
    render(
        StatusCode::OK,
        &ProceduresPage {
            tr,
            procedures,
            privacy_links,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    tr: Tr,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let p = procedures::one(&state, id.into_inner()).await?;
    render(StatusCode::OK, &ProcedurePage { tr, p })
}

pub async fn print(
    state: web::Data<AppState>,
    tr: Tr,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let p = procedures::one(&state, id.into_inner()).await?;
    let url = format!(
        "{}/procedures/{}?lang={}",
        state.config.http.public_url,
        p.id,
        tr.html_lang()
    );
    render(
        StatusCode::OK,
        &ProcedurePrintPage {
            page: ProcedurePage { tr, p },
            url,
        },
    )
}

/// A definition's text by language, as every label in the API reads (`Label`: `en` always, `ja` and
/// the other languages where the definition gives them).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = super::filing::LabelSchema)]
pub struct Text(crate::domain::workflow::Label);

impl From<&crate::domain::workflow::Label> for Text {
    fn from(l: &crate::domain::workflow::Label) -> Self {
        Self(l.clone())
    }
}

#[derive(Serialize, ToSchema)]
pub struct RightOut {
    pub code: String,
    pub label: Text,
    pub article: Option<Text>,
    /// Integer yen; absent when the right is free.
    pub fee_yen: Option<i64>,
    /// `service` or `request`.
    pub fee_per: Option<String>,
    /// The law makes the right free of charge, so no procedure may charge for it.
    pub free_by_law: bool,
    /// Data points that must match our records.
    pub verification_points: Option<u32>,
    pub signed_declaration: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineOut {
    pub label: Text,
    /// How the engine counts it, e.g. `1 months`, `45 calendar days`, `10 business days`.
    pub length: String,
    /// It stops while we wait for the requester (documents, payment, information).
    pub pauses_while_waiting: bool,
    /// E.g. `2 months`; absent when it cannot be extended.
    pub extension: Option<String>,
    pub extension_times: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct GroundOut {
    pub code: String,
    pub label: Text,
    pub article: Option<Text>,
    /// The rights it applies to; empty: every right of the law.
    pub rights: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeskOut {
    pub name: Option<Text>,
    pub address: Option<Text>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub web: Option<String>,
    pub hours: Option<Text>,
}

#[derive(Serialize, ToSchema)]
pub struct ProcedureOut {
    pub id: String,
    pub version: i64,
    pub name: Text,
    pub law: Text,
    pub places: Vec<Text>,
    /// `web`, `api`, `postal`.
    pub channels: Vec<String>,
    /// Who may file: `self`, `agent`, `guardian`.
    pub requesters: Vec<String>,
    /// How a fee is paid, where the procedure charges one.
    pub fee_payment: Option<Text>,
    /// When a request may be refused, as the law says; a refusal names one of these.
    pub refusal_grounds: Vec<GroundOut>,
    pub rights: Vec<RightOut>,
    pub deadlines: Vec<DeadlineOut>,
    pub email_confirmation: bool,
    pub complaint_authority: Option<Text>,
    /// Where letters go, for procedures that take them.
    pub desk: Option<Text>,
    /// The desk that answers: name, address, telephone, e-mail, web page and hours, as far as the
    /// procedure publishes them.
    pub contact: Option<DeskOut>,
    pub mail_classes: Vec<String>,
    /// How many months old an enclosed identity document may be.
    pub documents_max_age_months: Option<u32>,
    pub page: String,
}

impl From<&ProcedureView> for ProcedureOut {
    fn from(p: &ProcedureView) -> Self {
        Self {
            id: p.id.clone(),
            version: p.version,
            name: (&p.name).into(),
            law: (&p.regime).into(),
            places: p.places.iter().map(Text::from).collect(),
            channels: p.channels.iter().map(|c| c.as_str().to_owned()).collect(),
            requesters: p.requesters.clone(),
            fee_payment: p.fee_payment.as_ref().map(Text::from),
            refusal_grounds: p
                .grounds
                .iter()
                .map(|(g, _)| GroundOut {
                    code: g.code.clone(),
                    label: (&g.label).into(),
                    article: g.article.as_ref().map(Text::from),
                    rights: g.rights.iter().map(|r| r.to_string()).collect(),
                })
                .collect(),
            rights: p
                .rights
                .iter()
                .map(|r| RightOut {
                    code: r.code.to_string(),
                    label: (&r.label).into(),
                    article: r.article.as_ref().map(Text::from),
                    fee_yen: r.fee.as_ref().map(|f| f.0),
                    fee_per: r.fee.as_ref().map(|f| f.1.clone()),
                    free_by_law: r.free_by_law,
                    verification_points: r.points,
                    signed_declaration: r.declaration,
                })
                .collect(),
            deadlines: p
                .deadlines
                .iter()
                .map(|d| DeadlineOut {
                    label: (&d.label).into(),
                    length: d.period.to_string(),
                    pauses_while_waiting: d.pauses,
                    extension: d.extension.map(|(period, _)| period.to_string()),
                    extension_times: d.extension.map(|(_, t)| t),
                })
                .collect(),
            email_confirmation: p.confirm_email,
            complaint_authority: p.complaint_authority.as_ref().map(Text::from),
            desk: p.postal.as_ref().map(|r| (&r.desk).into()),
            contact: p.desk.as_ref().map(|d| DeskOut {
                name: d.name.as_ref().map(Text::from),
                address: d.address.as_ref().map(Text::from),
                phone: d.phone.clone(),
                email: d.email.clone(),
                web: d.web.clone(),
                hours: d.hours.as_ref().map(Text::from),
            }),
            mail_classes: p
                .postal
                .iter()
                .flat_map(|r| {
                    r.accepted_mail_classes
                        .iter()
                        .map(|m| m.as_str().to_owned())
                })
                .collect(),
            documents_max_age_months: p.documents.as_ref().map(|d| d.max_age_months),
            page: format!("/procedures/{}", p.id),
        }
    }
}

/// The published procedures, machine-readable: the same facts as `/procedures`.
#[utoipa::path(
    get, path = "/api/v1/procedures", tag = "public", operation_id = "listProcedures",
    responses((status = 200, description = "Every procedure published for a place this deployment serves", body = [ProcedureOut]))
)]
pub async fn api(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list: Vec<ProcedureOut> = procedures::published(&state)
        .await?
        .iter()
        .map(ProcedureOut::from)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
