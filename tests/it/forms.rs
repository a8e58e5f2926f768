//! The three printable request forms of the postal procedure, blank and filled in from a draft.

use crate::common;

use common::TestApp;

both_backends!(
    forms_carry_the_desk_the_documents_and_the_fee,
    drafts_become_filled_in_forms,
    forms_download_as_pdf_blank_or_filled_in
);

/// The forms as PDF: blank with lines to write on, or filled in from a draft; the text read back with
/// poppler says the same as the print view, addressed 御中 alone.
async fn forms_download_as_pdf_blank_or_filled_in(app: TestApp) {
    let b = app.browser();
    let blank = b.get("/forms/correction/pdf?requester=legal_agent").await;
    assert_eq!(blank.status, 200);
    assert_eq!(blank.headers["content-type"], "application/pdf");
    let draft = b
        .get("/forms/disclosure/draft?requester=agent&lang=ja")
        .await;
    let fields = [
        ("csrf_token", draft.csrf()),
        ("requester_kind", "agent".into()),
        ("name", "山田 花子".into()),
        ("name_kana", "やまだ はなこ".into()),
        (
            "postal_address",
            "〒100-0001 東京都千代田区千代田1-1".into(),
        ),
        ("phone", "03-0000-0000".into()),
        ("agent_name", "山田 一郎".into()),
        ("agent_name_kana", "ヤマダ イチロウ".into()),
        ("agent_address", "〒150-0002 東京都渋谷区渋谷2-1".into()),
        ("request_date", "2026-11-20".into()),
        ("services", "ConoHa".into()),
        ("delivery", "registered_mail".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let filled = b.post_form("/forms/disclosure/pdf?lang=ja", &fields).await;
    assert_eq!(filled.status, 200, "{}", filled.body);
    assert_eq!(filled.headers["content-type"], "application/pdf");
    if let Ok(dir) = std::env::var("KAIJI_SCREENSHOTS") {
        std::fs::write(format!("{dir}/form-disclosure.pdf"), &filled.raw).unwrap();
    }
    let Some(text) = common::poppler("pdftotext", &[], &filled.raw) else {
        return;
    };
    for expected in [
        "個人情報開示請求書",
        "2026年11月20日",
        "GMOインターネット株式会社 GPUクラウド byGMO 個人情報担当",
        "御中",
        "ハナコ",
        "山田 一郎",
        "■ 書面（配達証明付書留郵便）",
        "マイナンバーカード（個人番号カード）",
        "個人番号（マイナンバー）が分かる書類は送らないでください",
        "5,400円（税込）× 1サービス",
        "お問合せ窓口：https://gpu.cloud.gmo.jp",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!text.contains("宛"), "{text}");
    let fonts = common::poppler("pdffonts", &[], &filled.raw).unwrap();
    assert!(fonts.contains("IPAexGothic"), "{fonts}");
    let blank = common::poppler("pdftotext", &[], &blank.raw).unwrap();
    assert!(
        blank.contains("代理人の戸籍謄本（戸籍全部事項証明書）"),
        "{blank}"
    );
}

async fn forms_carry_the_desk_the_documents_and_the_fee(app: TestApp) {
    let b = app.browser();
    let index = b.get("/forms?lang=ja").await;
    assert_eq!(index.status, 200);
    for title in [
        "個人情報開示請求書",
        "個人情報の内容の訂正等請求書",
        "利用目的通知請求書",
    ] {
        assert!(index.body.contains(title), "{title}");
    }
    assert!(
        index.body.contains("〒150-8512 東京都渋谷区桜丘町26-1"),
        "the desk's address"
    );
    assert!(index.body.contains("1サービスにつき5,400円（税込）"));

    let blank = b.get("/forms/disclosure?requester=self").await;
    assert_eq!(blank.status, 200);
    assert!(
        blank
            .body
            .contains("<h1 id=\"form-title\">個人情報開示請求書</h1>")
    );
    // The 2026 catalogue: abolished and expired cards are no longer offered; cards are sent as copies
    // with what to hide; the 個人番号 is never asked for.
    assert!(
        blank
            .body
            .contains("住民票の写し（原本）　※請求日前1か月以内に作成されたもの"),
        "{}",
        blank.body
    );
    assert!(blank.body.contains(
        "マイナンバーカード（個人番号カード）、運転免許証、運転経歴証明書（2012年4月1日以降に交付されたもの）、パスポート、在留カード、特別永住者証明書、資格確認書（健康保険）（コピー）"
    ));
    for gone in ["外国人登録", "健康保険証", "年金手帳", "写し可"] {
        assert!(!blank.body.contains(gone), "{gone} no longer offered");
    }
    let notes = &blank.body[blank.body.find("id=\"f-document-notes\"").unwrap()..];
    for note in [
        "マイナンバーカード（個人番号カード）：表面のみをコピーしてください",
        "資格確認書（健康保険）：保険者番号と被保険者等記号・番号を黒く塗りつぶしてから",
        "住民票の写し：個人番号（マイナンバー）の記載のないもの",
        "個人番号（マイナンバー）が分かる書類は送らないでください",
    ] {
        assert!(notes.contains(note), "{note}: {notes}");
    }
    assert!(blank.body.contains("簡易書留郵便または配達証明付書留郵便"));
    // Addressed to the desk by name, once honoured (御中 alone, never 宛 and 御中 together).
    assert_eq!(
        blank.text_of("form-addressee").as_deref(),
        Some("GMOインターネット株式会社 GPUクラウド byGMO 個人情報担当　御中")
    );
    assert!(!blank.body.contains("宛"), "{}", blank.body);
    assert_eq!(
        blank.text_of("f-contact").as_deref(),
        Some("お問合せ窓口：https://gpu.cloud.gmo.jp"),
        "the desk's contact, from the workflow"
    );

    let agent = b.get("/forms/purpose?requester=agent").await;
    for line in [
        "ご本人の委任状（原本）",
        "ご本人の委任状に押印した印鑑の印鑑証明書（原本）",
        "代理人のマイナンバーカード（個人番号カード）、運転免許証",
    ] {
        assert!(agent.body.contains(line), "{line}");
    }
    let legal = b.get("/forms/correction?requester=legal_agent").await;
    assert!(legal.body.contains("代理人の戸籍謄本（戸籍全部事項証明書）、戸籍抄本（戸籍個人事項証明書）、家庭裁判所の証明書、登記事項証明書（後見登記）（原本）　※請求日前1か月以内に作成されたもの"), "{}", legal.body);
    assert!(
        !legal.body.contains("事務手数料"),
        "corrections carry no fee"
    );
    assert_eq!(b.get("/forms/complaint").await.status, 404);
}

async fn drafts_become_filled_in_forms(app: TestApp) {
    let b = app.browser();
    let draft = b
        .get("/forms/disclosure/draft?requester=self&lang=ja")
        .await;
    assert_eq!(draft.status, 200);
    let fields = |name: &str| {
        vec![
            ("csrf_token", draft.csrf()),
            ("requester_kind", "self".to_owned()),
            ("name", name.to_owned()),
            ("name_kana", "ﾔﾏﾀﾞ ﾀﾛｳ".to_owned()),
            (
                "postal_address",
                "〒100-0001 東京都千代田区千代田1-1".to_owned(),
            ),
            ("phone", "03-0000-0000".to_owned()),
            ("request_date", "2026-11-20".to_owned()),
            ("services", "GPUクラウド byGMO\nConoHa".to_owned()),
            ("delivery", "electronic".to_owned()),
            ("third_party_records", "on".to_owned()),
            ("details", "2025年以降の利用履歴".to_owned()),
        ]
    };
    let bad = fields("");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post_form("/forms/disclosure?lang=ja", &bad).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.text_of("name-error").unwrap(), "入力してください。");
    assert!(res.body.contains("2025年以降の利用履歴"), "input kept");

    let good = fields("山田 太郎");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.post_form("/forms/disclosure?lang=ja", &good).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.text_of("f-name").unwrap(), "山田 太郎");
    assert_eq!(
        res.text_of("f-name-kana").unwrap(),
        "ヤマダ\u{3000}タロウ",
        "フリガナ printed full-width, as banks' half-width matches it"
    );
    assert!(res.body.contains("2026年11月20日"));
    assert!(
        res.body
            .contains("<li>GPUクラウド byGMO</li><li>ConoHa</li>")
    );
    assert!(res.body.contains("5,400円（税込）× 2サービス ＝ 10,800円"));
    assert!(
        res.body
            .contains("□ 書面（配達証明付書留郵便）　■ 電磁的方法")
    );
    assert!(res.body.contains("■ 第三者提供記録の開示"));
    assert_eq!(
        app.count("requests"),
        0,
        "a draft is not a request and is not stored"
    );

    let forged = good
        .iter()
        .map(|(k, v)| {
            if *k == "csrf_token" {
                (*k, "x")
            } else {
                (*k, *v)
            }
        })
        .collect::<Vec<_>>();
    let res = b.post_form("/forms/disclosure", &forged).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("山田 太郎"), "input kept");
}
