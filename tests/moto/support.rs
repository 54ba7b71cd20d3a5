//! Shared set-up for the tests that run against moto server on loopback (`make test` starts
//! it and sets MOTO_ENDPOINT). Each test takes the lock, resets moto and builds its own world,
//! so the tests of this binary never see each other's resources.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::sync::LazyLock;
use tokio::sync::{Mutex, MutexGuard};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

static MOTO: LazyLock<Mutex<()>> = LazyLock::new(|| Mutex::new(()));

pub fn endpoint() -> String {
    std::env::var("MOTO_ENDPOINT")
        .expect("MOTO_ENDPOINT is not set: run `make test`, which starts moto server on 127.0.0.1")
}

/// Takes moto for one test and wipes every backend.
pub async fn moto() -> MutexGuard<'static, ()> {
    let guard = MOTO.lock().await;
    let status = http_post(&format!("{}/moto-api/reset", endpoint())).await;
    assert!(
        status.starts_with("HTTP/1.1 200"),
        "moto reset failed: {status}"
    );
    guard
}

/// A bare HTTP POST over loopback, so the tests need no HTTP client crate of their own.
async fn http_post(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .expect("moto endpoint is plain http");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("moto reachable");
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// Credentials and endpoint for moto; the same as the environment the CLI gets.
pub fn env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

pub async fn config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

/// Credentials that act in `account`: moto's AssumeRole gives keys of the role's account,
/// whether or not the role exists (moto/sts/models.py `_create_access_key`). Valid until the
/// next reset, which wipes them.
pub async fn account_config(account: &str, region: &str) -> SdkConfig {
    let sts = aws_sdk_sts::Client::new(&config().await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/world-builder"))
        .role_session_name("world-builder")
        .send()
        .await
        .unwrap();
    let given = out.credentials().unwrap();
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(region.to_string()))
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            given.access_key_id(),
            given.secret_access_key(),
            Some(given.session_token().to_string()),
            None,
            "moto-member",
        ))
        .load()
        .await
}
