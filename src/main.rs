//! The CLI: wires arguments to the library.

use clap::{Args, Parser, Subcommand, ValueEnum};
use ecs_task_doctor::accounts::{DEFAULT_MEMBER_ROLE, MemberRole};
use ecs_task_doctor::collect::{self, Target};
use ecs_task_doctor::doctor::{Doctor, diagnose_facts};
use ecs_task_doctor::event::{Intake, intake};
use ecs_task_doctor::facts::Facts;
use ecs_task_doctor::notify::Topics;
use ecs_task_doctor::{Error, Result, checks, reason, render};
use std::process::ExitCode;

/// Diagnoses ECS tasks that stopped with ResourceInitializationError.
#[derive(Parser)]
#[command(name = "ecs-task-doctor", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Diagnose a stopped task: from an event, by cluster and task, or from saved facts.
    Diagnose(DiagnoseArgs),
    /// Classify a stoppedReason (no AWS calls); prints the report's `failure` object.
    Classify {
        #[arg(long)]
        reason: String,
    },
    /// Print the table of checks (finding ids) as Markdown.
    Checks,
    /// List recent diagnoses kept in the ledger (DEDUP_TABLE), newest first.
    History(HistoryArgs),
}

#[derive(Args)]
struct HistoryArgs {
    /// Only this cluster (by name); without it, every cluster of the account and region.
    #[arg(long)]
    cluster: Option<String>,
    /// Only this service (or task family).
    #[arg(long)]
    service: Option<String>,
    /// The account; default: the caller's (sts:GetCallerIdentity).
    #[arg(long)]
    account: Option<String>,
    /// The tasks' region (a member account's stops in another region); default: the CLI's,
    /// where the ledger table is.
    #[arg(long)]
    region: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: i32,
    /// Print each entry's whole report JSON instead of one line.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["event", "task", "facts"])))]
struct DiagnoseArgs {
    /// An EventBridge "ECS Task State Change" event (JSON file, `-` for stdin).
    #[arg(long)]
    event: Option<String>,
    /// The task's cluster (name or ARN), with --task.
    #[arg(long, requires = "task")]
    cluster: Option<String>,
    /// The task (id or ARN), with --cluster.
    #[arg(long, requires = "cluster")]
    task: Option<String>,
    /// Facts saved with --dump-facts: re-run the checks offline, with no AWS access.
    #[arg(long, conflicts_with = "publish")]
    facts: Option<String>,
    /// Also write the gathered facts to this file.
    #[arg(long)]
    dump_facts: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Publish the alert to TOPIC_ARN exactly as the Lambda does.
    #[arg(long)]
    publish: bool,
    /// The task's account, read through its member role (MEMBER_ROLE_NAME, default
    /// ecs-task-doctor-reader) as the Lambda does; the doctor's own account is read directly.
    #[arg(long, conflicts_with_all = ["role_arn", "facts"])]
    account: Option<String>,
    /// Read the task through this role (assumed with sts:AssumeRole), whatever its account.
    #[arg(long, conflicts_with = "facts")]
    role_arn: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Chatbot,
}

#[tokio::main]
async fn main() -> ExitCode {
    ecs_task_doctor::logging::init_cli();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ecs-task-doctor: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Classify { reason } => {
            let failure = reason::classify(&reason);
            println!(
                "{}",
                serde_json::to_string_pretty(&failure).expect("serializes")
            );
            Ok(())
        }
        Command::Checks => {
            print!("{}", checks::markdown_table());
            Ok(())
        }
        Command::Diagnose(args) => diagnose(args).await,
        Command::History(args) => history(args).await,
    }
}

async fn history(args: HistoryArgs) -> Result<()> {
    let doctor = Doctor::from_env().await?;
    let ledger = doctor.ledger().ok_or_else(|| {
        Error::Config("DEDUP_TABLE is not set: the table that keeps the history".into())
    })?;
    let clients = doctor.clients();
    let region = args.region.unwrap_or_else(|| {
        clients
            .base()
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default()
    });
    let account = match args.account {
        Some(account) => account,
        None => collect::caller_account(clients).await?,
    };
    let entries = ledger
        .list(
            &account,
            &region,
            args.cluster.as_deref(),
            args.service.as_deref(),
            args.limit,
        )
        .await?;
    for entry in entries {
        if args.json {
            println!("{}", entry.report);
        } else {
            println!(
                "{}  {}  {}  {}  {}",
                entry.time,
                entry.cluster,
                entry.service,
                entry.task_id,
                entry.root_cause.as_deref().unwrap_or("no fault found")
            );
        }
    }
    Ok(())
}

fn read(path: &str) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_string(),
        source,
    };
    if path == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(io)
    } else {
        std::fs::read_to_string(path).map_err(io)
    }
}

async fn diagnose(args: DiagnoseArgs) -> Result<()> {
    let report = if let Some(path) = &args.facts {
        let facts: Facts = serde_json::from_str(&read(path)?).map_err(|e| Error::BadFacts {
            path: path.clone(),
            message: e.to_string(),
        })?;
        diagnose_facts(&facts)
    } else {
        let role = match (&args.account, &args.role_arn) {
            (_, Some(arn)) => MemberRole::Arn(arn.clone()),
            (Some(_), None) => match MemberRole::from_env() {
                MemberRole::None => MemberRole::Named(DEFAULT_MEMBER_ROLE.into()),
                named => named,
            },
            (None, None) => MemberRole::from_env(),
        };
        let doctor = Doctor::from_env_with(role).await?;
        let diagnose = async |target: Target<'_>, region: Option<&str>| match &args.account {
            Some(account) => doctor.diagnose_in(account, target, region, None).await,
            None => doctor.diagnose(target, region, None).await,
        };
        let mut raw_event = None;
        let (facts, mut report) = match (&args.event, &args.cluster, &args.task) {
            (Some(path), _, _) => {
                let text = read(path)?;
                let value: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| Error::BadEvent {
                        event_id: path.clone(),
                        message: format!("not JSON: {e}"),
                    })?;
                raw_event = Some(value.clone());
                match intake(value)? {
                    Intake::Ignore(why) => {
                        eprintln!("ecs-task-doctor: nothing to diagnose: {why}");
                        return Ok(());
                    }
                    Intake::Diagnose(task) => {
                        diagnose(Target::Event(&task), Some(&task.region)).await?
                    }
                }
            }
            (None, Some(cluster), Some(task)) => {
                let region = task.split(':').nth(3);
                diagnose(Target::Named { cluster, task }, region).await?
            }
            _ => unreachable!("clap requires --event, --facts or --cluster with --task"),
        };
        if let Some(path) = &args.dump_facts {
            let json = serde_json::to_string_pretty(&facts).expect("facts serialize");
            std::fs::write(path, json).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        if args.publish {
            let now = chrono::Utc::now().timestamp();
            let (outcome, published) = doctor
                .publish(
                    &facts.task,
                    report,
                    raw_event.as_ref(),
                    Topics::from_env()?,
                    now,
                )
                .await?;
            report = published;
            eprintln!(
                "ecs-task-doctor: {}",
                serde_json::to_string(&outcome).expect("serializes")
            );
        }
        report
    };
    match args.format {
        Format::Text => print!("{}", render::text(&report)),
        Format::Json => println!("{}", render::json(&report)),
        Format::Chatbot => println!(
            "{}",
            serde_json::to_string_pretty(&render::chatbot(&report)).expect("serializes")
        ),
    }
    Ok(())
}
