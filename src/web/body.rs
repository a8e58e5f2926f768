//! The API's bodies and query strings, parsed strictly into one error shape: a 422 `validation_failed`
//! whose `fields` name each problem by its dotted path (`points.0.name`). A body must be a JSON object;
//! a field the type does not know is refused by name (a misspelt optional field would otherwise be
//! silently dropped); a missing field is `required`; a value of the wrong kind is `wrong_type`; text a
//! database cannot store (NUL) is `invalid_characters`. Only bytes that are not JSON at all are a 400.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, WebError};
use crate::app::AppError;
use crate::domain::FieldErrors;

/// A JSON body read but not yet parsed. Staff API handlers take it so that who is asking (their role) is
/// checked before the body's shape: a wrong role always gets 403, whatever it sent. `parse` then refuses
/// a body without a JSON content type (415), bytes that are not JSON (400) and any field problem (422);
/// a body over the limit was already refused here (413).
pub struct ApiJson<T> {
    bytes: Vec<u8>,
    json: bool,
    _body: std::marker::PhantomData<T>,
}

impl<T> ApiJson<T> {
    /// Reads the body with a limit of the route's own, for the few JSON bodies that carry a file.
    pub async fn read(
        req: &actix_web::HttpRequest,
        payload: actix_web::web::Payload,
        limit: u64,
    ) -> Result<Self, WebError> {
        let json = is_json(req);
        Ok(ApiJson {
            bytes: super::uploads::body(payload, limit).await?,
            json,
            _body: std::marker::PhantomData,
        })
    }
}

impl<T: DeserializeOwned> ApiJson<T> {
    pub fn parse(self) -> Result<actix_web::web::Json<T>, WebError> {
        if !self.json {
            return Err(WebError::UnsupportedMediaType);
        }
        let value: Value = serde_json::from_slice(&self.bytes)
            .map_err(|e| WebError::BadBody(format!("the body is not JSON: {e}")))?;
        strict(&value)
            .map(actix_web::web::Json)
            .map_err(|f| WebError::App(AppError::Invalid(f)))
    }
}

impl<T: 'static> actix_web::FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let json = is_json(req);
        let payload = actix_web::web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            let payload = payload.map_err(|e| WebError::BadBody(e.to_string()))?;
            let bytes = super::uploads::body(payload, super::BODY_LIMIT as u64).await?;
            Ok(ApiJson {
                bytes,
                json,
                _body: std::marker::PhantomData,
            })
        })
    }
}

fn is_json(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// A query string parsed as strictly as a body (unknown parameters aside: links and caches add their
/// own), its problems as 422 field errors named by parameter.
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> actix_web::FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            query(req.query_string())
                .map(ApiQuery)
                .map_err(|f| ApiError(WebError::App(AppError::Invalid(f)))),
        )
    }
}

/// Parses a query string; a parameter given twice is refused (serde: a duplicate field).
pub fn query<T: DeserializeOwned>(q: &str) -> Result<T, FieldErrors> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
    let mut track = serde_path_to_error::Track::new();
    T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track)).map_err(|e| {
        let mut errors = FieldErrors::new();
        let (field, code) = problem(&e.to_string(), &track.path().to_string());
        errors.push(
            if field.is_empty() {
                "query".into()
            } else {
                field
            },
            code,
        );
        errors
    })
}

/// Deserializes a JSON value into `T`, refusing what is not an object, NULs, unknown fields and type
/// errors, each named by its path.
pub fn strict<T: DeserializeOwned>(value: &Value) -> Result<T, FieldErrors> {
    let mut errors = FieldErrors::new();
    if !value.is_object() {
        errors.push("body", "not_an_object");
        return Err(errors);
    }
    nul_fields(value, "", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let value = &whole_numbers(value.clone());
    let mut unknown: Vec<String> = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let parsed = {
        let mut note = |p: serde_ignored::Path| unknown.push(dotted(&p));
        let de = serde_ignored::Deserializer::new(value, &mut note);
        T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
    };
    match parsed {
        Ok(v) if unknown.is_empty() => Ok(v),
        Ok(_) => {
            for field in unknown {
                errors.push(field, "unknown_field");
            }
            Err(errors)
        }
        Err(e) => {
            let at = track
                .path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                    serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                    serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                    serde_path_to_error::Segment::Unknown => None,
                })
                .collect::<Vec<_>>()
                .join(".");
            let (field, code) = problem(&e.to_string(), &at);
            errors.push(
                if field.is_empty() {
                    "body".into()
                } else {
                    field
                },
                code,
            );
            Err(errors)
        }
    }
}

