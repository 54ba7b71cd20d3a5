//! Tests against moto server on 127.0.0.1 (started by `make test`): the doctor as the Lambda
//! handler and as the CLI, reading back what it published through an SQS subscription.

mod alerts;
mod efs;
mod expect;
mod faults;
mod identity;
mod instances;
mod network;
mod paths;
mod rule_pattern;
mod simulator;
mod skeleton;
mod support;
mod world;
