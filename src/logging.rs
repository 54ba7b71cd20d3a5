//! Logging set-up for the Lambda and the CLI. Whatever level is asked for, the crates that log
//! request and response bodies at their finest levels are capped: at TRACE, lambda_runtime logs
//! the raw event (environment overrides, presigned URLs) and the SDK's orchestrator logs whole
//! responses (a task definition's environment values). No log line may hold a value.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Targets that log bodies below INFO, and the finest level each may log at.
const CAPPED: &[&str] = &[
    "lambda_runtime=info",
    "lambda_runtime_api_client=info",
    "aws_smithy_runtime=info",
    "aws_smithy_runtime_api=info",
    "aws_smithy_http_client=info",
    "aws_smithy_types=info",
    "aws_runtime=info",
    "aws_config=info",
    "aws_sdk_ecs=info",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "rustls=info",
];

/// The filter for a level (`trace`, `debug`, `info`, `warn`, `error`, `off`; anything else
/// reads as `default`): that level for the doctor and everything else, the capped targets at
/// most INFO. Per-target directives from the environment are not taken: they could lift a cap.
pub fn filter(level: Option<&str>, default: LevelFilter) -> EnvFilter {
    let level = level
        .and_then(|l| l.trim().parse::<LevelFilter>().ok())
        .unwrap_or(default);
    let mut directives = vec![level.to_string().to_lowercase()];
    directives.extend(CAPPED.iter().map(|cap| {
        let (target, most) = cap.split_once('=').expect("target=level");
        let most: LevelFilter = most.parse().expect("a level");
        format!("{target}={}", level.min(most).to_string().to_lowercase())
    }));
    EnvFilter::new(directives.join(","))
}

/// The Lambda's logging: the level from `DOCTOR_LOG_LEVEL` (the stack's LogLevel), else
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else `RUST_LOG`, else INFO;
/// JSON when `AWS_LAMBDA_LOG_FORMAT` is JSON, as lambda_runtime's default subscriber does.
/// The stack keeps Lambda's own level at INFO for WARN and ERROR, so the metric lines (no
/// level, read as INFO) are not dropped, and filters the doctor's lines here instead.
pub fn init_lambda() {
    let level = lambda_level(|name| std::env::var(name).ok());
    let subscriber = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level.as_deref(), LevelFilter::INFO));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        subscriber.json().init();
    } else {
        subscriber.init();
    }
}

/// The level the Lambda's own lines are filtered by, from the first variable set.
fn lambda_level(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["DOCTOR_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .into_iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
}

/// The CLI's logging, on stderr: `RUST_LOG`'s level, WARN by default.
pub fn init_cli() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter(
            std::env::var("RUST_LOG").ok().as_deref(),
            LevelFilter::WARN,
        ))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stacks_level_comes_before_lambdas() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        // Lambda passes INFO (for the metric lines); the stack asked for WARN.
        let both = env(&[
            ("DOCTOR_LOG_LEVEL", "WARN"),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ]);
        assert_eq!(lambda_level(both).as_deref(), Some("WARN"));
        let lambda = env(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG"), ("RUST_LOG", "trace")]);
        assert_eq!(lambda_level(lambda).as_deref(), Some("DEBUG"));
        assert_eq!(lambda_level(env(&[])), None);
    }

    #[test]
    fn body_logging_targets_stay_at_info_whatever_is_asked() {
        let directives = |level: Option<&str>| -> Vec<String> {
            filter(level, LevelFilter::INFO)
                .to_string()
                .split(',')
                .map(str::to_string)
                .collect()
        };
        let trace = directives(Some("trace"));
        for expected in ["trace", "lambda_runtime=info", "aws_smithy_runtime=info"] {
            assert!(trace.iter().any(|d| d == expected), "{expected}: {trace:?}");
        }
        let warn = directives(Some("warn"));
        assert!(
            warn.iter().any(|d| d == "lambda_runtime=warn"),
            "a cap never raises a level: {warn:?}"
        );
        let asked = directives(Some("lambda_runtime=trace"));
        assert!(asked.iter().any(|d| d == "info"), "{asked:?}");
        assert!(
            !asked.iter().any(|d| d == "lambda_runtime=trace"),
            "directives are not taken: {asked:?}"
        );
    }
}
