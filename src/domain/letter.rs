//! The printed letter for each outgoing notice (Japanese, A4): what it says, composed from the request
//! and the notice's payload as it was when queued. Rendering to HTML is the template's job.

use chrono::{DateTime, NaiveDate, Utc};

use super::documents::{Holder, ItemStatus, Problem};
use super::notice::{NoticeKind, NoticePayload};
use super::request::RequestType;

/// Everything a letter may mention.
pub struct LetterInput<'a> {
    pub kind: NoticeKind,
    /// The day the notice was queued, at the desk.
    pub sent_on: NaiveDate,
    pub receipt_number: &'a str,
    pub request_type: RequestType,
    pub requester_name: &'a str,
    pub postal_address: Option<&'a str>,
    pub received_on: NaiveDate,
    /// The desk's name and address, as printed on the procedure's forms.
    pub desk: Option<&'a str>,
    pub complaint_authority: Option<&'a str>,
    /// The procedure's promise not to discriminate for exercising a right (CCPA), closing each letter.
    pub non_discrimination: Option<&'a str>,
    pub transfer_agent: Option<&'a str>,
    /// The notice's payload: reason, invoice, dispatch, download, missing documents, changes.
    pub payload: &'a NoticePayload,
    /// The full download address, for a released reply.
    pub download_url: Option<String>,
    /// The email-confirmation address, for that notice.
    pub confirm_url: Option<String>,
    /// The account fees are paid into, when the payload does not name it.
    pub bank_account: Option<&'a str>,
    /// Names of document kinds, in Japanese.
    pub document_name: &'a dyn Fn(&str) -> String,
}

/// A composed letter: a title, paragraphs, a table of particulars and a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letter {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub rows: Vec<(String, String)>,
    pub list_heading: Option<String>,
    pub list: Vec<String>,
}

/// 2026年11月22日
pub fn ja_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// 2026年12月17日 12:00（日本時間）
pub fn ja_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y年%-m月%-d日 %H:%M（日本時間）")
        .to_string()
}

/// ¥10,800 as 10,800円.
pub fn ja_yen(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!(
        "{sign}{}円",
        super::fees::group_thousands(amount.unsigned_abs())
    )
}

pub fn request_type_ja(t: RequestType) -> &'static str {
    match t {
        RequestType::Access => "保有個人データの開示",
        RequestType::ThirdPartyRecords => "第三者提供記録の開示",
        RequestType::PurposeNotification => "利用目的の通知",
        RequestType::Correction => "内容の訂正・追加・削除",
        RequestType::Deletion => "消去",
        RequestType::StopOfUse => "利用停止・第三者提供の停止",
        RequestType::Restriction => "処理の制限",
        RequestType::Objection => "処理への異議",
        RequestType::Portability => "データポータビリティ",
        RequestType::WithdrawConsent => "同意の撤回",
        RequestType::KnowCategories => "収集している個人情報の種類等の開示",
    }
}

fn problem_text(item: &ItemStatus, names: &dyn Fn(&str) -> String) -> String {
    let kinds: Vec<String> = item.requirement.one_of.iter().map(|k| names(k)).collect();
    let whose = match item.requirement.holder {
        Holder::Agent => "代理人の",
        Holder::Principal => "ご本人の",
    };
    let what = format!("{whose}{}", kinds.join("・"));
    match &item.problem {
        Some(Problem::NotOriginal) => format!("{what}（原本が必要です。写しは受け付けられません）"),
        Some(Problem::DateMissing) => format!("{what}（作成日を確認できませんでした）"),
        Some(Problem::Stale {
            created_on,
            earliest,
        }) => format!(
            "{what}（作成日が{}のため古すぎます。{}以降に作成されたものをお送りください）",
            ja_date(*created_on),
            ja_date(*earliest)
        ),
        Some(Problem::DatedAfterRequest { .. }) => {
            format!("{what}（作成日が請求日より後になっています）")
        }
        Some(Problem::Missing) | None => format!("{what}（同封されていませんでした）"),
    }
}

