//! The printable request forms as A4 PDF files (blank, or filled in from a draft): the same content as
//! the print view, set with the vendored font so that the requester's printer needs nothing else.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::csrf::CsrfForm;
use super::error::PageError;
use super::forms::{
    DraftInput, PrintPage, RequesterQuery, checked_draft, form_kind, print_page, procedure,
    requester,
};
use crate::app::{AppError, AppState};
use crate::i18n::Tr;
use crate::i18n::pdf::{FormPart, form_pdf};

/// The form's parts, in the print view's order.
fn parts(p: &PrintPage) -> Vec<FormPart> {
    let d = p.draft.as_ref();
    let text =
        |f: &dyn Fn(&crate::domain::postal::FormDraft) -> String| d.map(f).unwrap_or_default();
    let mut out = vec![
        FormPart::Right(format!(
            "請求日　{}",
            d.map(|d| d.request_date.format("%Y年%-m月%-d日").to_string())
                .unwrap_or_else(|| "　　　　年　　月　　日".into())
        )),
        FormPart::To(format!("{}　御中", p.addressee)),
        FormPart::Title(p.title.to_owned()),
        FormPart::Para("個人情報の保護に関する法律に基づき、以下のとおり請求します。".into()),
        FormPart::Heading("請求者（ご本人）".into()),
        FormPart::Rows(vec![
            (
                "フリガナ".into(),
                text(&|d| d.name_kana.as_str().to_owned()),
            ),
            (
                "氏名　　　　　　印".into(),
                text(&|d| d.name.as_ref().to_owned()),
            ),
            (
                "住所".into(),
                text(&|d| d.postal_address.as_str().to_owned()),
            ),
            ("電話番号".into(), text(&|d| d.phone.clone())),
            (
                "メール（任意）".into(),
                text(&|d| {
                    d.email
                        .as_ref()
                        .map(|e| e.as_ref().to_owned())
                        .unwrap_or_default()
                }),
            ),
        ]),
    ];
    if p.requester_kind != "self" {
        out.push(FormPart::Heading(format!(
            "代理人（{}）",
            p.requester_label
        )));
        out.push(FormPart::Rows(vec![
            (
                "フリガナ".into(),
                text(&|d| {
                    d.agent_name_kana
                        .as_ref()
                        .map(|k| k.as_str().to_owned())
                        .unwrap_or_default()
                }),
            ),
            (
                "氏名　　　　　　印".into(),
                text(&|d| {
                    d.agent_name
                        .as_ref()
                        .map(|a| a.as_ref().to_owned())
                        .unwrap_or_default()
                }),
            ),
            (
                "住所".into(),
                text(&|d| {
                    d.agent_address
                        .as_ref()
                        .map(|a| a.as_str().to_owned())
                        .unwrap_or_default()
                }),
            ),
        ]));
    }
    out.push(FormPart::Heading("対象サービス".into()));
    let services: Vec<(String, String)> = match d {
        Some(d) => d
            .services
            .iter()
            .enumerate()
            .map(|(n, s)| (format!("{}", n + 1), s.as_str().to_owned()))
            .collect(),
        None => vec![("1".into(), String::new()), ("2".into(), String::new())],
    };
    out.push(FormPart::Rows(services));
    out.push(FormPart::Heading("請求の内容".into()));
    let mark = |on: bool| if on { "■" } else { "□" };
    match p.code {
        "disclosure" => {
            let third = d.is_some_and(|d| d.third_party_records);
            let electronic = d.map(|d| d.electronic_delivery);
            out.push(FormPart::Para(format!(
                "□ 保有個人データの開示　{} 第三者提供記録の開示（法第33条第5項）",
                mark(third)
            )));
            out.push(FormPart::Para(format!(
                "開示の方法：{} 書面（配達証明付書留郵便）　{} 電磁的方法",
                mark(electronic == Some(false)),
                mark(electronic == Some(true))
            )));
        }
        "correction" => {
            out.push(FormPart::Para(
                p.changes
                    .iter()
                    .map(|(_, label, on)| format!("{} {label}", mark(*on)))
                    .collect::<Vec<_>>()
                    .join("　"),
            ));
            out.push(FormPart::Rows(vec![
                ("現在の内容".into(), text(&|d| d.current_content.clone())),
                ("訂正等後の内容".into(), text(&|d| d.new_content.clone())),
            ]));
        }
        _ => {}
    }
    out.push(FormPart::Rows(vec![(
        "詳細".into(),
        text(&|d| d.details.clone()),
    )]));
    out.push(FormPart::Heading(format!(
        "同封していただく書類（{}）",
        p.requester_label
    )));
    out.push(FormPart::Items(
        p.checklist.iter().map(|l| format!("□ {l}")).collect(),
    ));
    out.push(FormPart::Items(
        p.document_notes.iter().map(|n| format!("※ {n}")).collect(),
    ));
    if let Some(fee) = &p.fee {
        out.push(FormPart::Heading("事務手数料".into()));
        out.push(FormPart::Para(fee.clone()));
    }
    out.push(FormPart::Heading("送付方法".into()));
    out.push(FormPart::Para(format!(
        "この請求書と書類を{}で下記あてにお送りください。電話・FAX・電子メール・ご来訪による請求はお受けできません。",
        p.mail
    )));
    out.push(FormPart::Para(p.desk.clone()));
    if !p.contact.is_empty() {
        out.push(FormPart::Para(format!(
            "お問合せ窓口：{}",
            p.contact.join("　")
        )));
    }
    out
}

/// A draft, filled in online, as the PDF of its form (or the draft page again with what is wrong).
pub async fn draft(
    state: web::Data<AppState>,
    tr: Tr,
    code: web::Path<String>,
    input: CsrfForm<DraftInput>,
) -> Result<HttpResponse, PageError> {
    match checked_draft(&state, tr, &code, input).await? {
        Ok(page) => download(page).await,
        Err(back) => Ok(back),
    }
}

/// The form as a PDF download.
async fn download(page: PrintPage) -> Result<HttpResponse, PageError> {
    let filename = format!("form-{}.pdf", page.code);
    let title = page.title.to_owned();
    let all = parts(&page);
    let pdf = web::block(move || form_pdf(&title, &all))
        .await
        .map_err(|_| AppError::Definition("the PDF task was cancelled".into()))?
        .map_err(|e| AppError::Definition(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(pdf))
}

/// A blank form as a PDF, for the requester kind asked.
pub async fn blank(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<RequesterQuery>,
) -> Result<HttpResponse, PageError> {
    let form = form_kind(&code)?;
    let p = procedure(&state).await?;
    download(print_page(&p, form, requester(&query), None)?).await
}
