//! Reading definitions: the fixture and every shipped procedure parse, the law's numbers, each refusal's
//! line and reason. The engine's decisions are in `engine`.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::*;
use crate::domain::deadline::Calendars;
use crate::domain::law::Laws;

const FIXTURE: &str = r#"
id = "fixture"
version = 1
name = { en = "Fixture", ja = "テスト" }
jurisdictions = ["japan"]
request_types = ["access", "deletion"]
channels = ["web", "api"]
initial_state = "received"
intake_notice = "received"

[fee]
amount_yen = 5400
per = "service"
request_types = ["access"]

[[clocks]]
id = "reply"
label = { en = "Reply", ja = "回答" }
start = "receipt"
duration = { days = 14 }
pauses_while_waiting = true
extension = { duration = { days = 14 }, times = 1 }

[[clocks]]
id = "ack"
label = { en = "Ack", ja = "受領" }
start = "receipt"
duration = { business_days = 10 }
calendar = "jp"
pauses_while_waiting = false
stop_when = ["review"]

[[states]]
id = "received"
label = { en = "Received", ja = "受付済み" }

[[states]]
id = "review"
label = { en = "Review", ja = "審査中" }

[[states]]
id = "waiting"
label = { en = "Waiting", ja = "待ち" }
waits_on_requester = true

[[states]]
id = "done"
label = { en = "Done", ja = "完了" }
terminal = true

[[transitions]]
event = "start"
from = ["received"]
to = "review"
roles = ["officer"]
label = { en = "Start", ja = "開始" }

[[transitions]]
event = "ask"
from = ["review"]
to = "waiting"
roles = ["officer"]
guards = ["reason_given"]
notice = "identity_requested"
label = { en = "Ask", ja = "依頼" }

[[transitions]]
event = "answered"
from = ["waiting"]
to = "review"
roles = ["officer"]
effects = ["set_fact:identity_verified"]
label = { en = "Answered", ja = "回答あり" }

[[transitions]]
event = "extend"
from = ["review", "waiting"]
roles = ["officer", "admin"]
guards = ["reason_given"]
effects = ["extend_deadline:reply"]
notice = "deadline_extended"
label = { en = "Extend", ja = "延長" }

[[transitions]]
event = "finish"
from = ["review"]
to = "done"
roles = ["officer"]
guards = ["identity_verified", "fee_paid"]
notice = "answer_ready"
label = { en = "Finish", ja = "完了" }
"#;

fn laws() -> Laws {
    Laws::shipped()
}

fn calendars() -> Calendars {
    laws().calendars
}