/// What each data system did: erasures, what was kept and on which ground, exports.
fn system_lines(payload: &NoticePayload) -> Vec<String> {
    payload
        .systems
        .iter()
        .map(|t| {
            let name = &t.system;
            match t.outcome.as_str() {
                "erased" => match t.deletion_method.as_deref().filter(|m| !m.is_empty()) {
                    Some(method) => {
                        format!("{name}：復元できない方法で消去しました（方法：{method}）")
                    }
                    None => format!("{name}：復元できない方法で消去しました"),
                },
                "retained" => format!(
                    "{name}：次の法的根拠により一部のデータを保持しています（{}）",
                    t.legal_ground.as_deref().unwrap_or("")
                ),
                "exported" => format!("{name}：保有するデータを回答に含めました"),
                "no_data" => format!("{name}：該当するデータはありませんでした"),
                _ => format!("{name}：対応中"),
            }
        })
        .collect()
}

fn change_lines(payload: &NoticePayload) -> Vec<String> {
    let mut lines = change_lines_only(payload);
    lines.extend(system_lines(payload));
    lines
}

fn change_lines_only(payload: &NoticePayload) -> Vec<String> {
    payload
        .changes
        .iter()
        .map(|c| {
            let item = &c.item;
            match c.action.as_str() {
                "corrected" => format!(
                    "{item}：「{}」を「{}」に訂正しました",
                    c.prior_value.as_deref().unwrap_or(""),
                    c.new_value.as_deref().unwrap_or("")
                ),
                "deleted" => format!("{item}：消去しました"),
                _ => format!("{item}：利用および第三者への提供を停止しました"),
            }
        })
        .collect()
}

/// Where the requester may turn about a decision: the desk, or the procedure's complaint authority.
fn where_to_turn(i: &LetterInput<'_>, what: &str) -> Option<String> {
    i.complaint_authority
        .map(|a| format!("{what}についてご不明な点は当窓口に、または{a}にご相談いただけます。"))
}

