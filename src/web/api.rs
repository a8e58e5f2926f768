//! The JSON API. Field names match the web form's.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::i18n::Tr;
use crate::app::{AppError, AppState, intake, requests};
use crate::domain::request::{Channel, NewRequest, RawRequest};

#[derive(Debug, Deserialize)]
pub struct CreateRequestBody {
    #[serde(flatten)]
    request: RawRequest,
    /// `ja` or `en`; defaults to the Accept-Language choice.
    language: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    pub receipt_number: String,
    pub tracking_token: String,
    pub status_url: String,
    pub tracking_url: String,
}

pub async fn create_request(
    state: web::Data<AppState>,
    tr: Tr,
    body: web::Json<CreateRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let language = match body.language.as_deref().map(str::parse) {
        None => Ok(tr.lang),
        Some(parsed) => parsed,
    };
    let parsed = NewRequest::parse(&body.request, language.unwrap_or(tr.lang), Channel::Api);
    let request = match (parsed, language) {
        (Ok(r), Ok(_)) => r,
        (parsed, language) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(code) = language {
                errors.push("language", code);
            }
            return Err(AppError::Invalid(errors).into());
        }
    };
    let receipt = intake::submit(&state, request).await?;
    let base = &state.config.public_url;
    let status_url = format!("{base}/api/v1/requests/status/{}", receipt.tracking_token);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, status_url.clone()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Created {
            receipt_number: receipt.receipt_number.to_string(),
            tracking_url: format!("{base}/track/{}", receipt.tracking_token),
            tracking_token: receipt.tracking_token,
            status_url,
        }))
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub receipt_number: String,
    pub request_type: String,
    pub state: String,
    pub state_label: crate::domain::workflow::Label,
    pub closed: bool,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub async fn request_status(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = requests::track(&state, token.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Status {
            receipt_number: v.receipt_number,
            request_type: v.request_type.as_str().to_owned(),
            state: v.state,
            state_label: v.state_label,
            closed: v.terminal,
            received_at: v.received_at,
            updated_at: v.updated_at,
        }))
}