fn shipped() -> Vec<(&'static str, WorkflowDefinition)> {
    [
        (
            "jp-postal",
            include_str!("../../../../seeds/workflows/jp-postal.toml"),
        ),
        (
            "jp-online",
            include_str!("../../../../seeds/workflows/jp-online.toml"),
        ),
        (
            "gdpr",
            include_str!("../../../../seeds/workflows/gdpr.toml"),
        ),
        (
            "ccpa",
            include_str!("../../../../seeds/workflows/ccpa.toml"),
        ),
        (
            "ccpa-opt-out",
            include_str!("../../../../seeds/workflows/ccpa-opt-out.toml"),
        ),
        (
            "ccpa-opt-in",
            include_str!("../../../../seeds/workflows/ccpa-opt-in.toml"),
        ),
        (
            "pipeda",
            include_str!("../../../../seeds/workflows/pipeda.toml"),
        ),
        (
            "uk-gdpr",
            include_str!("../../../../seeds/workflows/uk-gdpr.toml"),
        ),
        (
            "pipa",
            include_str!("../../../../seeds/workflows/pipa.toml"),
        ),
        (
            "vcdpa",
            include_str!("../../../../seeds/workflows/vcdpa.toml"),
        ),
        (
            "lgpd-access",
            include_str!("../../../../seeds/workflows/lgpd-access.toml"),
        ),
        (
            "lgpd",
            include_str!("../../../../seeds/workflows/lgpd.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, src)| {
        (
            name,
            WorkflowDefinition::parse(src, &laws()).unwrap_or_else(|e| panic!("{name}: {e}")),
        )
    })
    .collect()
}

fn fixture() -> WorkflowDefinition {
    WorkflowDefinition::parse(FIXTURE, &laws()).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn data(reason: Option<&str>) -> Map<String, Value> {
    match reason {
        Some(r) => json!({ "reason": r }).as_object().unwrap().clone(),
        None => Map::new(),
    }
}

fn broken(find: &str, replace: &str) -> DefinitionError {
    assert!(FIXTURE.contains(find), "fixture lacks {find}");
    WorkflowDefinition::parse(&FIXTURE.replacen(find, replace, 1), &laws()).unwrap_err()
}

fn line_with(needle: &str) -> usize {
    FIXTURE.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_fixture_and_every_shipped_procedure_parse() {
    let f = fixture();
    assert_eq!((f.id.as_str(), f.version), ("fixture", 1));
    let access = RightCode::literal("access");
    assert!(f.serves(&access, Channel::Web, &PlaceCode::literal("JP")));
    assert!(!f.serves(&access, Channel::Web, &PlaceCode::literal("EEA")));
    assert!(f.fee_applies(&access) && !f.fee_applies(&RightCode::literal("deletion")));
    let shipped = shipped();
    assert_eq!(shipped.len(), 12);
    // Each (jurisdiction, channel, type) is served by at most one procedure, so routing is unambiguous.
    let defs: Vec<&WorkflowDefinition> = shipped.iter().map(|(_, d)| d).collect();
    assert_eq!(overlap(&defs), None);
    let mut clash = shipped[1].1.clone();
    clash.id = "clash".into();
    let with_clash: Vec<&WorkflowDefinition> = defs.iter().copied().chain([&clash]).collect();
    assert!(overlap(&with_clash).is_some());
}

#[test]
fn the_numbers_come_from_the_law() {
    use crate::domain::deadline::{Extension, Period};
    let by_id = |id: &str| shipped().into_iter().find(|(n, _)| *n == id).unwrap().1;
    let gdpr = by_id("gdpr");
    let r = &gdpr.clock("response").unwrap().rule;
    assert_eq!(
        (r.period, r.roll_forward, r.pauses_while_waiting),
        (Period::Months(1), true, false)
    );
    assert_eq!(
        r.extension,
        Some(Extension {
            period: Period::Months(2),
            times: 1
        })
    );
    assert!(
        gdpr.complaint_authority
            .as_ref()
            .unwrap()
            .en()
            .contains("CNPD")
    );
    let ccpa = by_id("ccpa");
    assert_eq!(
        ccpa.clock("acknowledgement").unwrap().rule.period,
        Period::BusinessDays(10)
    );
    let r = &ccpa.clock("response").unwrap().rule;
    assert_eq!(
        (r.period, r.pauses_while_waiting),
        (Period::Days(45), false),
        "CCPA never pauses"
    );
    assert_eq!(
        r.extension,
        Some(Extension {
            period: Period::Days(45),
            times: 1
        })
    );
    let pipeda = by_id("pipeda");
    let r = &pipeda.clock("response").unwrap().rule;
    assert_eq!(
        (r.period, r.extension.unwrap().period),
        (Period::Days(30), Period::Days(30))
    );
    let postal = by_id("jp-postal");
    let r = &postal.clock("without_delay").unwrap().rule;
    assert_eq!(
        (r.period, r.pauses_while_waiting),
        (Period::Days(14), true),
        "postal pauses while documents are missing"
    );
    let fee = postal.fee.as_ref().unwrap();
    assert_eq!((fee.amount_yen, fee.per.as_str()), (5400, "service"));
    assert_eq!(
        fee.request_types,
        vec![
            RightCode::literal("access"),
            RightCode::literal("purpose_notification"),
            RightCode::literal("third_party_records")
        ]
    );
    assert_eq!(postal.channels, vec![Channel::Postal]);
}

#[test]
fn refusals_name_the_line_and_reason() {
    let cases: Vec<(&str, &str, &str, usize)> = vec![
        (
            "to = \"waiting\"",
            "to = \"limbo\"",
            "leads to undefined state `limbo`",
            line_with("to = \"waiting\""),
        ),
        (
            "from = [\"received\"]\nto = \"review\"",
            "from = [\"done\"]\nto = \"review\"",
            "leaves terminal state `done`",
            line_with("from = [\"received\"]"),
        ),
        (
            "roles = [\"officer\", \"admin\"]",
            "roles = [\"janitor\"]",
            "unknown role `janitor`",
            line_with("roles = [\"officer\", \"admin\"]"),
        ),
        (
            "guards = [\"identity_verified\", \"fee_paid\"]",
            "guards = [\"moon_is_full\"]",
            "unknown guard `moon_is_full`",
            line_with("guards = [\"identity_verified\""),
        ),
        (
            "effects = [\"set_fact:identity_verified\"]",
            "effects = [\"launch_rocket:now\"]",
            "unknown effect `launch_rocket`",
            line_with("effects = [\"set_fact"),
        ),
        (
            "effects = [\"set_fact:identity_verified\"]",
            "effects = [\"set_fact:is_nice\"]",
            "unknown fact `is_nice`",
            line_with("effects = [\"set_fact"),
        ),
        (
            "effects = [\"extend_deadline:reply\"]",
            "effects = [\"extend_deadline:ack\"]",
            "clock `ack` has no extension rule",
            line_with("extend_deadline"),
        ),
        (
            "effects = [\"extend_deadline:reply\"]",
            "effects = [\"extend_deadline:nope\"]",
            "undefined clock `nope`",
            line_with("extend_deadline"),
        ),
        (
            "notice = \"answer_ready\"",
            "notice = \"love_letter\"",
            "unknown notice `love_letter`",
            line_with("notice = \"answer_ready\""),
        ),
        (
            "stop_when = [\"review\"]",
            "stop_when = [\"reveiw\"]",
            "clock `ack` stops in undefined state `reveiw`",
            line_with("stop_when"),
        ),
        (
            "calendar = \"jp\"",
            "calendar = \"mars\"",
            "unknown calendar `mars`",
            line_with("calendar = \"jp\""),
        ),
        (
            "event = \"finish\"\nfrom = [\"review\"]",
            "event = \"start\"\nfrom = [\"received\"]",
            "event `start` is defined twice for state `received`",
            line_with("event = \"finish\""),
        ),
        (
            "id = \"waiting\"",
            "id = \"review\"",
            "state `review` is defined twice",
            line_with("id = \"waiting\""),
        ),
        (
            "initial_state = \"received\"",
            "initial_state = \"x\"",
            "initial_state names undefined state `x`",
            line_with("initial_state"),
        ),
        (
            "\"access\", \"deletion\"]\nchannels",
            "\"access\", \"sell\"]\nchannels",
            "`sell` is not a right of regime `appi`",
            line_with("request_types = [\"access\", \"deletion\"]"),
        ),
        (
            "jurisdictions = [\"japan\"]",
            "jurisdictions = [\"atlantis\"]",
            "unknown place `atlantis`: define it in seeds/places/",
            line_with("jurisdictions"),
        ),
        (
            "version = 1",
            "version = 0",
            "version must be 1 or more",
            line_with("version = 1"),
        ),
        (
            "amount_yen = 5400",
            "amount_yen = -1",
            "positive number of yen",
            line_with("amount_yen"),
        ),
        (
            "request_types = [\"access\"]\n",
            "request_types = [\"portability\"]\n",
            "does not serve",
            line_with("request_types = [\"access\"]"),
        ),
        (
            "guards = [\"reason_given\"]\neffects = [\"extend",
            "guards = []\neffects = [\"extend",
            "needs the `reason_given` guard",
            line_with("extend_deadline"),
        ),
        (
            "duration = { business_days = 10 }\ncalendar = \"jp\"\n",
            "duration = { business_days = 10 }\n",
            "needs a `calendar`",
            line_with("id = \"ack\""),
        ),
        (
            "duration = { days = 14 }",
            "duration = { days = 14, months = 1 }",
            "exactly one of",
            line_with("duration = { days = 14 }"),
        ),
    ];
    for (find, replace, reason, line) in cases {
        let e = broken(find, replace);
        assert!(e.reason.contains(reason), "{find} → {e}");
        assert_eq!(e.line, Some(line), "{find} → {e}");
    }
    // Structural checks.
    let e = broken("terminal = true", "terminal = false");
    assert!(
        e.reason
            .contains("`done` is not terminal but has no transition out"),
        "{e}"
    );
    let e = broken(
        "from = [\"received\"]\nto = \"review\"",
        "from = [\"received\"]\nto = \"done\"",
    );
    assert!(e.reason.contains("cannot be reached"), "{e}");
    let e = broken(
        "id = \"waiting\"\nlabel = { en = \"Waiting\", ja = \"待ち\" }",
        "id = \"waiting\"\nlabel = { en = \"Waiting\", ja = \"待ち\" }\ncolour = 1",
    );
    assert!(
        e.line.is_some() && e.reason.contains("unknown field"),
        "{e}"
    );
    let e = broken("notice = \"deadline_extended\"\n", "");
    assert!(e.reason.contains("must send a notice"), "{e}");
}

#[test]
fn clock_lengths_are_bounded_and_start_day_counting_is_for_days() {
    let e = broken("duration = { days = 14 }", "duration = { days = 99999 }");
    assert!(e.reason.contains("longer than ten years"), "{e}");
    let e = broken("times = 1", "times = 99");
    assert!(e.reason.contains("at most 12 extensions"), "{e}");
    let e = broken(
        "calendar = \"jp\"\n",
        "calendar = \"jp\"\nincludes_start_day = true\n",
    );
    assert!(e.reason.contains("calendar days only"), "{e}");
}

#[test]
fn time_zones_are_checked() {
    let src = FIXTURE.replace(
        "initial_state = \"received\"",
        "timezone = \"Mars/Olympus\"\ninitial_state = \"received\"",
    );
    let e = WorkflowDefinition::parse(&src, &laws()).unwrap_err();
    assert!(e.reason.contains("unknown time zone `Mars/Olympus`"), "{e}");
    assert_eq!(
        fixture().timezone,
        chrono_tz::Asia::Tokyo,
        "Tokyo by default"
    );
}

struct World {
    def: WorkflowDefinition,
    state: String,
    facts: Facts,
    clocks: Clocks,
    today: NaiveDate,
    cals: Calendars,
    request_type: RightCode,
    task: Option<crate::domain::systems::TaskKind>,
}

impl World {
    fn new(def: WorkflowDefinition, request_type: RightCode, today: &str) -> Self {
        let today = d(today);
        Self {
            state: def.initial_state.clone(),
            clocks: def.clocks_at_intake(today),
            // The requester confirmed their email address, as online procedures ask before anything.
            facts: Facts::from([Fact::EmailConfirmed]),
            today,
            cals: calendars(),
            task: laws()
                .regime(&def.regime)
                .and_then(|r| r.right(request_type.as_str()))
                .and_then(|r| r.task),
            request_type,
            def,
        }
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            state: &self.state,
            request_type: &self.request_type,
            task: self.task,
            facts: &self.facts,
            clocks: &self.clocks,
            today: self.today,
            calendars: &self.cals,
        }
    }

    fn fire(
        &mut self,
        event: &str,
        role: Role,
        reason: Option<&str>,
    ) -> Result<Transition, TransitionError> {
        let data = data(reason);
        let t = self.def.decide(
            &self.subject(),
            &EventInput {
                event,
                by: role.into(),
                data: &data,
            },
        )?;
        self.def
            .apply(&mut self.facts, &mut self.clocks, &t, self.today);
        self.state = t.to.clone();
        Ok(t)
    }
}

mod engine;
mod law;

#[test]
fn the_desk_and_the_authority_come_from_the_files() {
    let postal_src = include_str!("../../../../seeds/workflows/jp-postal.toml");
    let postal = WorkflowDefinition::parse(postal_src, &laws()).unwrap();
    let desk = postal.desk.as_ref().unwrap();
    let lines = desk.sender_lines(crate::domain::request::Language::JA);
    assert!(lines[0].starts_with("〒150-8512"), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains('宛')), "{lines:?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("https://gpu.cloud.gmo.jp")
    );
    // Letters go to the same address the forms print.
    assert_eq!(
        postal.postal.as_ref().unwrap().desk,
        desk.address.clone().unwrap()
    );
    // The law's authority where the procedure names none (jp-postal); its own where it does (gdpr).
    assert!(
        postal
            .complaint_authority
            .as_ref()
            .unwrap()
            .ja()
            .contains("個人情報保護委員会")
    );

    // The address in [postal] (older files) and in [desk] at once: which one letters use would be unclear.
    let both = postal_src.replacen(
        "transfer_agent",
        "desk = { en = \"Desk\", ja = \"窓口\" }\ntransfer_agent",
        1,
    );
    let e = WorkflowDefinition::parse(&both, &laws()).unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
    // A [desk] with only a telephone number says too little.
    let phone_only: String = {
        let src = postal_src.to_owned();
        let start = src.find("[desk]\n").unwrap();
        let end = src[start..].find("\n\n").unwrap() + start;
        format!(
            "{}[desk]\nphone = \"03-0000-0000\"{}",
            &src[..start],
            &src[end..]
        )
    };
    let e = WorkflowDefinition::parse(&phone_only, &laws()).unwrap_err();
    assert!(e.to_string().contains("name or address"), "{e}");
}
