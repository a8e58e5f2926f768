//! The engine's decisions: guards, clocks, extensions, the events offered, and random event sequences.

use proptest::prelude::*;

use super::*;

use crate::domain::code::Code;

#[test]
fn guards_refuse_with_their_reason() {
    let mut w = World::new(fixture(), RightCode::literal("access"), "2026-03-02");
    assert!(matches!(
        w.fire("finish", Role::Officer, None),
        Err(TransitionError::NotAllowedHere { .. })
    ));
    w.fire("start", Role::Officer, None).unwrap();
    assert_eq!(
        w.fire("start", Role::Officer, None),
        Err(TransitionError::NotAllowedHere {
            event: "start".into(),
            state: "review".into()
        })
    );
    assert_eq!(
        w.fire("ask", Role::Auditor, Some("x")),
        Err(TransitionError::RoleNotPermitted {
            event: "ask".into(),
            role: Role::Auditor
        })
    );
    let e = w.fire("ask", Role::Officer, Some("  ")).unwrap_err();
    assert_eq!(
        e,
        TransitionError::GuardFailed {
            guard: Guard::ReasonGiven,
            reason: "a reason is required".into()
        }
    );
    let e = w.fire("finish", Role::Officer, None).unwrap_err();
    assert!(
        matches!(
            e,
            TransitionError::GuardFailed {
                guard: Guard::IdentityVerified,
                ..
            }
        ),
        "{e}"
    );
    w.facts.insert(Fact::IdentityVerified);
    let e = w.fire("finish", Role::Officer, None).unwrap_err();
    assert_eq!(e.to_string(), "the fee has not been paid");
    // Deletion carries no fee.
    w.request_type = RightCode::literal("deletion");
    let t = w.fire("finish", Role::Officer, None).unwrap();
    assert_eq!(
        t.notices().collect::<Vec<_>>(),
        vec![NoticeKind::AnswerReady]
    );
    assert_eq!(w.state, "done");
    // Terminal states absorb everything.
    for t in &w.def.transitions {
        assert!(w.clone_fire(&t.event).is_err());
    }
}

impl World {
    fn clone_fire(&self, event: &str) -> Result<Transition, TransitionError> {
        let data = data(Some("r"));
        self.def.decide(
            &self.subject(),
            &EventInput {
                event,
                by: Role::Admin.into(),
                data: &data,
            },
        )
    }
}

#[test]
fn clocks_pause_while_waiting_stop_where_told_and_at_the_end() {
    let mut w = World::new(fixture(), RightCode::literal("deletion"), "2026-03-02");
    assert_eq!(w.clocks.len(), 2, "both start at receipt");
    let t = w.fire("start", Role::Officer, None).unwrap();
    assert!(
        t.effects.contains(&Effect::StopClock("ack".into())),
        "ack stops on entering review"
    );
    assert!(w.clocks["ack"].is_stopped());
    w.today = d("2026-03-05");
    let t = w.fire("ask", Role::Officer, Some("need ID")).unwrap();
    assert!(t.effects.contains(&Effect::PauseClock("reply".into())));
    assert!(
        t.effects
            .contains(&Effect::SendNotice(NoticeKind::IdentityRequested))
    );
    w.today = d("2026-03-12");
    let t = w.fire("answered", Role::Officer, None).unwrap();
    assert!(t.effects.contains(&Effect::ResumeClock("reply".into())));
    assert_eq!(w.clocks["reply"].paused_days, 7);
    let rule = w.def.clock("reply").unwrap().rule.clone();
    assert_eq!(
        rule.due(&w.clocks["reply"], w.today, &w.cals).unwrap(),
        d("2026-03-23")
    );
    // A stay transition: extension with a reason, once, inside the original period.
    let t = w.fire("extend", Role::Admin, Some("complex")).unwrap();
    assert_eq!((t.from.as_str(), t.to.as_str()), ("review", "review"));
    assert_eq!(
        rule.due(&w.clocks["reply"], w.today, &w.cals).unwrap(),
        d("2026-04-06")
    );
    let e = w.fire("extend", Role::Officer, Some("again")).unwrap_err();
    assert!(
        matches!(
            e,
            TransitionError::GuardFailed {
                guard: Guard::ExtensionAvailable,
                ..
            }
        ),
        "{e}"
    );
    let t = w.fire("finish", Role::Officer, None).unwrap();
    assert!(t.effects.contains(&Effect::StopClock("reply".into())));
    assert!(w.clocks.values().all(|c| c.is_stopped()));
}