/// serde's error in our terms: the field it is about and a stable code. serde names a missing or
/// unknown field in its message, and the tracked path then ends at the object that lacks or has it.
fn problem(message: &str, at: &str) -> (String, &'static str) {
    let join = |name: &str| {
        if at.is_empty() || at == "." {
            name.to_owned()
        } else {
            format!("{at}.{name}")
        }
    };
    let named = || {
        message
            .split('`')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let here = if at == "." {
        String::new()
    } else {
        at.to_owned()
    };
    if message.starts_with("missing field") {
        (join(&named()), "required")
    } else if message.starts_with("unknown field") {
        // The tracked path already ends at the unknown key itself.
        let name = named();
        if here == name || here.ends_with(&format!(".{name}")) {
            (here, "unknown_field")
        } else {
            (join(&name), "unknown_field")
        }
    } else if message.starts_with("unknown variant") {
        (here, "unknown_value")
    } else if message.starts_with("invalid type") {
        (here, "wrong_type")
    } else {
        (here, "invalid_value")
    }
}

fn dotted(p: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    let mut parts = Vec::new();
    let mut at = p;
    loop {
        match at {
            Path::Root => break,
            Path::Seq { parent, index } => {
                parts.push(index.to_string());
                at = parent;
            }
            Path::Map { parent, key } => {
                parts.push(key.clone());
                at = parent;
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => at = parent,
        }
    }
    parts.reverse();
    parts.join(".")
}

/// JSON has one kind of number: `3.0` is the integer 3 (as JSON Schema's `integer` says), so a number
/// with no fraction is read as an integer wherever one is expected.
fn whole_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, x)| (k, whole_numbers(x)))
                .collect(),
        ),
        other => other,
    }
}

/// Every field (its dotted path: `points.0.name`) whose text holds a NUL.
fn nul_fields(v: &Value, at: &str, errors: &mut FieldErrors) {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => errors.push(
            if at.is_empty() {
                "body".to_owned()
            } else {
                at.to_owned()
            },
            "invalid_characters",
        ),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                nul_fields(x, &join(&i.to_string()), errors);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                if k.contains('\0') {
                    errors.push(join(&k.replace('\0', "")), "invalid_characters");
                } else {
                    nul_fields(x, &join(k), errors);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Point {
        name: String,
        matched: bool,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        expected_version: i64,
        #[serde(default)]
        points: Vec<Point>,
        note: Option<String>,
    }

    fn fields(r: Result<Body, FieldErrors>) -> Vec<(String, &'static str)> {
        r.unwrap_err()
            .iter()
            .map(|e| (e.field.to_string(), e.code))
            .collect()
    }

    #[test]
    fn a_body_must_be_an_object() {
        for v in [
            json!([]),
            json!([{"expected_version": 1}]),
            json!(1),
            json!(null),
        ] {
            assert_eq!(
                fields(strict(&v)),
                vec![("body".into(), "not_an_object")],
                "{v}"
            );
        }
    }

    #[test]
    fn problems_are_named_by_their_path() {
        assert_eq!(
            fields(strict(&json!({}))),
            vec![("expected_version".into(), "required")]
        );
        assert_eq!(
            fields(strict(&json!({"expected_version": "1"}))),
            vec![("expected_version".into(), "wrong_type")]
        );
        assert_eq!(
            fields(strict(
                &json!({"expected_version": 1, "points": [{"name": "a", "matched": true}, {"name": "b"}]})
            )),
            vec![("points.1.matched".into(), "required")]
        );
        assert_eq!(
            fields(strict(
                &json!({"expected_version": 1, "points": [{"name": 3, "matched": true}]})
            )),
            vec![("points.0.name".into(), "wrong_type")]
        );
    }

    #[test]
    fn every_unknown_field_is_refused_by_name() {
        assert_eq!(
            fields(strict(&json!({
                "expected_version": 1, "notes": "x", "points": [{"name": "a", "matched": true, "why": 1}]
            }))),
            vec![
                ("notes".into(), "unknown_field"),
                ("points.0.why".into(), "unknown_field")
            ]
        );
    }

    #[test]
    fn nul_is_refused_where_it_is() {
        assert_eq!(
            fields(strict(&json!({"expected_version": 1, "note": "a\u{0}b"}))),
            vec![("note".into(), "invalid_characters")]
        );
    }

    #[test]
    fn a_good_body_parses() {
        let b: Body = strict(&json!({"expected_version": 2, "note": null})).unwrap();
        assert_eq!(b.expected_version, 2);
        // 3.0 is the integer 3 in JSON; 3.5 is not an integer.
        let b: Body = strict(&json!({"expected_version": 3.0})).unwrap();
        assert_eq!(b.expected_version, 3);
        assert_eq!(
            fields(strict(&json!({"expected_version": 3.5}))),
            vec![("expected_version".into(), "wrong_type")]
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Q {
        page: Option<u32>,
        state: Option<String>,
    }

    #[test]
    fn a_query_names_its_bad_parameter() {
        let e = query::<Q>("page=x&state=a").unwrap_err();
        let got: Vec<_> = e.iter().map(|e| (e.field.to_string(), e.code)).collect();
        assert_eq!(got, vec![("page".to_owned(), "invalid_value")]);
        let q: Q = query("page=2&other=1").unwrap();
        assert_eq!(q.page, Some(2));
    }
}
