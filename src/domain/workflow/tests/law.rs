//! The law bounds the procedure: a regime's deadlines run where the workflow has no clock of their id,
//! and a clock, a fee or an identity check the workflow writes itself may give the requester more, never
//! less, than the law.

use super::*;
use crate::domain::deadline::Period;

const GDPR: &str = include_str!("../../../../seeds/workflows/gdpr.toml");
const CCPA: &str = include_str!("../../../../seeds/workflows/ccpa.toml");

fn parse(src: &str) -> Result<WorkflowDefinition, DefinitionError> {
    WorkflowDefinition::parse(src, &laws())
}

/// The GDPR procedure with a `[[clocks]]` entry of its own added before its first state.
fn gdpr_with_clock(clock: &str) -> String {
    GDPR.replacen(
        "[[states]]",
        &format!("[[clocks]]\n{clock}\n\n[[states]]"),
        1,
    )
}

#[test]
fn a_procedure_without_the_clock_runs_the_laws_deadline() {
    let def = parse(GDPR).unwrap();
    let law = laws().regime("gdpr").unwrap().deadlines[0].clone();
    let clock = def.clocks.iter().find(|c| c.id == "response").unwrap();
    assert_eq!(clock.rule, law.rule);
    assert_eq!(clock.label, law.label);
    assert_eq!(clock.start, ClockStart::Receipt);
    assert_eq!(clock.rule.period, Period::Months(1));
}

#[test]
fn a_clock_may_end_sooner_than_the_law_but_never_later() {
    let sooner = gdpr_with_clock(
        "id = \"response\"\nlabel = { en = \"Four weeks\", ja = \"4週間\" }\nstart = \"receipt\"\n\
         duration = { weeks = 4 }\npauses_while_waiting = false\nextension = { duration = { months = 2 }, times = 1 }",
    );
    let def = parse(&sooner).unwrap();
    assert_eq!(def.clocks[0].rule.period, Period::Weeks(4));

    let later = sooner.replace("duration = { weeks = 4 }", "duration = { days = 31 }");
    let e = parse(&later).unwrap_err();
    assert!(
        e.reason.contains("gives less time than the law"),
        "{}",
        e.reason
    );
    assert!(e.reason.contains("seeds/regimes/gdpr.toml"), "{}", e.reason);
    assert_eq!(e.line, Some(line_in(&later, "id = \"response\"")));

    let pausing = sooner.replace(
        "pauses_while_waiting = false\nextension",
        "pauses_while_waiting = true\nextension",
    );
    assert!(parse(&pausing).unwrap_err().reason.contains("pauses"));
    let twice = sooner.replace("times = 1", "times = 2");
    assert!(
        parse(&twice)
            .unwrap_err()
            .reason
            .contains("after every extension")
    );
}

#[test]
fn a_fee_for_a_right_the_law_makes_free_is_refused() {
    let charging = CCPA.replacen(
        "[[states]]",
        "[fee]\namount_yen = 1000\nper = \"request\"\nrequest_types = [\"deletion\"]\ndue_days = 14\n\n[[states]]",
        1,
    );
    let e = parse(&charging).unwrap_err();
    assert!(e.reason.contains("free of charge"), "{}", e.reason);
    // APPI lets a fee be charged for disclosure (Art. 38(1)): the postal procedure's ¥5,400 stands.
    let postal = shipped()
        .into_iter()
        .find(|(n, _)| *n == "jp-postal")
        .unwrap()
        .1;
    assert_eq!(postal.fee.unwrap().amount_yen, 5400);
    assert_eq!(
        laws()
            .regime("appi")
            .unwrap()
            .right("deletion")
            .unwrap()
            .fee,
        Some(crate::domain::law::FeeByLaw::Free)
    );
}

#[test]
fn identity_checks_come_from_the_law_and_may_only_ask_more() {
    let def = parse(CCPA).unwrap();
    let v = def.verification.unwrap();
    assert_eq!(v.points["access"], 3);
    assert_eq!(v.points["deletion"], 2);
    assert_eq!(v.declaration_for, ["access"]);

    let own = |points: &str, declaration: &str| {
        CCPA.replacen(
            "[[states]]",
            &format!(
                "[verification]\npoints = {points}\ndeclaration_for = {declaration}\n\n[[states]]"
            ),
            1,
        )
    };
    let stricter = own(
        "{ access = 4, know_categories = 2, deletion = 3, correction = 2 }",
        "[\"access\", \"deletion\"]",
    );
    assert_eq!(
        parse(&stricter).unwrap().verification.unwrap().points["access"],
        4
    );
    let fewer = own(
        "{ access = 2, know_categories = 2, deletion = 2, correction = 2 }",
        "[\"access\"]",
    );
    assert!(
        parse(&fewer)
            .unwrap_err()
            .reason
            .contains("asks less for `access`")
    );
    let undeclared = own(
        "{ access = 3, know_categories = 2, deletion = 2, correction = 2 }",
        "[]",
    );
    assert!(
        parse(&undeclared)
            .unwrap_err()
            .reason
            .contains("signed declaration")
    );
}

fn line_in(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l == needle).unwrap() + 1
}

#[test]
fn where_agents_may_file_no_task_opens_before_their_authority_is_checked() {
    assert!(parse(CCPA).unwrap().person_verifies_directly);
    // Take the guard off one transition that opens tasks: refused, naming the rule.
    let unguarded = CCPA.replacen(
        "guards = [\"identity_verified\", \"authority_checked\"]",
        "guards = [\"identity_verified\"]",
        1,
    );
    assert_ne!(unguarded, CCPA);
    let e = parse(&unguarded).unwrap_err();
    assert!(e.reason.contains("authority_checked"), "{}", e.reason);
    // A person who must verify directly cannot be declared verified by a bare effect.
    let declared = CCPA.replacen(
        "effects = [\"create_tasks\"]",
        "effects = [\"set_fact:identity_verified\", \"create_tasks\"]",
        1,
    );
    let e = parse(&declared).unwrap_err();
    assert!(
        e.reason.contains("person_verifies_directly"),
        "{}",
        e.reason
    );
}