#[test]
fn extensions_after_the_original_deadline_are_refused() {
    let mut w = World::new(fixture(), RightCode::literal("deletion"), "2026-03-02");
    w.fire("start", Role::Officer, None).unwrap();
    w.today = d("2026-03-17");
    let e = w.fire("extend", Role::Officer, Some("late")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "an extension must be notified before the original deadline"
    );
    let offered: Vec<&str> = w
        .def
        .allowed_events(&w.subject(), Role::Officer)
        .iter()
        .map(|t| t.event.as_str())
        .collect();
    assert!(
        !offered.contains(&"extend"),
        "not offered either, though the file names no extension guard"
    );
}

#[test]
fn ccpa_does_not_pause_for_verification_and_postal_does() {
    let by_id = |id: &str| shipped().into_iter().find(|(n, _)| *n == id).unwrap().1;
    let mut w = World::new(by_id("ccpa"), RightCode::literal("access"), "2026-11-23");
    let ack = &w.def.clock("acknowledgement").unwrap().rule.clone();
    // Mon Nov 23 + 10 California business days, skipping Thanksgiving and the day after: Dec 9.
    assert_eq!(
        ack.due(&w.clocks["acknowledgement"], w.today, &w.cals)
            .unwrap(),
        d("2026-12-09")
    );
    w.fire("acknowledge", Role::Officer, None).unwrap();
    w.fire(
        "request_verification",
        Role::Officer,
        Some("need 2 data points"),
    )
    .unwrap();
    assert!(
        w.clocks["response"].is_running(),
        "45 days run regardless of verification"
    );
    w.today = d("2027-01-08");
    let resp = &w.def.clock("response").unwrap().rule.clone();
    assert!(
        resp.is_overdue(&w.clocks["response"], w.today, &w.cals)
            .unwrap()
    );

    let mut p = World::new(
        by_id("jp-postal"),
        RightCode::literal("access"),
        "2026-03-31",
    );
    p.fire("start_identity_review", Role::Officer, None)
        .unwrap();
    p.fire(
        "request_documents",
        Role::Officer,
        Some("印鑑証明書がありません"),
    )
    .unwrap();
    assert!(
        !p.clocks["without_delay"].is_running(),
        "paused while documents are missing"
    );
}

