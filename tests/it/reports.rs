//! Reports (issue 7), on both backends: counts by state, right and regime, days to close, and the
//! CCPA-style metrics per right, as a page with SVG charts, a CSV and JSON.

use crate::common;

use common::{TestApp, api, file_id};
use kaiji::domain::staff::Role;
use serde_json::json;

both_backends!(reports_count_outcomes_per_right_and_chart_them);

async fn reports_count_outcomes_per_right_and_chart_them(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let mut ids = Vec::new();
    for (jurisdiction, right, email) in [
        ("eea", "access", "a@example.com"),
        ("eea", "objection", "b@example.com"),
        ("canada", "access", "c@example.com"),
    ] {
        ids.push(
            file_id(
                &app,
                json!({"email": email, "request_type": right, "jurisdiction": jurisdiction}),
            )
            .await,
        );
    }
    app.confirm_emails().await;
    let v = |r: serde_json::Value| r["version"].as_i64().unwrap();
    // The objection is answered after ten days; the Canadian access refused at once; one stays open.
    app.clock.advance(chrono::TimeDelta::days(10));
    assert_eq!(
        officer
            .fire(
                &ids[1],
                "start_processing",
                v(officer.request(&ids[1]).await)
            )
            .await
            .0,
        200
    );
    officer
        .close_each(
            &ids[1],
            json!({"outcome": "stopped", "purposes": "direct marketing"}),
        )
        .await;
    assert_eq!(
        officer
            .fire(&ids[1], "answer", v(officer.request(&ids[1]).await))
            .await
            .0,
        200
    );
    assert_eq!(
        officer
            .fire(&ids[2], "refuse", v(officer.request(&ids[2]).await))
            .await
            .0,
        200
    );

    let r = officer.get("/api/v1/reports?year=2026").await;
    let m = &r["report"]["metrics"];
    assert_eq!(m["access"]["received"], 2);
    assert_eq!(
        (m["access"]["denied"].as_u64(), m["access"]["open"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(m["objection"]["complied"], 1);
    assert_eq!(m["objection"]["median_days"], 10);
    assert_eq!(r["report"]["by_regime"]["EEA"], 2);
    assert_eq!(r["report"]["overdue_now"], 0);
    app.clock.advance(chrono::TimeDelta::days(40));
    let later = officer.get("/api/v1/reports?year=2026").await;
    assert_eq!(
        later["report"]["overdue_now"], 1,
        "the open EEA access is past its month"
    );
    let empty = officer.get("/api/v1/reports?year=2025").await;
    assert_eq!(empty["report"]["metrics"], json!({}));

    // The page charts it; the CSV carries the metrics; a bad year is a field error. Auditors read it too.
    let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
    let page = auditor.get("/staff/reports?year=2026&lang=en").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<table id=\"chart-right\""));
    assert!(
        page.body.matches("<rect ").count() >= 6,
        "bars for states, rights and regimes"
    );
    // Charts and the metrics name states and rights in words, never by code.
    let states = page.all_text_of("chart-state").unwrap();
    assert!(!states.contains('_'), "{states}");
    let metrics = page.all_text_of("metrics").unwrap();
    assert!(
        metrics.contains("Access") || metrics.contains("access"),
        "{metrics}"
    );
    let csv = auditor.get("/staff/reports/metrics.csv?year=2026").await;
    assert_eq!(csv.status, 200);
    let mut rdr = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let access = rows.iter().find(|r| &r[0] == "access").unwrap();
    assert_eq!((&access[1], &access[3], &access[5]), ("2", "1", "1"));
    let bad = auditor.get("/staff/reports?year=soon").await;
    assert_eq!(bad.status, 422);
    // A year is read as sent: whitespace (U+0085 is some) is not "no year" (schemathesis found it).
    let odd = auditor.get("/api/v1/reports?year=%C2%85").await;
    assert_eq!(odd.status, 422);
}
