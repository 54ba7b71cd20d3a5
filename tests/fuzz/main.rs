//! A bounded fuzz pass (proptest) over everything an event touches without AWS: intake, the
//! stoppedReason classifier, the checks over the event's own facts, every rendering and the
//! SNS alert's limits. No input may panic. `make test` runs FUZZ_CASES (default 300) cases per
//! property, each printing how many cases reached the checks and renderings; the corpus under tests/fuzz/corpus (real fixtures and inputs that once broke
//! something) always runs whole. `FUZZ_CASES=100000 cargo test --test fuzz` for a longer pass.

use ecs_task_doctor::collect::event_facts;
use ecs_task_doctor::doctor::diagnose_facts;
use ecs_task_doctor::event::{Intake, intake};
use ecs_task_doctor::notify::{MESSAGE_LIMIT, alert};
use ecs_task_doctor::{reason, render};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300)
}

/// Runs one input through the whole offline pipeline and checks the output's limits. Returns
/// whether the input reached the checks and the renderings (intake may rightly ignore it).
fn pipeline(input: Value) -> bool {
    let Ok(Intake::Diagnose(task)) = intake(input) else {
        return false;
    };
    let report = diagnose_facts(&event_facts(&task));
    let _ = render::text(&report);
    let _ = render::json(&report);
    let _ = serde_json::to_string(&render::chatbot(&report)).unwrap();
    let alert = alert(&report, MESSAGE_LIMIT);
    assert!(
        alert.subject.chars().count() < 100,
        "subject too long: {}",
        alert.subject
    );
    assert!(
        !alert.subject.chars().any(char::is_control),
        "control character in the subject"
    );
    assert!(
        alert.message.len() <= MESSAGE_LIMIT,
        "alert over SNS's limit: {}",
        alert.message.len()
    );
    true
}

/// Prints a reach count in `make test`'s output: straight to stderr, which the test harness
/// does not capture (its capture covers only the print macros).
fn report_reach(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "fuzz: {line}");
}

/// The event fixtures in `events/`, by file name.
fn event_fixtures() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/events");
    let mut fixtures: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            (name, serde_json::from_str(&text).unwrap())
        })
        .collect();
    fixtures.sort_by(|a, b| a.0.cmp(&b.0));
    fixtures
}

/// The stopped-task fixtures the doctor diagnoses: the bases the generators mutate.
fn stopped_fixtures() -> Vec<Value> {
    event_fixtures()
        .into_iter()
        .map(|(_, event)| event)
        .filter(|event| matches!(intake(event.clone()), Ok(Intake::Diagnose(_))))
        .collect()
}

#[test]
fn the_corpus_never_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/corpus");
    let mut events = 0;
    let mut reached = 0;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        events += 1;
        reached += usize::from(pipeline(value));
    }
    for (fixture, _) in event_fixtures() {
        assert!(
            names.contains(&fixture),
            "the corpus lacks events/{fixture}"
        );
    }
    report_reach(&format!(
        "corpus: {reached} of {events} event files reached the checks and renderings"
    ));
    assert!(reached >= stopped_fixtures().len(), "{reached} of {events}");
}

/// Runs `cases()` inputs from `strategy` through the pipeline; prints and returns how many
/// reached the checks and renderings.
fn run_property<S: Strategy>(
    name: &str,
    strategy: S,
    input: impl Fn(S::Value) -> Value,
) -> (u32, u32)
where
    S::Value: std::fmt::Debug,
{
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let reached = std::cell::Cell::new(0u32);
    let ran = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |value| {
            ran.set(ran.get() + 1);
            if pipeline(input(value)) {
                reached.set(reached.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    report_reach(&format!(
        "{name}: {} of {} cases reached the checks and renderings",
        reached.get(),
        ran.get()
    ));
    (reached.get(), ran.get())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("ResourceInitializationError".into())),
        Just(Value::String("STOPPED".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path of a JSON value, as JSON pointers.
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

#[test]
fn arbitrary_json_never_panics() {
    // Most arbitrary JSON is rightly ignored at intake: this property is about not panicking.
    run_property("arbitrary JSON", json_value(), |input| input);
}

#[test]
fn a_real_event_with_any_field_replaced_never_panics() {
    let bases = stopped_fixtures();
    assert!(bases.len() >= 5, "the stopped-task fixtures");
    let picks = (
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4),
    );
    // Any JSON in any place mostly makes a malformed event, which intake rightly rejects:
    // this property is about not panicking; the next one reaches the checks.
    run_property(
        "fixtures with any field replaced by any JSON",
        picks,
        |(base, picks)| {
            let mut event = base.get(&bases).clone();
            for (index, replacement) in picks {
                let mut paths = Vec::new();
                pointers(&event, String::new(), &mut paths);
                if paths.is_empty() {
                    break;
                }
                let path = index.get(&paths).clone();
                if let Some(slot) = event.pointer_mut(&path) {
                    *slot = replacement;
                }
            }
            event
        },
    );
}

/// Strings an attacker or a broken producer may put anywhere: chat specials, ARNs, huge text.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,80}",
        Just("<!channel> <https://evil.example|Open> @here".to_string()),
        Just("arn:aws:secretsmanager:us-east-1:123456789012:secret:x".to_string()),
        Just("ResourceInitializationError: unable to pull secrets".to_string()),
        "x{2000,3000}",
    ]
}

#[test]
fn a_real_event_with_any_text_replaced_reaches_the_checks() {
    let bases = stopped_fixtures();
    let picks = (
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<prop::sample::Index>(), hostile_string()), 1..6),
    );
    let (reached, ran) = run_property(
        "fixtures with text fields replaced",
        picks,
        |(base, picks)| {
            let mut event = base.get(&bases).clone();
            for (index, replacement) in picks {
                let mut paths = Vec::new();
                pointers(&event, String::new(), &mut paths);
                let strings: Vec<String> = paths
                    .into_iter()
                    .filter(|path| event.pointer(path).is_some_and(Value::is_string))
                    .collect();
                if strings.is_empty() {
                    break;
                }
                let path = index.get(&strings).clone();
                if let Some(slot) = event.pointer_mut(&path) {
                    *slot = Value::String(replacement);
                }
            }
            event
        },
    );
    // Generated from valid fixtures, most cases must get past intake.
    assert!(
        reached * 2 > ran,
        "only {reached} of {ran} reached the checks"
    );
}

#[test]
fn any_stopped_reason_is_classified_and_rendered() {
    let bases = stopped_fixtures();
    let (reached, ran) = run_property(
        "any stoppedReason",
        (any::<prop::sample::Index>(), "(?s).{0,600}"),
        |(base, reason_text)| {
            let failure = reason::classify(&reason_text);
            assert!(!failure.summary.is_empty());
            let mut event = base.get(&bases).clone();
            event["detail"]["stoppedReason"] =
                Value::String(format!("ResourceInitializationError: {reason_text}"));
            event
        },
    );
    assert_eq!(reached, ran, "every stopped event reaches the checks");
}
