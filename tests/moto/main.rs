//! Tests against moto server on 127.0.0.1 (started by `make test`): the doctor as the Lambda
//! handler and as the CLI, reading back what it published through an SQS subscription.

mod alert_path;
mod alerts;
mod change;
mod change_mocks;
mod efs;
mod expect;
mod faults;
mod findings_bus;
mod identity;
mod instances;
mod ipv6;
mod lambda_process;
mod managed_instances;
mod network;
mod org;
mod paths;
mod rule_pattern;
mod simulator;
mod skeleton;
mod support;
mod world;
