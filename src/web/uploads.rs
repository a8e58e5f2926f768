//! Reading multipart uploads from the pages: the form's CSRF token first (nothing else is read for a
//! foreign or stale form), then a bounded number of small text fields and at most one file, stopping as
//! soon as anything is larger than allowed (so an oversized or padded upload costs no more than the limits).

use std::collections::HashMap;

use actix_multipart::{Field, Multipart};
use futures_util::StreamExt;

use super::csrf::Csrf;
use super::error::WebError;
use crate::app::AppError;
use crate::domain::FieldErrors;

/// The longest text field accepted in a multipart form.
const TEXT_FIELD_MAX: usize = 10 * 1024;
/// All text fields together: a form's fields, not a bulk channel.
const TEXT_TOTAL_MAX: usize = super::BODY_LIMIT;
/// Parts in one form; the largest page form has a dozen.
const PARTS_MAX: usize = 32;
/// The token's part: a token is 100-odd characters.
const TOKEN_MAX: usize = 512;

pub struct Upload {
    /// The form's CSRF token was its first part and matched. When it did not, nothing else was read:
    /// the fields are empty and there is no file.
    pub fresh: bool,
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

fn bad(what: impl Into<String>) -> WebError {
    WebError::BadBody(what.into())
}

/// A part's bytes, refused past `limit` with `over`.
async fn bytes_of(
    field: &mut Field,
    limit: usize,
    over: impl Fn() -> WebError,
) -> Result<Vec<u8>, WebError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| bad(e.to_string()))?;
        if data.len() + chunk.len() > limit {
            return Err(over());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// Reads a page's multipart form. Pages put `csrf_token` first (browsers send parts in the form's
/// order); a form whose first part is not a matching token is answered without reading the rest.
pub async fn read(mut payload: Multipart, file_max: u64, csrf: &Csrf) -> Result<Upload, WebError> {
    let stale = Upload {
        fresh: false,
        fields: HashMap::new(),
        file: None,
    };
    let Some(first) = payload.next().await else {
        return Ok(stale);
    };
    let mut first = first.map_err(|e| bad(e.to_string()))?;
    if first.name() != Some("csrf_token") {
        return Ok(stale);
    }
    let token = bytes_of(&mut first, TOKEN_MAX, || {
        bad("field `csrf_token` is too long")
    })
    .await?;
    // The stream yields the next part only once this one is dropped.
    drop(first);
    if csrf.verify(&String::from_utf8_lossy(&token)).is_err() {
        return Ok(stale);
    }
    let mut fields = HashMap::new();
    let mut file: Option<Vec<u8>> = None;
    let mut parts = 1;
    let mut text_total = 0;
    while let Some(item) = payload.next().await {
        parts += 1;
        if parts > PARTS_MAX {
            return Err(bad(format!("more than {PARTS_MAX} parts")));
        }
        let mut field = item.map_err(|e| bad(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(bad("more than one file"));
            }
            let data = bytes_of(&mut field, file_max as usize, too_large).await?;
            // A file input left empty still sends a part with no filename and no bytes.
            let chosen = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .is_some_and(|f| !f.is_empty());
            if chosen || !data.is_empty() {
                file = Some(data);
            }
        } else {
            let limit = TEXT_FIELD_MAX.min(TEXT_TOTAL_MAX - text_total);
            let data = bytes_of(&mut field, limit, || {
                if text_total + TEXT_FIELD_MAX > TEXT_TOTAL_MAX {
                    WebError::PayloadTooLarge {
                        limit: TEXT_TOTAL_MAX as u64,
                    }
                } else {
                    bad(format!("field `{name}` is too long"))
                }
            })
            .await?;
            text_total += data.len();
            let text =
                String::from_utf8(data).map_err(|_| bad(format!("field `{name}` is not UTF-8")))?;
            fields.insert(name, text);
        }
    }
    Ok(Upload {
        fresh: true,
        fields,
        file,
    })
}

/// A urlencoded form body read whole, up to the body limit (beyond it, `payload_too_large` like every
/// other extractor), for forms whose repeated fields serde_html_form reads into lists.
/// A body read to its end, refused with 413 (naming the limit) as soon as it passes `limit` bytes, so
/// an oversized body costs no more than the limit. Handlers call it after authenticating.
pub async fn body(mut payload: actix_web::web::Payload, limit: u64) -> Result<Vec<u8>, WebError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadBody(e.to_string()))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(WebError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
