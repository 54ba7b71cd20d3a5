//! The stoppedReason classifier against real messages (see table.rs for each one's source).

mod table;

use ecs_task_doctor::reason::classify;

fn plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_real_message_is_classified_as_its_row_says() {
    assert!(table::ROWS.len() >= 117);
    let mut wrong = Vec::new();
    for row in table::ROWS {
        let got = classify(row.reason);
        let got = (
            plain(&got.stage),
            plain(&got.error),
            got.resource,
            got.action,
        );
        let want = (
            row.stage.to_string(),
            row.error.to_string(),
            row.resource.map(str::to_string),
            row.action.map(str::to_string),
        );
        if got != want {
            wrong.push(format!(
                "{}\n    got  {got:?}\n    want {want:?}",
                row.reason
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} rows differ:\n{}",
        wrong.len(),
        table::ROWS.len(),
        wrong.join("\n")
    );
}

/// The README states the table's size; this keeps the sentence true.
#[test]
fn the_readme_states_the_tables_size() {
    let readme = include_str!("../../README.md");
    let sentence = format!("{} real `stoppedReason`s", table::ROWS.len());
    assert!(
        readme.contains(&sentence),
        "README.md should say \"{sentence}\""
    );
}

/// Every stage the classifier names is met by at least one real message.
#[test]
fn every_stage_has_real_messages() {
    for stage in [
        "secrets-manager",
        "ssm",
        "ecr-auth",
        "private-registry-auth",
        "secrets-or-auth",
        "image-pull",
        "logging",
        "env-files",
        "efs",
        "task-network",
        "container-runtime",
        "log-router",
        "image-content",
        "other",
    ] {
        assert!(
            table::ROWS.iter().any(|row| row.stage == stage),
            "no real message at stage {stage}"
        );
    }
}
