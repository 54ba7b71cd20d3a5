//! Assertions the moto tests share.

use ecs_task_doctor::verdict::Report;

/// The report's root cause is `id`.
#[track_caller]
pub fn assert_cause(report: &Report, id: &str) {
    assert_eq!(report.root_cause.as_deref(), Some(id), "{report:#?}");
}

/// The report's root cause is `id`, and its finding's detail says `detail`.
#[track_caller]
pub fn assert_root(report: &Report, id: &str, detail: &str) {
    assert_cause(report, id);
    let root = report.root_finding().expect("the root cause has a finding");
    assert!(root.detail.contains(detail), "{id}: {}", root.detail);
}

/// The statuses of the report's findings of check `id`, in order.
pub fn statuses<'r>(report: &'r Report, id: &str) -> Vec<&'r str> {
    report
        .findings
        .iter()
        .filter(|f| f.id == id)
        .map(|f| f.status.as_str())
        .collect()
}
