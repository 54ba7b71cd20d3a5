//! A bounded fuzz pass (proptest) over everything an event touches without AWS: intake, the
//! stoppedReason classifier, the checks over the event's own facts, every rendering and the
//! SNS alert's limits. No input may panic. `make test` runs FUZZ_CASES (default 300) cases per
//! property; the corpus under tests/fuzz/corpus (real fixtures and inputs that once broke
//! something) always runs whole. `FUZZ_CASES=100000 cargo test --test fuzz` for a longer pass.

use ecs_task_doctor::collect::event_facts;
use ecs_task_doctor::doctor::diagnose_facts;
use ecs_task_doctor::event::{Intake, intake};
use ecs_task_doctor::notify::{MESSAGE_LIMIT, alert};
use ecs_task_doctor::{reason, render};
use proptest::prelude::*;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(300)
}

/// Runs one input through the whole offline pipeline and checks the output's limits.
fn pipeline(input: Value) {
    let Ok(Intake::Diagnose(task)) = intake(input) else {
        return;
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
}

#[test]
fn the_corpus_never_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Ok(value) = serde_json::from_str(&text) {
            pipeline(value);
        }
        seen += 1;
    }
    assert!(seen >= 8, "the corpus holds the event fixtures");
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

fn fixture() -> Value {
    serde_json::from_str(include_str!(
        "../../events/ecs-task-stopped-secrets-network.json"
    ))
    .unwrap()
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

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(input in json_value()) {
        pipeline(input);
    }

    #[test]
    fn a_real_event_with_any_field_replaced_never_panics(picks in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4)) {
        let mut event = fixture();
        for (index, replacement) in picks {
            let mut paths = Vec::new();
            pointers(&event, String::new(), &mut paths);
            if paths.is_empty() { break; }
            let path = index.get(&paths).clone();
            if let Some(slot) = event.pointer_mut(&path) {
                *slot = replacement;
            }
        }
        pipeline(event);
    }

    #[test]
    fn any_stopped_reason_is_classified_and_rendered(reason_text in "(?s).{0,600}") {
        let failure = reason::classify(&reason_text);
        prop_assert!(!failure.summary.is_empty());
        let mut event = fixture();
        event["detail"]["stoppedReason"] = Value::String(format!("ResourceInitializationError: {reason_text}"));
        pipeline(event);
    }
}
