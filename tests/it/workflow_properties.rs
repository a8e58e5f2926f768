//! Random event sequences through the real use cases and database, on both backends: whatever officers,
//! auditors and administrators fire, in whatever order, the stored version counts exactly the applied
//! transitions, each applied transition left exactly one audit event with a strictly increasing version,
//! and no request ever sits in a state its workflow does not define.

use crate::common;

use common::{Backend, TestDb, t0};
use kaiji::app::{AppError, AppState, Clock, intake, requests, staff, transition};
use kaiji::config::{Config, Keys};
use kaiji::domain::audit::Actor;
use kaiji::domain::request::{Channel, Language, NewRequest, RawRequest};
use kaiji::domain::staff::Role;
use kaiji::domain::workflow::TransitionError;
use proptest::prelude::*;

const PROCEDURES: [(&str, Channel, &str); 12] = [
    ("JP", Channel::Postal, "access"),
    ("JP", Channel::Web, "access"),
    ("EEA", Channel::Web, "erasure"),
    ("US-CA", Channel::Api, "deletion"),
    ("CA", Channel::Api, "correction"),
    ("GB", Channel::Web, "access"),
    ("KR", Channel::Api, "deletion"),
    ("US-VA", Channel::Api, "correction"),
    ("BR", Channel::Web, "access"),
    ("BR", Channel::Api, "deletion"),
    ("US-CA", Channel::Web, "opt_out_sale"),
    ("US-CA", Channel::Api, "opt_in_sale"),
];

/// One step: which event (an index into the offered events, or into all of them), who fires it, whether a
/// reason is given, whether a stale version is sent, whether to pick among the offered events.
type Step = (usize, usize, bool, bool, bool);

fn run(backend: Backend, procedure: usize, steps: &[Step]) -> Result<(), TestCaseError> {
    let Some(tdb) = TestDb::new(backend) else {
        return Ok(());
    };
    let clock = Clock::fixed(t0());
    let state = AppState::new(
        tdb.db.clone(),
        Config::for_dir(tdb.dir.path(), tdb.database.clone()),
        Keys::random(),
        clock.clone(),
        common::laws(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let members: Vec<_> = [Role::Officer, Role::Admin, Role::Auditor]
            .into_iter()
            .enumerate()
            .map(|(i, role)| {
                staff::add_user(
                    &tdb.db,
                    &clock,
                    &format!("s{i}@example.com"),
                    &format!("Staff {i}"),
                    role,
                    "correct horse battery staple",
                )
                .unwrap()
            })
            .collect();
        let (jurisdiction, channel, rt_name) = PROCEDURES[procedure];
        let request_type = if rt_name == "erasure" {
            "deletion"
        } else {
            rt_name
        };
        let raw = RawRequest {
            name: "P".into(),
            email: "p@example.com".into(),
            request_type: request_type.into(),
            message: "m".into(),
            jurisdiction: jurisdiction.into(),
            ..RawRequest::default()
        };
        let new = NewRequest::parse(
            &raw,
            Language::EN,
            channel,
            &common::laws(),
            chrono::Utc::now(),
        )
        .unwrap();
        let admitted = kaiji::app::limits::Admitted::unlimited(new);
        let receipt = intake::submit(&state, admitted, Actor::Requester)
            .await
            .unwrap();
        let id = receipt.request_id;
        let mut applied = 0i64;
        for &(event, who, reason, stale, offered) in steps {
            clock.advance(chrono::TimeDelta::days(1));
            let detail = requests::detail(&state, &members[0], id.clone())
                .await
                .unwrap();
            let all: Vec<String> = detail
                .workflow
                .transitions
                .iter()
                .map(|t| t.event.clone())
                .collect();
            let allowed: Vec<String> = detail.allowed.iter().map(|t| t.event.clone()).collect();
            let pool = if offered && !allowed.is_empty() {
                &allowed
            } else {
                &all
            };
            let event = if event % 7 == 6 {
                "bogus".to_owned()
            } else {
                pool[event % pool.len()].clone()
            };
            let mut data = serde_json::Map::new();
            if reason {
                data.insert("reason".into(), "because".into());
                // A refusal names a ground where the law lists some (a property of the app, not the engine).
                let refuses = detail
                    .workflow
                    .transitions
                    .iter()
                    .any(|t| t.event == event && t.refuses());
                if let Some(g) = detail.grounds.first().filter(|_| refuses) {
                    data.insert("ground".into(), g.code.clone().into());
                }
            }
            let version = detail.request.version - i64::from(stale);
            match transition::fire_event(
                &state,
                &members[[0, 0, 0, 1, 2][who]],
                id.clone(),
                event,
                version,
                data,
            )
            .await
            {
                Ok(out) => {
                    prop_assert!(!stale, "a stale version never wins");
                    prop_assert!(detail.workflow.state(&out.to).is_some(), "defined state");
                    prop_assert_eq!(out.version, detail.request.version + 1);
                    applied += 1;
                }
                Err(AppError::Conflict) => prop_assert!(stale),
                Err(AppError::Transition(kaiji::domain::workflow::TransitionError::Deadline(
                    e,
                ))) => {
                    prop_assert!(false, "deadline error: {}", e)
                }
                // Only the engine's own refusals are expected; anything else is a defect.
                Err(AppError::Transition(
                    TransitionError::NotAllowedHere { .. }
                    | TransitionError::RoleNotPermitted { .. }
                    | TransitionError::GuardFailed { .. },
                )) => {}
                Err(e) => prop_assert!(false, "unexpected error: {}", e),
            }
        }
        let row = kaiji::db::requests::find(&mut tdb.conn(), &id)
            .unwrap()
            .unwrap();
        prop_assert_eq!(
            row.version,
            1 + applied,
            "versions count the applied transitions"
        );
        let audit = kaiji::db::audit::list_for_request(&mut tdb.conn(), &id).unwrap();
        let versions: Vec<i64> = audit
            .iter()
            .filter(|e| e.action == "request.transitioned")
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(&e.details).unwrap()["version"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        prop_assert_eq!(
            versions.len() as i64,
            applied,
            "one audit event per applied transition"
        );
        prop_assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "versions strictly increase: {:?}",
            versions
        );
        Ok(())
    })
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = (
        0usize..64,
        0usize..5,
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.7),
    );
    prop::collection::vec(step, 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_on_sqlite(procedure in 0..PROCEDURES.len(), steps in steps()) {
        run(Backend::Sqlite, procedure, &steps)?;
    }

    #[test]
    fn random_sequences_on_postgres(procedure in 0..PROCEDURES.len(), steps in steps()) {
        run(Backend::Postgres, procedure, &steps)?;
    }
}