#[test]
fn allowed_events_match_decide() {
    for (name, def) in shipped() {
        let cals = calendars();
        for s in &def.states {
            for rt in &def.request_types {
                let facts = Facts::new();
                let clocks = def.clocks_at_intake(d("2026-06-01"));
                let subject = Subject {
                    state: &s.id,
                    request_type: rt,
                    task: None,
                    facts: &facts,
                    clocks: &clocks,
                    today: d("2026-06-02"),
                    calendars: &cals,
                };
                for &role in Role::ALL {
                    let allowed: BTreeSet<&str> = def
                        .allowed_events(&subject, role)
                        .iter()
                        .map(|t| t.event.as_str())
                        .collect();
                    for t in &def.transitions {
                        let data = data(Some("because"));
                        let ok = def
                            .decide(
                                &subject,
                                &EventInput {
                                    event: &t.event,
                                    by: role.into(),
                                    data: &data,
                                },
                            )
                            .is_ok();
                        assert_eq!(
                            ok,
                            allowed.contains(t.event.as_str()),
                            "{name} {} {} {role}",
                            s.id,
                            t.event
                        );
                        if s.terminal {
                            assert!(!ok, "{name}: terminal {} absorbs", s.id);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn dot_marks_the_current_state() {
    let dot = fixture().to_dot(Some("review"), Language::EN);
    assert!(dot.starts_with("digraph \"fixture\""));
    assert!(
        dot.contains("\"review\" [label=\"Review\", style=filled, fillcolor=\"#8ec5ff\"]"),
        "{dot}"
    );
    assert!(
        dot.contains("\"done\" [label=\"Done\", style=filled, fillcolor=\"#e4e7eb\"]"),
        "{dot}"
    );
    assert!(dot.contains("\"received\" [label=\"Received\"]"), "{dot}");
    assert!(
        dot.contains("\"review\" -> \"review\" [label=\"extend\"]"),
        "{dot}"
    );
}

/// One step of a random walk: which event (by index, or a bogus one), which role, whether a reason is
/// given, and how many days pass first.
fn step() -> impl Strategy<Value = (usize, usize, bool, u8)> {
    (0usize..64, 0usize..3, any::<bool>(), 0u8..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_event_sequences_keep_every_invariant(which in 0..shipped().len(), rt in 0usize..8, steps in prop::collection::vec(step(), 1..60)) {
        let (_, def) = shipped().swap_remove(which);
        let request_type = def.request_types[rt % def.request_types.len()].clone();
        let mut w = World::new(def, request_type, "2026-01-05");
        // For each paused clock: the days it had left when it paused, counted to the period's end before
        // any roll off a weekend (the rolled end jumps over weekends while the pause moves it).
        let mut left_at_pause: BTreeMap<String, i64> = BTreeMap::new();
        let unrolled = |rule: &crate::domain::deadline::ClockRule| crate::domain::deadline::ClockRule { roll_forward: false, ..rule.clone() };
        for (ev, role, reason, days) in steps {
            w.today = w.today + chrono::Days::new(days as u64);
            for (id, st) in &w.clocks {
                if st.paused_since.is_some() {
                    let rule = unrolled(&w.def.clock(id).unwrap().rule);
                    let left = (rule.due(st, w.today, &w.cals).unwrap() - w.today).num_days();
                    prop_assert_eq!(Some(&left), left_at_pause.get(id), "a paused clock does not run");
                }
            }
            let events: Vec<String> = w.def.transitions.iter().map(|t| t.event.clone()).collect();
            let event = events.get(ev).cloned().unwrap_or_else(|| "no_such_event".into());
            let role = Role::ALL[role];
            let was_terminal = w.def.state(&w.state).unwrap().terminal;
            let before = w.state.clone();
            let offered: Vec<String> = w.def.allowed_events(&w.subject(), role).iter().map(|t| t.event.clone()).collect();
            match w.fire(&event, role, reason.then_some("a reason")) {
                Ok(t) => {
                    prop_assert!(!was_terminal, "terminal states absorb");
                    prop_assert!(w.def.state(&t.to).is_some(), "no undefined state");
                    prop_assert_eq!(&t.from, &before);
                    prop_assert!(offered.contains(&event), "only offered events succeed: {}", event);
                    for (id, st) in &w.clocks {
                        let rule = unrolled(&w.def.clock(id).unwrap().rule);
                        if st.paused_since.is_some() {
                            left_at_pause.insert(id.clone(), (rule.due(st, w.today, &w.cals).unwrap() - w.today).num_days());
                        }
                    }
                }
                Err(TransitionError::Deadline(e)) => prop_assert!(false, "{}", e),
                Err(_) => {}
            }
            let here = w.def.state(&w.state).unwrap();
            for (id, st) in &w.clocks {
                let rule = &w.def.clock(id).unwrap().rule;
                if here.terminal {
                    prop_assert!(st.is_stopped(), "clocks stop at the end");
                }
                if !rule.pauses_while_waiting {
                    prop_assert!(st.paused_since.is_none(), "{} never pauses", id);
                } else if here.waits_on_requester && !st.is_stopped() {
                    prop_assert!(st.paused_since.is_some(), "{} pauses while waiting", id);
                }
            }
        }
    }
}

/// The four regimes added as data: each one's numbers, counted through the engine.
#[test]
fn uk_restarts_korea_rolls_virginia_appeals_and_brazil_answers_twice() {
    use crate::domain::deadline::Period;
    let by_id = |id: &str| shipped().into_iter().find(|(n, _)| *n == id).unwrap().1;

    // UK GDPR Art. 12A: asked for identity on 10 Dec, received on 4 Jan: one month from 4 Jan, and the
    // two-month extension counts from there (3 months from the new start).
    let mut uk = World::new(by_id("uk-gdpr"), RightCode::literal("access"), "2026-12-01");
    let resp = uk.def.clock("response").unwrap().rule.clone();
    assert_eq!(
        resp.due(&uk.clocks["response"], uk.today, &uk.cals)
            .unwrap(),
        d("2027-01-04"),
        "1 Jan is a bank holiday, 2–3 Jan a weekend: rolled to Monday 4 Jan"
    );
    uk.fire("start_processing", Role::Officer, None).unwrap();
    uk.today = d("2026-12-10");
    uk.fire("request_identity", Role::Officer, Some("photo ID, please"))
        .unwrap();
    uk.today = d("2027-01-04");
    uk.fire("identity_provided", Role::Officer, None).unwrap();
    assert_eq!(uk.clocks["response"].started_on, d("2027-01-04"));
    assert_eq!(
        resp.due(&uk.clocks["response"], uk.today, &uk.cals)
            .unwrap(),
        d("2027-02-04")
    );
    uk.fire("extend", Role::Officer, Some("complex")).unwrap();
    assert_eq!(
        resp.due(&uk.clocks["response"], uk.today, &uk.cals)
            .unwrap(),
        d("2027-04-05"),
        "4 Apr 2027 is a Sunday: Monday 5 Apr (Easter Monday is 29 Mar)"
    );

    // Korea: 10 days from Wed 30 Sep 2026 (the first day not counted) end on Sat 10 Oct, which moves to
    // the next day that is neither a Saturday nor a public holiday: Mon 12 Oct (Civil Act Arts. 157, 161).
    let kr = World::new(by_id("pipa"), RightCode::literal("deletion"), "2026-09-30");
    let r = kr.def.clock("response").unwrap().rule.clone();
    assert_eq!(
        r.due(&kr.clocks["response"], kr.today, &kr.cals).unwrap(),
        d("2026-10-12")
    );
    assert_eq!(r.period, Period::Days(10));

    // Virginia: 45 + 45 days; a refusal stops the answer's clock and waits; the appeal has 60 days.
    let mut va = World::new(by_id("vcdpa"), RightCode::literal("deletion"), "2026-11-02");
    let r = va.def.clock("response").unwrap().rule.clone();
    assert_eq!(
        r.due(&va.clocks["response"], va.today, &va.cals).unwrap(),
        d("2026-12-17")
    );
    va.fire("refuse", Role::Officer, Some("not authenticated"))
        .unwrap();
    assert_eq!(va.state, "refused_appealable");
    assert!(va.clocks["response"].is_stopped());
    assert!(!va.clocks.contains_key("appeal"));
    va.today = d("2026-11-20");
    va.fire("appeal_received", Role::Officer, None).unwrap();
    let appeal = va.def.clock("appeal").unwrap().rule.clone();
    assert_eq!(
        appeal
            .due(&va.clocks["appeal"], va.today, &va.cals)
            .unwrap(),
        d("2027-01-19"),
        "60 days from the appeal"
    );
    va.fire("appeal_denied", Role::Officer, Some("upheld"))
        .unwrap();
    assert_eq!(va.state, "refused");
    assert!(va.clocks["appeal"].is_stopped());

    // Brazil: a simplified confirmation at once and the complete declaration in 15 days, one request.
    let mut br = World::new(
        by_id("lgpd-access"),
        RightCode::literal("access"),
        "2026-11-02",
    );
    let (simple, full) = (
        br.def.clock("simplified").unwrap().rule.clone(),
        br.def.clock("response").unwrap().rule.clone(),
    );
    assert_eq!(
        simple
            .due(&br.clocks["simplified"], br.today, &br.cals)
            .unwrap(),
        d("2026-11-03")
    );
    assert_eq!(
        full.due(&br.clocks["response"], br.today, &br.cals)
            .unwrap(),
        d("2026-11-17")
    );
    br.fire("confirm_simplified", Role::Officer, None).unwrap();
    assert!(br.clocks["simplified"].is_stopped());
    assert!(
        br.clocks["response"].is_running(),
        "the declaration's clock runs on"
    );
}
