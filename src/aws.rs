//! The AWS clients the doctor uses, built once and kept across warm invocations, per region
//! (and, once the doctor works across accounts, per account).

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub iam: aws_sdk_iam::Client,
    pub sns: aws_sdk_sns::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub s3: aws_sdk_s3::Client,
    pub efs: aws_sdk_efs::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
}

impl Clients {
    /// Clients are cheap handles; making them builds no connections.
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            ecs: aws_sdk_ecs::Client::new(config),
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            s3: aws_sdk_s3::Client::new(config),
            efs: aws_sdk_efs::Client::new(config),
            cloudtrail: aws_sdk_cloudtrail::Client::new(config),
        }
    }
}

/// Loads the standard configuration chain (so `AWS_ENDPOINT_URL` points the doctor at a local
/// emulator), with the SDK's adaptive retries (a burst of stops that meets throttling slows its
/// own calls down instead of hammering the account's read quotas) and timeouts that keep one
/// slow call from eating the Lambda's whole budget.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(12))
                .build(),
        )
        .load()
        .await
}

/// Clients per region, made on first use from one base configuration.
#[derive(Debug)]
pub struct ClientCache {
    base: SdkConfig,
    by_region: Mutex<HashMap<String, Arc<Clients>>>,
}

impl ClientCache {
    pub fn new(base: SdkConfig) -> Self {
        ClientCache {
            base,
            by_region: Mutex::new(HashMap::new()),
        }
    }

    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The clients for a region; the base configuration's region when `None` or empty.
    pub fn get(&self, region: Option<&str>) -> Arc<Clients> {
        let region = region
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .or_else(|| self.base.region().map(|r| r.to_string()))
            .unwrap_or_default();
        // A poisoned lock only means another invocation panicked mid-insert; the map is fine.
        let mut cache = self.by_region.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(region.clone())
            .or_insert_with(|| {
                let config = self.base.to_builder().region(Region::new(region)).build();
                Arc::new(Clients::new(&config))
            })
            .clone()
    }
}