/// Composes the letter for a notice.
pub fn compose(i: &LetterInput<'_>) -> Letter {
    let p = i.payload;
    let kind_ja = request_type_ja(i.request_type);
    let about = format!(
        "{}付けで受け付けました{}のご請求（受付番号 {}）について、",
        ja_date(i.received_on),
        kind_ja,
        i.receipt_number
    );
    let reason = p.reason.clone();
    let mut l = Letter::default();
    match i.kind {
        NoticeKind::Received | NoticeKind::Acknowledgement => {
            l.title = "ご請求の受付について".into();
            l.paragraphs.push(format!(
                "{}付けで{}のご請求を受け付けました。受付番号は{}です。お問い合わせの際はこの番号をお知らせください。",
                ja_date(i.received_on),
                kind_ja,
                i.receipt_number
            ));
            l.paragraphs
                .push("ご本人確認のうえ、遅滞なく対応いたします。".into());
        }
        NoticeKind::IdentityRequested => {
            l.title = "ご本人確認のお願い".into();
            l.paragraphs.push(format!(
                "{about}ご本人確認のため、追加の情報をお願いいたします。"
            ));
        }
        NoticeKind::DocumentsRequested => {
            l.title = "不足書類のご送付のお願い".into();
            l.paragraphs.push(format!(
                "{about}同封いただいた本人確認書類に不足または不備がありました。下記の書類を郵送でお送りください。"
            ));
            l.paragraphs
                .push("書類が届くまでの間、回答期限の計算を停止しています。".into());
            l.list_heading = Some("お送りいただく書類".into());
            l.list = p
                .missing
                .iter()
                .map(|x| problem_text(x, i.document_name))
                .collect();
        }
        NoticeKind::Invoice => {
            l.title = "手数料のご請求（請求書）".into();
            l.paragraphs.push(format!(
                "{about}下記のとおり手数料をご請求いたします。お振り込みの際は、振込依頼人名の前に請求番号をご記入ください。振込手数料はご負担願います。"
            ));
            l.paragraphs
                .push("入金を確認した後、回答書をお送りします。".into());
            let inv = p.invoice.as_ref();
            l.rows.push((
                "請求番号".into(),
                inv.map(|v| v.number.clone()).unwrap_or_default(),
            ));
            l.rows.push((
                "ご請求額（税込）".into(),
                format!(
                    "{}（{} × {}サービス）",
                    ja_yen(inv.map_or(0, |v| v.amount_yen)),
                    ja_yen(inv.and_then(|v| v.unit_yen).unwrap_or(0)),
                    inv.and_then(|v| v.services).unwrap_or(1)
                ),
            ));
            l.rows.push((
                "お支払期限".into(),
                inv.map(|v| ja_date(v.due_on)).unwrap_or_default(),
            ));
            l.rows.push((
                "お振込先".into(),
                inv.and_then(|v| v.bank_account.as_deref())
                    .or(i.bank_account)
                    .unwrap_or("")
                    .into(),
            ));
        }
        NoticeKind::PaymentReceived => {
            l.title = "手数料の入金確認のお知らせ".into();
            l.paragraphs.push(format!(
                "{about}手数料の入金を確認いたしました。回答の準備ができ次第お送りします。"
            ));
        }
        NoticeKind::PaymentShort => {
            l.title = "手数料の不足について".into();
            l.paragraphs.push(format!(
                "{about}お振り込みいただいた金額が請求額に足りませんでした。不足額をお振り込みください。"
            ));
            let inv = p.invoice.as_ref();
            l.rows.push((
                "請求番号".into(),
                inv.map(|v| v.number.clone()).unwrap_or_default(),
            ));
            l.rows
                .push(("ご請求額".into(), ja_yen(inv.map_or(0, |v| v.amount_yen))));
            l.rows
                .push(("ご入金額".into(), ja_yen(p.paid_yen.unwrap_or(0))));
            l.rows
                .push(("不足額".into(), ja_yen(p.shortfall_yen.unwrap_or(0))));
            if let Some(b) = i.bank_account {
                l.rows.push(("お振込先".into(), b.into()));
            }
        }
        NoticeKind::DeadlineExtended => {
            l.title = "回答期限の延長について".into();
            l.paragraphs.push(format!(
                "{about}下記の理由により回答期限を延長させていただきます。"
            ));
            if let Some(due) = p.extended.first().and_then(|e| e.due_on) {
                l.rows.push(("延長後の回答期限".into(), ja_date(due)));
            }
            l.paragraphs.extend(where_to_turn(i, "この延長"));
        }
        NoticeKind::AnswerReady => {
            l.title = "回答のご案内（電磁的方法）".into();
            l.paragraphs.push(format!(
                "{about}ご希望のとおり電磁的方法により回答いたします。下記のアドレスから回答書をダウンロードしてください。"
            ));
            if let Some(url) = &i.download_url {
                l.rows.push(("ダウンロード先".into(), url.clone()));
            }
            if let Some(d) = &p.download {
                l.rows.push(("有効期限".into(), ja_time(d.expires_at)));
            }
            l.list = change_lines(p);
            if !l.list.is_empty() {
                l.list_heading = Some("対応の内容".into());
            }
        }
        NoticeKind::AnswerDispatched => {
            l.title = "回答書の送付について".into();
            l.paragraphs.push(format!(
                "{about}回答書を配達証明付書留郵便にてお送りしました。"
            ));
            if let Some(d) = &p.dispatch {
                l.rows
                    .push(("お問い合わせ番号".into(), d.tracking_number.clone()));
                l.rows.push(("発送日".into(), ja_date(d.dispatched_on)));
            }
            l.list = change_lines(p);
            if !l.list.is_empty() {
                l.list_heading = Some("対応の内容".into());
            }
        }
        NoticeKind::ActionCompleted => {
            l.title = "ご請求への対応完了のお知らせ".into();
            l.paragraphs
                .push(format!("{about}下記のとおり対応いたしました。"));
            l.list_heading = Some("対応の内容".into());
            l.list = change_lines(p);
        }
        NoticeKind::Refused => {
            l.title = "ご請求に応じられない旨のご通知".into();
            l.paragraphs.push(format!(
                "{about}個人情報の保護に関する法律第36条に基づき、下記の理由によりご請求に応じられないことをお知らせします。"
            ));
            l.paragraphs.extend(where_to_turn(i, "この決定"));
        }
        NoticeKind::NoDataHeld => {
            l.title = "保有個人データが存在しない旨のご通知".into();
            l.paragraphs.push(format!(
                "{about}お調べしましたところ、ご請求に該当する保有個人データは当社に存在しませんでした。"
            ));
        }
        NoticeKind::Referral => {
            l.title = "株主様の個人情報に関するご請求について".into();
            l.paragraphs.push(format!(
                "{about}株主様に関する個人情報は、当社の株主名簿管理人が管理しております。"
            ));
            if let Some(t) = i.transfer_agent {
                l.paragraphs
                    .push(format!("お手数ですが、{t}へ直接ご請求ください。"));
            }
        }
        NoticeKind::EmailConfirmation => {
            l.title = "メールアドレスの確認のお願い".into();
            l.paragraphs.push(format!(
                "{}付けで{}のご請求を受け付けました（受付番号 {}）。ご請求者ご本人のメールアドレスであることを確認するため、下記のアドレスを開き、確認ボタンを押してください。",
                ja_date(i.received_on),
                kind_ja,
                i.receipt_number
            ));
            l.paragraphs
                .push("確認されない場合、ご請求は期限の経過により終了します。".into());
            if let Some(url) = &i.confirm_url {
                l.rows.push(("確認用アドレス".into(), url.clone()));
            }
        }
        NoticeKind::PersonConfirmation => {
            l.title = "代理人によるご請求の確認のお願い".into();
            l.paragraphs.push(format!(
                "{}付けで、あなたの個人情報について代理人（{}様）から{}のご請求を受け付けました（受付番号 {}）。ご本人の意思によるご請求であれば、下記のアドレスを開いて確認ボタンを押してください。お心当たりがない場合は、何もせず当窓口にご連絡ください。",
                ja_date(i.received_on),
                i.requester_name,
                kind_ja,
                i.receipt_number
            ));
            if let Some(url) = &i.confirm_url {
                l.rows.push(("確認用アドレス".into(), url.clone()));
            }
        }
        NoticeKind::IdentityNotVerified => {
            l.title = "ご本人確認ができなかった旨のご通知".into();
            l.paragraphs.push(format!(
                "{about}ご本人であることを確認できなかったため、ご請求に応じることができません。個人情報の開示・削除等は一切行っていません。"
            ));
            l.paragraphs.push(
                "改めてご請求いただく際は、ご登録のアカウントにログインしたうえでご請求いただくか、当社が保有する情報と照合できる事項（電話番号、郵便番号、直近のご注文番号など）をお知らせください。"
                    .into(),
            );
            l.paragraphs.extend(where_to_turn(i, "この決定"));
        }
        NoticeKind::DownloadExpiring => {
            l.title = "回答のダウンロード期限が近づいています".into();
            l.paragraphs.push(format!(
                "{about}お送りした回答のダウンロード用リンクの有効期限が近づいています。期限を過ぎると回答データは消去されますので、お早めにダウンロードしてください。"
            ));
            if let Some(d) = &p.download {
                l.rows.push(("有効期限".into(), ja_time(d.expires_at)));
            }
        }
        NoticeKind::StaffAssigned | NoticeKind::StaffDueSoon | NoticeKind::StaffOverdue => {
            // Staff notices go by email only; a letter would name the request and nothing more.
            l.title = "担当者への通知".into();
            l.paragraphs.push(format!(
                "受付番号 {} のご請求についての社内通知です。",
                i.receipt_number
            ));
        }
        NoticeKind::UnconfirmedExpired => {
            l.title = "ご請求の終了について（メールアドレス未確認）".into();
            l.paragraphs.push(format!(
                "{about}メールアドレスの確認が期限内に行われなかったため、ご請求を終了しました。改めてご請求いただけます。"
            ));
        }
        NoticeKind::ChannelNotAccepted => {
            l.title = "ご請求を受け付けられない旨のご通知".into();
            l.paragraphs.push(format!(
                "{}に届いたご請求は、当社が定める方法（所定の請求書に必要書類を同封し、簡易書留または配達証明付書留郵便で送付）によるものではないため、受け付けることができません。",
                ja_date(i.received_on)
            ));
            l.paragraphs.push(
                "お手数ですが、所定の方法で改めてご請求ください。請求書の様式は当社ウェブサイトから印刷できます。"
                    .into(),
            );
        }
    }
    if let Some(part) = p
        .partial_refusal
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        // Answered in part: what was refused, why, and where to turn.
        l.paragraphs.push(format!(
            "ご請求の一部には応じられません。その部分と理由は次のとおりです：{part}"
        ));
        l.paragraphs.extend(where_to_turn(i, "この決定"));
    }
    if let Some(r) = reason {
        l.rows.push(("理由".into(), r));
    }
    // Every letter about the request says that asking costs nothing in service, price or quality, except
    // the confirmation links (they are about the address, not a right yet).
    if !matches!(
        i.kind,
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation
    ) {
        l.paragraphs.extend(i.non_discrimination.map(str::to_owned));
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: serde_json::Value) -> NoticePayload {
        serde_json::from_value(v).unwrap()
    }

    fn input<'a>(
        kind: NoticeKind,
        payload: &'a NoticePayload,
        names: &'a dyn Fn(&str) -> String,
    ) -> LetterInput<'a> {
        LetterInput {
            kind,
            sent_on: "2026-11-22".parse().unwrap(),
            receipt_number: "KJ-20261119-ABCD",
            request_type: RequestType::Access,
            requester_name: "山田 太郎",
            postal_address: Some("〒100-0001 東京都千代田区千代田1-1"),
            received_on: "2026-11-19".parse().unwrap(),
            desk: Some("個人情報担当"),
            complaint_authority: Some("個人情報保護委員会"),
            non_discrimination: None,
            transfer_agent: Some("信託銀行"),
            payload,
            download_url: Some("https://kaiji.example/download/x.y".into()),
            confirm_url: None,
            bank_account: Some("銀行 普通 1234567"),
            document_name: names,
        }
    }

    #[test]
    fn every_kind_has_a_letter_with_a_title() {
        let names = |k: &str| k.to_owned();
        for &kind in NoticeKind::ALL {
            let p = NoticePayload::default();
            let l = compose(&input(kind, &p, &names));
            assert!(!l.title.is_empty() && !l.paragraphs.is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn the_invoice_states_amount_per_service_due_date_and_account() {
        let names = |k: &str| k.to_owned();
        let p = payload(
            json!({"invoice": {"number": "INV-1", "unit_yen": 5400, "services": 2, "amount_yen": 10800, "due_on": "2026-12-06"}}),
        );
        let l = compose(&input(NoticeKind::Invoice, &p, &names));
        assert!(l.rows.contains(&(
            "ご請求額（税込）".into(),
            "10,800円（5,400円 × 2サービス）".into()
        )));
        assert!(
            l.rows
                .contains(&("お支払期限".into(), "2026年12月6日".into()))
        );
        assert!(
            l.rows
                .contains(&("お振込先".into(), "銀行 普通 1234567".into()))
        );
    }

    #[test]
    fn missing_documents_are_listed_with_why() {
        let names = |k: &str| match k {
            "seal_certificate" => "印鑑証明書".to_owned(),
            "juminhyo" => "住民票の写し".to_owned(),
            other => other.to_owned(),
        };
        let p = payload(json!({"reason": "印鑑証明書がありません", "missing": [
            {"requirement": {"holder": "principal", "one_of": ["seal_certificate"], "original": true, "fresh": false}, "problem": {"problem": "missing"}},
            {"requirement": {"holder": "principal", "one_of": ["juminhyo"], "original": true, "fresh": true}, "problem": {"problem": "stale", "created_on": "2026-02-27", "earliest": "2026-02-28"}},
        ]}));
        let l = compose(&input(NoticeKind::DocumentsRequested, &p, &names));
        assert_eq!(l.list[0], "ご本人の印鑑証明書（同封されていませんでした）");
        assert!(l.list[1].contains("2026年2月27日") && l.list[1].contains("2026年2月28日以降"));
        assert!(
            l.rows
                .contains(&("理由".into(), "印鑑証明書がありません".into()))
        );
    }

    #[test]
    fn extensions_give_the_new_date_and_partial_refusals_their_reasons() {
        let names = |k: &str| k.to_owned();
        let p = payload(
            json!({"reason": "多数の請求", "extended": [{"clock": "response", "due_on": "2027-02-22"}]}),
        );
        let l = compose(&input(NoticeKind::DeadlineExtended, &p, &names));
        assert!(
            l.rows
                .contains(&("延長後の回答期限".into(), "2027年2月22日".into()))
        );
        assert!(l.rows.contains(&("理由".into(), "多数の請求".into())));
        let p =
            payload(json!({"partial_refusal": "第三者の個人情報を含む通話録音（法33条2項1号）"}));
        let l = compose(&input(NoticeKind::AnswerReady, &p, &names));
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("一部には応じられません") && x.contains("通話録音"))
        );
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("個人情報保護委員会"))
        );
    }

    #[test]
    fn a_deletion_reply_lists_each_systems_outcome() {
        let names = |k: &str| k.to_owned();
        let p = payload(json!({"systems": [
            {"system": "Orders", "kind": "erase", "outcome": "retained", "legal_ground": "法人税法による帳簿保存"},
            {"system": "Support", "kind": "erase", "outcome": "erased"},
            {"system": "Marketing", "kind": "erase", "outcome": "no_data"}]}));
        let l = compose(&input(NoticeKind::ActionCompleted, &p, &names));
        assert_eq!(
            l.list,
            [
                "Orders：次の法的根拠により一部のデータを保持しています（法人税法による帳簿保存）",
                "Support：復元できない方法で消去しました",
                "Marketing：該当するデータはありませんでした"
            ]
        );
    }

    #[test]
    fn replies_say_what_was_changed_and_refusals_where_to_complain() {
        let names = |k: &str| k.to_owned();
        let p = payload(
            json!({"dispatch": {"tracking_number": "1311-2383-852", "dispatched_on": "2026-11-25"},
                       "changes": [{"action": "corrected", "item": "住所", "prior_value": "旧", "new_value": "新"},
                                   {"action": "deleted", "item": "購買履歴"}]}),
        );
        let l = compose(&input(NoticeKind::AnswerDispatched, &p, &names));
        assert_eq!(
            l.list,
            [
                "住所：「旧」を「新」に訂正しました",
                "購買履歴：消去しました"
            ]
        );
        assert!(l.rows.contains(&("発送日".into(), "2026年11月25日".into())));
        let p = payload(json!({"reason": "法第33条第2項第2号に該当するため"}));
        let l = compose(&input(NoticeKind::Refused, &p, &names));
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("個人情報保護委員会"))
        );
        assert!(l.paragraphs[0].contains("第36条"));
        assert_eq!(ja_yen(1_234_567), "1,234,567円");
        let mut i = input(NoticeKind::Refused, &p, &names);
        i.non_discrimination = Some("差別しません。");
        assert_eq!(compose(&i).paragraphs.last().unwrap(), "差別しません。");
        i.kind = NoticeKind::EmailConfirmation;
        assert!(!compose(&i).paragraphs.iter().any(|x| x == "差別しません。"));
    }
}
