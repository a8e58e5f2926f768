//! Languages are data: a folder of Fluent files in `templates/i18n/` (Korean was added that way, with no
//! Rust). A Korean reader gets Korean pages from `?lang=` or `Accept-Language`; a request from Korea is
//! written to in Korean and its mail arrives in Korean, on both backends; a language kaiji does not speak
//! is refused with a stable code; and README names exactly the places whose languages it lacks.

use serde_json::json;

use crate::common::{self, TestApp, api, field_code};
use common::smtp::SmtpServer;
use kaiji::domain::staff::Role;

both_backends!(
    korean_pages_follow_the_visitors_choice,
    a_request_from_korea_is_written_to_in_korean,
    a_language_kaiji_does_not_speak_is_refused,
);

fn html_lang(body: &str) -> Option<&str> {
    let at = body.find("<html lang=\"")? + "<html lang=\"".len();
    body[at..].split('"').next()
}

async fn korean_pages_follow_the_visitors_choice(app: TestApp) {
    let page = app.browser().get("/?lang=ko").await;
    assert_eq!(page.status, 200);
    assert_eq!(html_lang(&page.body), Some("ko"));
    assert!(page.body.contains("개인정보에 관한 요청"), "{}", page.body);
    // The switch offers every other language by its own name.
    assert!(page.body.contains(r#"hreflang="en" lang="en">English</a>"#));
    assert!(page.body.contains(r#"hreflang="ja" lang="ja">日本語</a>"#));
    assert!(!page.body.contains(r#"hreflang="ko""#));
    // Korea is the one place whose people read Korean first: the form starts there, with its rights
    // named in Korean (the regime's own labels).
    assert!(
        page.body.contains(r#"<option value="KR" selected"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("대한민국"));

    let header = [("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")];
    let page = app.browser().get_with("/procedures", &header).await;
    assert_eq!(html_lang(&page.body), Some("ko"));
    // A language with no folder is passed over for the next the header names, then Japanese.
    let page = app
        .browser()
        .get_with("/", &[("Accept-Language", "xx, en;q=0.4")])
        .await;
    assert_eq!(html_lang(&page.body), Some("en"));
    let page = app.browser().get("/?lang=xx").await;
    assert_eq!(html_lang(&page.body), Some("ja"));
}

async fn a_request_from_korea_is_written_to_in_korean(app: TestApp) {
    // No `language` and no Accept-Language: the place's first language kaiji speaks.
    let res = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "김민준", "email": "minjun@example.kr", "request_type": "access",
                    "jurisdiction": "KR", "message": "제 개인정보를 열람하고 싶습니다."}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let receipt = res.json()["receipt_number"].as_str().unwrap().to_owned();
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    assert_eq!(officer.request(&id).await["language"], "ko");

    let smtp = SmtpServer::start();
    let report = common::deliver(&app, &smtp, "w1").await;
    assert_eq!(report.sent, 2, "received, and confirm your address");
    for m in smtp.received() {
        assert_eq!(m.header("Content-Language").as_deref(), Some("ko"));
        let text = m.text();
        assert!(text.contains(&receipt), "{text}");
        assert!(text.contains("김민준"), "{text}");
        assert!(
            text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "written in Hangul: {text}"
        );
        assert!(!text.contains("Dear "), "not English: {text}");
    }

    // Its tracking page reads Korean without being asked, and names the right as PIPA does in Korean.
    let track = res.json()["tracking_url"].as_str().unwrap().to_owned();
    let path = track.trim_start_matches(&app.base);
    let page = app.browser().get(path).await;
    assert_eq!(page.status, 200);
    assert_eq!(html_lang(&page.body), Some("ko"));
    assert!(page.body.contains("열람"), "{}", page.body);
}

async fn a_language_kaiji_does_not_speak_is_refused(app: TestApp) {
    let body = |language: &str| {
        json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": "access",
               "jurisdiction": "EEA", "message": "My data, please.", "language": language})
    };
    for bad in ["xx", "KO", "en-US", "", "日本語"] {
        let res = app
            .browser()
            .post_json("/api/v1/requests", &body(bad))
            .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
        assert_eq!(
            field_code(&res.json(), "language"),
            Some("unknown_language"),
            "{bad}"
        );
    }
    assert_eq!(app.count("requests"), 0, "nothing is written");
    let res = app
        .browser()
        .post_json("/api/v1/requests", &body("ko"))
        .await;
    assert_eq!(res.status, 201, "{}", res.body);

    // A letter's language is checked too: staff cannot record one kaiji cannot write.
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let (status, out) = officer
        .post(
            "/api/v1/postal-requests",
            &json!({"name": "山田 太郎", "postal_address": "〒100-0001 東京都千代田区千代田1-1",
                    "received_on": "2026-11-19", "request_date": "2026-11-17",
                    "mail_class": "registered_with_delivery_certificate",
                    "tracking_number": "131-12-38385-2", "requester_kind": "self",
                    "request_types": ["access"], "services": ["ConoHa"], "language": "xx"}),
        )
        .await;
    assert_eq!(status, 422, "{out}");
    assert_eq!(field_code(&out, "language"), Some("unknown_language"));
}

#[test]
fn readme_names_the_places_whose_languages_kaiji_lacks() {
    let readme = std::fs::read_to_string(common::repo_path("README.md")).unwrap();
    let line = readme
        .split("\n- ")
        .find(|b| b.starts_with("**Languages:**"))
        .expect("README's languages item");
    let laws = common::laws();
    let lacking: Vec<String> = laws
        .unspoken()
        .iter()
        .map(|(code, _)| code.to_string())
        .collect();
    assert!(!lacking.is_empty());
    for place in laws.places() {
        let named = line.contains(&format!("`{}`", place.code));
        assert_eq!(
            named,
            lacking.contains(&place.code.to_string()),
            "README's languages item and the place files disagree about {}",
            place.code
        );
    }
}
