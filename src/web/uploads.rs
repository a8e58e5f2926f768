//! Reading multipart uploads: small text fields and at most one file, stopping as soon as the file is
//! larger than allowed (so an oversized upload costs no more than the limit).

use std::collections::HashMap;

use actix_multipart::Multipart;
use futures_util::StreamExt;

use super::error::WebError;
use crate::app::AppError;
use crate::domain::FieldErrors;

/// The longest text field accepted in a multipart form.
const TEXT_FIELD_MAX: usize = 10 * 1024;

pub struct Upload {
    pub fields: HashMap<String, String>,
    /// The bytes of the `file` field, when one was chosen (an empty file input sends nothing useful).
    pub file: Option<Vec<u8>>,
}

impl Upload {
    pub fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

fn too_large() -> WebError {
    let mut errors = FieldErrors::new();
    errors.push("file", "file_too_large");
    WebError::App(AppError::Invalid(errors))
}

pub async fn read(mut payload: Multipart, file_max: u64) -> Result<Upload, WebError> {
    let mut fields = HashMap::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(item) = payload.next().await {
        let mut field = item.map_err(|e| WebError::BadBody(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        let limit = if is_file {
            file_max as usize
        } else {
            TEXT_FIELD_MAX
        };
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::BadBody(e.to_string()))?;
            if data.len() + chunk.len() > limit {
                return Err(if is_file {
                    too_large()
                } else {
                    WebError::BadBody(format!("field `{name}` is too long"))
                });
            }
            data.extend_from_slice(&chunk);
        }
        if is_file {
            // A file input left empty still sends a part with no filename and no bytes.
            let chosen = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .is_some_and(|f| !f.is_empty());
            if chosen || !data.is_empty() {
                file = Some(data);
            }
        } else {
            let text = String::from_utf8(data)
                .map_err(|_| WebError::BadBody(format!("field `{name}` is not UTF-8")))?;
            fields.insert(name, text);
        }
    }
    Ok(Upload { fields, file })
}

/// A urlencoded form body read whole, up to the body limit (beyond it, `payload_too_large` like every
/// other extractor), for forms whose repeated fields serde_html_form reads into lists.
pub async fn form_body(mut payload: actix_web::web::Payload) -> Result<Vec<u8>, WebError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadBody(e.to_string()))?;
        if body.len() + chunk.len() > super::BODY_LIMIT {
            return Err(WebError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON body read but not yet parsed. Staff API handlers take it so that who is asking (their role) is
/// checked before the body's shape: a wrong role always gets 403, whatever it sent. `parse` then gives
/// the same errors as the JSON extractor (415 without a JSON content type, 400 for a bad body; 413 over
/// the body limit already here).
pub struct StaffJson<T> {
    bytes: Vec<u8>,
    json: bool,
    _body: std::marker::PhantomData<T>,
}

impl<T: serde::de::DeserializeOwned> StaffJson<T> {
    pub fn parse(self) -> Result<actix_web::web::Json<T>, WebError> {
        if !self.json {
            return Err(WebError::UnsupportedMediaType);
        }
        serde_json::from_slice(&self.bytes)
            .map(actix_web::web::Json)
            .map_err(|e| WebError::BadBody(format!("Json deserialize error: {e}")))
    }
}

impl<T: 'static> actix_web::FromRequest for StaffJson<T> {
    type Error = super::error::ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        let payload = actix_web::web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            let payload = payload.map_err(|e| WebError::BadBody(e.to_string()))?;
            let bytes = form_body(payload).await?;
            Ok(StaffJson {
                bytes,
                json,
                _body: std::marker::PhantomData,
            })
        })
    }
}
