// Real stoppedReason messages and how ecs-task-doctor classifies them.
// Every row names where the message was published.
//
// Notes on copying:
// - Messages are copied verbatim from the cited source. Where the source wrapped one
//   message over several lines (code blocks, notes files, blog layout), the line breaks
//   were joined with single spaces; such rows say "(wrapped in source)".
// - Leading labels added by the poster or the console ("Stopped reason", "Status reason |",
//   "Reason:", "STOPPED ", "Error : ") and markdown emphasis were dropped.
pub struct Row {
    pub reason: &'static str,
    pub stage: &'static str,
    pub error: &'static str,
    pub resource: Option<&'static str>,
    pub action: Option<&'static str>,
}

pub const ROWS: &[Row] = &[
    // ---------------------------------------------------------------------------------
    // Secrets Manager (asm), pre-2024 chain
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/Releem/releem-agent/issues/195 — Fargate task could not reach Secrets Manager; fixed by allowing SG outbound
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:us-west-2:*:secret:DBPasswordSecret-* from secrets manager: RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
        stage: "secrets-manager",
        error: "network",
        resource: Some("arn:aws:secretsmanager:us-west-2:*:secret:DBPasswordSecret-*"),
        action: None,
    },
    // Source: https://github.com/GovWifi/govwifi-terraform/issues/450 — truncated console reason (ends in "..." inside the ARN); execution role policy fix
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-2:788375279931...",
        stage: "secrets-manager",
        error: "unknown",
        resource: Some("arn:aws:secretsmanager:eu-west-2:788375279931"),
        action: None,
    },
    // Source: https://github.com/aws-samples/dataops-platform-airflow-dbt/issues/12 — issue title, truncated right after "failed to fetch"
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch",
        stage: "secrets-manager",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/GiamPy5/terraform-aws-directus/issues/10 — secret encrypted with a customer KMS key; execution role lacked kms:Decrypt
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-central-1:account_id:secret:algo-dev-directus-secret20240626183203358800000004-EaPYTy from secrets manager: AccessDeniedException: Access to KMS is not allowed status code: 400, request id: a87a66d9-f839-4353-b8c2-9984b1465695",
        stage: "secrets-manager",
        error: "kms",
        resource: Some(
            "arn:aws:secretsmanager:eu-central-1:account_id:secret:algo-dev-directus-secret20240626183203358800000004-EaPYTy",
        ),
        action: None,
    },
    // Source: https://github.com/aws-samples/dify-self-hosted-on-aws/pull/35 (PR) — partial ARN of a secret whose name ends in "-" + 6 chars; as quoted (ends "status code: 400,")
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:ap-southeast-1:redact:secret:test-secret from secrets manager: AccessDeniedException: User: arn:aws:sts::redact:assumed-role/DifyOnAwsStack-WebServiceTaskExecutionRole4406CA16-redact is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:ap-southeast-1:redact:secret:test-secret because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400,",
        stage: "secrets-manager",
        error: "access-denied",
        resource: Some("arn:aws:secretsmanager:ap-southeast-1:redact:secret:test-secret"),
        action: Some("secretsmanager:GetSecretValue"),
    },
    // Source: https://github.com/rileydakota/valheim-ecs-fargate-cdk/issues/9 — secret value was not valid JSON while a JSON key was requested
    // The secret is not JSON although valueFrom asks for a JSON key: a reference problem.
    Row {
        reason: r#"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): invalid character '\'' looking for beginning of value"#,
        stage: "secrets-manager",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://repost.aws/zh-Hans/knowledge-center/ecs-unable-to-pull-secrets — AWS Knowledge Center, second listed message (cut after "retried")
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried",
        stage: "secrets-manager",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/cardozoalani/wokibrain/blob/766afc3dba167fc912ac25a895323301f919ca44/terraform/SOLUCION_GRAFANA_503.md — AWS SDK v2 shaped AccessDenied inside the old chain; execution role lacked secretsmanager:GetSecretValue (placeholders and "..." as posted; wrapped in source)
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:production-wokibrain-grafana-password-XXXXX from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: db61b7ea-3f1b-4a20-88a7-f2cbf360c6dd, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/production-wokibrain-ecs-execution-role/... is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:production-wokibrain-grafana-password-XXXXX because no identity-based policy allows the secretsmanager:GetSecretValue action",
        stage: "secrets-manager",
        error: "access-denied",
        resource: Some(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:production-wokibrain-grafana-password-XXXXX",
        ),
        action: Some("secretsmanager:GetSecretValue"),
    },
    // Source: https://github.com/agentic-community/mcp-gateway-registry/pull/1684 (PR) — poster-abbreviated with "..." (wrapped in source); note "perform" has no colon
    Row {
        reason: "ResourceInitializationError: unable to pull secrets ... AccessDeniedException: role mcp-gateway-v2-registry-... is not authorized to perform secretsmanager:GetSecretValue on ...:secret:mcp-gateway-v2-embeddings-idp-secret-...",
        stage: "secrets-manager",
        error: "access-denied",
        resource: None,
        action: Some("secretsmanager:GetSecretValue"),
    },
    // ---------------------------------------------------------------------------------
    // Secrets Manager, 2024+ wording
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/PhanCuong91/SpendSense/blob/551d2a69a88f798711d7866c27a39541996e1658/deploy_1/Readme.md — task in private subnets; fixed with a Secrets Manager interface endpoint and a 443 self-rule on the task SG (label "Stopped status ->" dropped)
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. failed to fetch secret arn:aws:secretsmanager:ap-southeast-1:359615771071:secret:spendsense_gmail_credentials_json-ydLG7Q from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded",
        stage: "secrets-manager",
        error: "network",
        resource: Some(
            "arn:aws:secretsmanager:ap-southeast-1:359615771071:secret:spendsense_gmail_credentials_json-ydLG7Q",
        ),
        action: Some("secretsmanager:GetSecretValue"),
    },
    // Source: https://github.com/michaelrommel/fleetshell/blob/e282003457c07ffba67398a5b1eecbf9c95cdf46/infrastructure/make_portal_network.sh — describe-services output kept in the script's comments; service event text after "Reason:"
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. failed to fetch secret arn:aws:secretsmanager:eu-west-2:295934382486:secret:fleetshell/client-cert-Uhh4oy from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded.",
        stage: "secrets-manager",
        error: "network",
        resource: Some(
            "arn:aws:secretsmanager:eu-west-2:295934382486:secret:fleetshell/client-cert-Uhh4oy",
        ),
        action: Some("secretsmanager:GetSecretValue"),
    },
    // Source: https://github.com/jaafar-benabderrazak/ca_a2a/blob/2009246b086a0756c79196e88ffe5a1dd67a8504/FIX_ECS_SECRETS_MANAGER.md — private subnets, no endpoints (wrapped in source; quoted only up to the hint)
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager.",
        stage: "secrets-manager",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/blob/5d7418bf95bebe55c09eb2001d4d6917718bce89/ecs-agent/api/errors/error_messages_test.go — agent's augmented ResourceNotFoundException message (commit "Improve ASM error messages" on the branch of aws/amazon-ecs-agent#4181)
    Row {
        reason: "ResourceInitializationError: The task can't retrieve the secret with ARN 'aws::arn::my-secret' from AWS Secrets Manager. Check that the secret ARN is correct. ResourceNotFoundException: Secrets Manager can't find the specified secret.",
        stage: "secrets-manager",
        error: "not-found",
        resource: Some("aws::arn::my-secret"),
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // SSM Parameter Store
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/hashicorp/terraform-provider-aws/issues/33044 — subnets without a route out (same text also in https://github.com/aws/copilot-cli/issues/4834)
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): RequestCanceled: request context canceled caused by: context deadline exceeded. Please check your task network configuration.",
        stage: "ssm",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/copilot-cli/issues/2095 — truncated ("1 time..."); parameter had been written to the wrong account
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time...",
        stage: "ssm",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/copilot-cli/issues/4504 — odd casing "Resourceinitializationerror" as shown in the console; execution role lacked ssm:GetParameters
    Row {
        reason: "Resourceinitializationerror: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::<account id>:assumed-role/aits-demo-app-test-demo-app-ExecutionRole-28VBAJL3T0YT/f83b93a4dc3442a18eaaf8c2a235cd37 is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:eu-west-2:<account id>:parameter/GOOGLE_CLIENT_ID because no identity-based policy allows the ssm:GetParameters action status code: 400, request id: 1adcb55f-f798-4503-b8a3-cd1533290001",
        stage: "ssm",
        error: "access-denied",
        resource: Some("arn:aws:ssm:eu-west-2:<account id>:parameter/GOOGLE_CLIENT_ID"),
        action: Some("ssm:GetParameters"),
    },
    // Source: https://github.com/HHS/simpler-grants-gov/pull/4330 (PR) — empty environment segment produced a non-existent parameter path
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /api//new-relic-license-key",
        stage: "ssm",
        error: "not-found",
        resource: Some("/api//new-relic-license-key"),
        action: None,
    },
    // Source: https://github.com/aws/aws-cdk/issues/3529 — EC2-agent wording, placeholders as posted
    Row {
        reason: "Fetching secret data from SSM Parameter Store in {REGION}: AccessDeniedException: User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{...}/9e05ad12-2574-47a3-b48f-3a2244770318 is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{PARAMETER_NAME} status code: 400, request id: 787934d9-56ba-4a43-9e60-4f05a950a90e",
        stage: "ssm",
        error: "access-denied",
        resource: Some("arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{PARAMETER_NAME}"),
        action: Some("ssm:GetParameters"),
    },
    // Source: https://github.com/newrelic/nri-ecs/issues/10 — EC2-agent wording, /aws/reference/secretsmanager parameter (wrapped in source)
    Row {
        reason: "Fetching secret data from SSM Parameter Store in ap-northeast-1: AccessDeniedException: User: arn:aws:sts::xxxxxxxxxxxx:assumed-role/NewRelicECSIntegration-Ne-NewRelicECSTaskExecution-xxxxxxxxxxxx/xxxxxxxxxxxx is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:ap-northeast-1:xxxxxxxxxxxx:parameter/aws/reference/secretsmanager/NewRelicLicenseKeySecret-xxxxxxxxxxxx status code: 400, request id: xxxxxxxxxxxxxx",
        stage: "ssm",
        error: "access-denied",
        resource: Some(
            "arn:aws:ssm:ap-northeast-1:xxxxxxxxxxxx:parameter/aws/reference/secretsmanager/NewRelicLicenseKeySecret-xxxxxxxxxxxx",
        ),
        action: Some("ssm:GetParameters"),
    },
    // ---------------------------------------------------------------------------------
    // ECR registry auth
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/aws-app-mesh-examples/issues/413 — truncated in the console after "api.ecr...."; "send request failed" is decisive: no answer came back
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 5 time(s): RequestError: send request failed caused by: Post https://api.ecr....",
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws-samples/aws-fargate-pipeline-lambda-autoscaling/issues/3 — same shape, 1 retry; fixed with VPC endpoints
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): RequestError: send request failed caused by: Post https://api.ecr....",
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/doctorray117/minecraft-ondemand/issues/74 — PV 1.3 -> 1.4 migration, no route to api.ecr (IP redacted by poster)
    Row {
        reason: r#"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post "https://api.ecr.us-east-2.amazonaws.com/": dial tcp [ANIPADDRESSIDONTWANTTOSHARE]: i/o timeout. Please check your task network configuration."#,
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/containers-roadmap/issues/1332 — truncated mid-word ("AccessDeniedExcept"), the issue's example of a cut-off reason
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): AccessDeniedExcept",
        stage: "ecr-auth",
        error: "access-denied",
        resource: None,
        action: None,
    },
    // Source: https://github.com/gorantlapc/Springboot-microservices/blob/747256976592c574ed0ebe75a460122f6b420d95/docs/troubleshooting.md — 2024+ wording, service event text after "Reason:"
    Row {
        reason: r#"ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post "https://api.ecr.eu-north-1.amazonaws.com/": dial tcp 13.53.180.123:443: i/o timeout."#,
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: Some("ecr:GetAuthorizationToken"),
    },
    // Source: https://github.com/ChristopherHarwell/quest/blob/13261b9c4208a8ff4f1612c9b86e63abc5541b8e/docs/Raw_Notes.md — 2024+ hint followed by the old SDK v1 RequestError tail
    Row {
        reason: r#"ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 44.213.79.50:443: i/o timeout"#,
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Private registry auth (repositoryCredentials) and undetermined secrets-or-auth
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws-samples/keycloak-on-aws/issues/222 — Fargate 1.4.0, credentials secret unreachable; poster-truncated "for ..."
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to get registry auth from asm: service call has been retried 5 time(s): asm fetching secret from the service for ...",
        stage: "private-registry-auth",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://repost.aws/zh-Hans/knowledge-center/ecs-unable-to-pull-secrets — AWS Knowledge Center, first listed message
    Row {
        reason: "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : signal: killed",
        stage: "secrets-or-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Logging (awslogs / failed to validate logger args)
    // ---------------------------------------------------------------------------------

    // Source: https://gist.github.com/bradleybeddoes/7b568d87d20c5e4ebfe31de9a8dc08c7 — no NAT, fixed with a CloudWatch Logs VPC endpoint
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: : signal: killed",
        stage: "logging",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/civiform/civiform/issues/7648 — 2024+ wording; fixed on the customer's firewall
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch log group defined in the task definition. There is a connection issue between the task and Amazon CloudWatch. Check your network configuration. : signal: killed",
        stage: "logging",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/doctorray117/minecraft-ondemand/issues/12 — truncated after the role session id; maintainer suspected public IP disabled
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: User: arn:aws:sts::zzzzzzzzzzzz:assumed-role/ecs.task.minecraft-server/123456a999ee4b919...",
        stage: "logging",
        error: "access-denied",
        resource: None,
        action: None,
    },
    // Source: https://github.com/terraform-aws-modules/terraform-aws-ecs/pull/313 (PR) — awslogs-create-group without logs:CreateLogGroup
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::[redacted]:assumed-role/[redacted]-ecs-task-execution-role/[redacted] is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:eu-central-1:[redacted]:log-group:[redacted]:log-stream: because no identity-based policy allows the logs:CreateLogGroup action : exit status 1",
        stage: "logging",
        error: "access-denied",
        resource: Some("arn:aws:logs:eu-central-1:[redacted]:log-group:[redacted]:log-stream"),
        action: Some("logs:CreateLogGroup"),
    },
    // Source: https://github.com/terraform-aws-modules/terraform-aws-ecs/pull/145 (PR) — same cause, with status code and request id
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::xxxxxxxxxxx:assumed-role/xxxxxxxxx-idnumber00000xxxxx/uuid is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:xxxxxxxxxx:log-group:/ecs/xxxxxxxxxxxx:log-stream: because no identity-based policy allows the logs:CreateLogGroup action status code: 400, request id: xxxxxxxx-xxxxx-xxxxx-xxxxx-xxxxxxxxxxxx : exit status 1",
        stage: "logging",
        error: "access-denied",
        resource: Some("arn:aws:logs:us-east-1:xxxxxxxxxx:log-group:/ecs/xxxxxxxxxxxx:log-stream"),
        action: Some("logs:CreateLogGroup"),
    },
    // Source: https://github.com/AndreMashukov/leetcode-app/blob/8497f5f59dd2200173d22e89026c19376619a185/docs/blocker__submission_e2e_status_2026-06-25.md — truncated mid-phrase ("Cloudwatch log"); awslogs-group name mismatch (wrapped in source)
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log",
        stage: "logging",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/RajveerKR/aws-ecs-fargate-todo-microservices-iac/blob/82de5d79ee14fcf0ff765d05649a6a941f4314db/docs/deployment-troubleshooting.md — log group never created (wrapped in source)
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: failed to create CloudWatch log stream: ResourceNotFoundException: The specified log group does not exist.",
        stage: "logging",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/bbobbylon/angularSpringBootFullStack/blob/master/aws/README.md — envsubst left awslogs-region empty (wrapped in source)
    Row {
        reason: "ResourceInitializationError: failed to validate logger args: unable to get awslogs driver arguments: awslogs-region is required",
        stage: "logging",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/Rayraegah/terraform-aws-hasura/issues/25 — EC2-style daemon wording, with status code
    Row {
        reason: "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400",
        stage: "logging",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/cn-terraform/terraform-aws-nexus/issues/35 — module did not create the log group
    Row {
        reason: "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist",
        stage: "logging",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/cn-terraform/terraform-aws-ecs-fargate-task-definition/issues/1 — truncated mid request id
    Row {
        reason: "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400, request id: 7463029c-9f12-4e3f-b914-f",
        stage: "logging",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/prakhar1989/docker-curriculum/issues/260 — awslogs-create-group: true on an instance role without logs:CreateLogGroup
    Row {
        reason: "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log group: AccessDeniedException: User: arn:aws:sts::765486523053:assumed-role/amazon-ecs-cli-setup-foodtrucks-EcsInstanceRole-1II7J9P4",
        stage: "logging",
        error: "access-denied",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // environmentFiles from S3
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/aws-cli/issues/6470 and aws/aws-cdk#12720 — no path to S3 / ~1% transient failures
    Row {
        reason: "ResourceInitializationError: failed to download env files: file download command: non empty error stream: RequestCanceled: request context canceled caused by: context deadline exceeded",
        stage: "env-files",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/aws-cdk/issues/12720 (comment of 2023-02-04) — execution role lacked S3 permissions ("non-empty" spelling as posted)
    Row {
        reason: "ResourceInitializationError: failed to download env files: file download command: non-empty error stream: failed to download file 1.env: failed to write to a temporary file: AccessDenied: Access Denied",
        stage: "env-files",
        error: "access-denied",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // EFS
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/docker-archive/compose-cli/issues/1490 — intermittent NFS connection reset
    Row {
        reason: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: mount.nfs4: Connection reset by peer : unsuccessful EFS utils command execution; code: 32",
        stage: "efs",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/copilot-cli/issues/5419 — file system DNS name not resolvable from the task subnet
    Row {
        reason: r#"ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-06642d00e4ec726.efs.ap-northeast-1.amazonaws.com" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID. See https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail. Attempting to lookup mount target ip address using botocore. Failed to import necessary dependency botocore, please install botocore first. : unsuccessful EFS utils command execution; code: 1"#,
        stage: "efs",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/cn-terraform/terraform-aws-jenkins/issues/23 — truncated inside the quoted DNS name
    Row {
        reason: r#"ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-0867a83d8ed398433.efs."#,
        stage: "efs",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/rileydakota/valheim-ecs-fargate-cdk/issues/28 — odd casing "Resourceinitializationerror"; new file system not yet resolvable
    Row {
        reason: r#"Resourceinitializationerror: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed to resolve "fs-<id>.efs.us-east-1.amazonaws.com" - check that your file system ID is correct, and ensure that the VPC has an EFS mount target for this file system ID. See https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail. Attempting to lookup mount target ip address using botocore. Failed to import necessary dependency botocore, please install botocore first. : unsuccessful EFS utils command execution; code: 1"#,
        stage: "efs",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/acp-io/terraform-grafana/issues/4 — sub-path missing on the file system; fixed with an access point creating it
    Row {
        reason: "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: b'mount.nfs4: mounting fs-<some numbers>.efs.<region>.amazonaws.com:/grafana failed, reason given by server: No such file or directory' : unsuccessful EFS utils command execution; code: 32",
        stage: "efs",
        error: "not-found",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Image pull (CannotPullContainerError)
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/amazon-ecs-agent/issues/1680 — Fargate with public IP; fixed in the network ACL
    Row {
        reason: "CannotPullContainerError: API error (500): Get https://xxx.dkr.ecr.ap-southeast-2.amazonaws.com/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/1128 — Docker Hub variant of the same no-route timeout
    Row {
        reason: "CannotPullContainerError: API error (500): Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/IAMSamuelRodda/embark-quoting-system/issues/75 — 2024+ hint, private subnets with ECR endpoints (wrapped in source)
    Row {
        reason: "CannotPullContainerError: The task cannot pull from ECR. There is a connection issue between the task and the registry. Check your task network configuration. Error: dial tcp 3.5.167.5:443: i/o timeout",
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://7thzero.com/blog/limiting-outbound-egress-traffic-while-using-aws-fargate-and-ecr — locked-down egress, missing endpoints
    Row {
        reason: "CannotPullContainerError: context canceled.",
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://7thzero.com/blog/limiting-outbound-egress-traffic-while-using-aws-fargate-and-ecr — starport layer bucket (S3), truncated inside the presigned URL ("&X-A"); GUIDs scrubbed by the author
    Row {
        reason: "CannotPullContainerError: error pulling image configuration: Get https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/61d6a6b7-a74d-4472-96e4-710ec9a7a96b/d834cc02-771d-4c2b-b7bb-7da5334eea15?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-A",
        stage: "image-pull",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://openillumi.com/?p=106123 — odd casing "Cannotpullcontainererror"; Docker Hub unreachable from the subnet
    Row {
        reason: r#"Cannotpullcontainererror: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/username/repo: failed to do request: Head "https://registry-1.docker.io/v2/username/repo/manifests/latest": dial tcp 44.205.64.79:443: i/o timeout"#,
        stage: "image-pull",
        error: "network",
        resource: Some("docker.io/username/repo"),
        action: None,
    },
    // Source: https://devopsaitoolkit.com/blog/aws-error-cannot-pull-container-error-ecs/ — describe-tasks output abbreviated with "..."
    Row {
        reason: r#"CannotPullContainerError: failed to resolve ref "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42": ... dial tcp 10.0.3.17:443: i/o timeout"#,
        stage: "image-pull",
        error: "network",
        resource: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42"),
        action: None,
    },
    // Source: https://github.com/aws-samples/bedrock-access-gateway/issues/114 — upstream ECR repository was made private (403 on blob HEAD)
    Row {
        reason: "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 366590864501.dkr.ecr.us-west-2.amazonaws.com/bedrock-proxy-api-ecs:latest@sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: unexpected status from HEAD request to https://366590864501.dkr.ecr.us-west-2.amazonaws.com/v2/bedrock-proxy-api-ecs/blobs/sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600: 403 Forbidden",
        stage: "image-pull",
        error: "access-denied",
        resource: Some(
            "366590864501.dkr.ecr.us-west-2.amazonaws.com/bedrock-proxy-api-ecs:latest@sha256:5de487da52320ad9978f3a7a4f6700910342956c7dcb3b6f955222b4cccbd600",
        ),
        action: None,
    },
    // Source: https://github.com/aws/containers-roadmap/issues/2493 — cross-account pull, 403 on a digest the tag no longer points to (account redacted)
    Row {
        reason: "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref .dkr.ecr.us-west-2.amazonaws.com/otel-collector:latest@sha256:863****9ac: unexpected status from HEAD request to https://.dkr.ecr.us-west-2.amazonaws.com/v2/otel-collector/blobs/sha256:863*****9ac: 403 Forbidden",
        stage: "image-pull",
        error: "access-denied",
        resource: Some(".dkr.ecr.us-west-2.amazonaws.com/otel-collector:latest@sha256:863****9ac"),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/blob/68eb3559d36b9aace7e9c0fdcf8acd163e1a5fe2/agent/api/errormessages/error_messages_test.go — agent's augmented message for a missing ecr:BatchGetImage permission
    Row {
        reason: "Check if image exists and role 'MyBrokenRole' has permissions to pull images from Amazon ECR. Error response from daemon: pull access denied for 123123123123.dkr.ecr.us-east-1.amazonaws.com/my_image, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::123123123123:assumed-role/MyBrokenRole/xyz is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123123123123:repository/test_image because no identity-based policy allows the ecr:BatchGetImage action",
        stage: "image-pull",
        error: "access-denied",
        resource: Some("arn:aws:ecr:us-east-1:123123123123:repository/test_image"),
        action: Some("ecr:BatchGetImage"),
    },
    // Source: https://github.com/docker-archive/compose-cli/issues/853 — bare image name resolved to Docker Hub instead of ECR
    Row {
        reason: r#"CannotPullContainerError: failed to resolve ref "docker.io/library/chatalicious_braid:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"#,
        stage: "image-pull",
        error: "not-found",
        resource: Some("docker.io/library/chatalicious_braid:latest"),
        action: None,
    },
    // Source: https://github.com/aws-actions/amazon-ecs-deploy-task-definition/issues/584 — digest-only image reference resolved against docker.io
    Row {
        reason: "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref docker.io/library/sha256:8795397484604bc67cfcda4f4245dd248b172df523ce9778209e735ffe370426: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed",
        stage: "image-pull",
        error: "not-found",
        resource: Some(
            "docker.io/library/sha256:8795397484604bc67cfcda4f4245dd248b172df523ce9778209e735ffe370426",
        ),
        action: None,
    },
    // Source: https://github.com/RafalWilinski/deploy-with-serverless/issues/11 — container message for a repository that does not exist
    Row {
        reason: "CannotPullContainerError: API error (404): repository serverless-batch not found: does not exist or no pull access",
        stage: "image-pull",
        error: "not-found",
        resource: Some("serverless-batch"),
        action: None,
    },
    // Source: https://linden.consulting/en/blog/ecr-image-pull-failure — ECR repository not found / not accessible (wrapped in source)
    Row {
        reason: "CannotPullContainerError: Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app, repository does not exist or may require 'docker login'",
        stage: "image-pull",
        error: "not-found",
        resource: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-app"),
        action: None,
    },
    // Source: https://github.com/CircleCI-Public/circleci-demo-aws-ecs-ecr/issues/4 — task definition image lacked the ECR registry prefix
    Row {
        reason: "CannotPullContainerError: Error response from daemon: manifest for nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522 not found",
        stage: "image-pull",
        error: "not-found",
        resource: Some("nginx:0f6b3cdf5e24f0da3dd932acd84fd90e9786a522"),
        action: None,
    },
    // Source: https://github.com/awslabs/ecs-refarch-continuous-deployment/issues/33 — :latest tag never pushed
    Row {
        reason: "CannotPullContainerError: API error (404): manifest for 476593617425.dkr.ecr.eu-west-1.amazonaws.com/baker-repos-1lvq9scec8c5o:latest not found",
        stage: "image-pull",
        error: "not-found",
        resource: Some(
            "476593617425.dkr.ecr.eu-west-1.amazonaws.com/baker-repos-1lvq9scec8c5o:latest",
        ),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/337 — short image name in the reason (EC2 agent, 2016)
    Row {
        reason: "CannotPullContainerError: Error: image deathstar:9ce7d67bf402b337a75c8acf49c11881be2f16bd not found",
        stage: "image-pull",
        error: "not-found",
        resource: Some("deathstar:9ce7d67bf402b337a75c8acf49c11881be2f16bd"),
        action: None,
    },
    // Source: https://github.com/aviswerdlow/relay/issues/71 — service event "Reason:"; arm64-only image on an x86_64 task
    Row {
        reason: "CannotPullContainerError: pull image manifest has been retried 7 time(s): image Manifest does not contain descriptor matching platform 'linux/amd64'.",
        stage: "image-pull",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/containers-roadmap/issues/1120 — older wording of the platform mismatch (buildah OCI image on Fargate PV 1.4.0)
    Row {
        reason: "CannotPullContainerError: failed to find a descriptor for platform {linux/amd64}",
        stage: "image-pull",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/containers-roadmap/issues/1658 — Artifactory image without repositoryCredentials
    // The registry wants credentials the task definition does not give (repositoryCredentials).
    Row {
        reason: r#"CannotPullContainerError: inspect image has been retried 1 time(s): failed to resolve ref "rrr-docker-nonprod-virtual.us.artifactory.r1.rrr.com/rrr-backend-service/aws2o:20220128.2": failed to authorize: failed to fetch anonymous token."#,
        stage: "image-pull",
        error: "access-denied",
        resource: Some(
            "rrr-docker-nonprod-virtual.us.artifactory.r1.rrr.com/rrr-backend-service/aws2o:20220128.2",
        ),
        action: None,
    },
    // Source: https://github.com/aws/aws-xray-daemon/issues/146 — Docker Hub manifest fetch failed, truncated inside the digest
    Row {
        reason: "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/amazon/aws-xray-daemon/manifests/sha256:2d964e1dbe7a8c9f03f4e9580ff00220bc84ce0294539c6...",
        stage: "image-pull",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/aws-for-fluent-bit/issues/194 — Docker Hub "latest" tag, truncated inside the digest
    Row {
        reason: "CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/amazon/aws-for-fluent-bit/manifests/sha256:3b4efc1832605c5449308a726941410c28ded459110b31eeff5d001...",
        stage: "image-pull",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/1434 (maintainer comment) — EC2 host disk full during layer extraction
    Row {
        reason: "CannotPullContainerError: failed to register layer: Error processing tar file(exit status 1): write /tmp/my_large_file: no space left on device",
        stage: "image-pull",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/498 — ECR GetAuthorizationToken throttling as logged by the EC2 agent (reason text up to the SDK's line break)
    Row {
        reason: "CannotPullECRContainerError: ThrottlingException: Rate exceeded",
        stage: "ecr-auth",
        error: "throttled",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Other start failures seen next to these
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/PrefectHQ/prefect/issues/12003 — issue title: Prefect wraps stopCode + stoppedReason; Docker Hub 429 during an outage (cut after "toomanyrequests:")
    Row {
        reason: "Flow run could not be submitted to infrastructure: TaskFailedToStart - 429 Too Many Requests - Server message: toomanyrequests:",
        stage: "other",
        error: "throttled",
        resource: None,
        action: None,
    },
    // Source: https://7thzero.com/blog/limiting-outbound-egress-traffic-while-using-aws-fargate-and-ecr — status reason when egress is locked down
    Row {
        reason: "DockerTimeoutError: Could not transition to started; timed out after waiting 3m0s",
        stage: "other",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/2954 — Fargate + EFS, entrypoint path hidden by the mount; truncated mid-word ("direct...")
    Row {
        reason: r#"CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: OCI runtime create failed: container_linux.go:370: starting container process caused: exec: "/opt/sonarqube/bin/run.sh": stat /opt/sonarqube/bin/run.sh...no such file or direct..."#,
        stage: "container-runtime",
        error: "unknown",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: Truncated texts and decisive tails
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/deepfence/terraform-aws-cloud-scanner/issues/13
    Row {
        reason: r##"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref quay.io/deepfenceio/cloud-scanner:latest: failed to do request: Head "https://quay.io/v2/deepfenceio/cloud-scanner/manifests/latest": dial tcp 3.210.148.47:443: i/o timeout"##,
        stage: "image-pull",
        error: "network",
        resource: Some("quay.io/deepfenceio/cloud-scanner:latest"),
        action: None,
    },
    // Source: https://github.com/docker-archive/compose-cli/issues/911
    Row {
        reason: r##"CannotPullContainerError: failed to resolve ref "docker.io/docker/ecs-searchdomain-sidecar:1.0": failed to do request: Head https://registry-1.docker.io/v2/docker/ecs-searchdomain-sidecar/manifests/1.0: dial tcp: lookup registry-1.docker.io on 172.31.0..."##,
        stage: "image-pull",
        error: "network",
        resource: Some("docker.io/docker/ecs-searchdomain-sidecar:1.0"),
        action: None,
    },
    // Source: https://github.com/cdk-cosmos/cosmos/issues/92
    Row {
        reason: r##"CannotPullECRContainerError: RequestError: send request failed caused by: Post https://api.ecr.ap-southeast-2.amazonaws.com/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"##,
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/AndrewGuenther/fck-nat/issues/99
    Row {
        reason: r##"ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR. Check your task network configuration. RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp <SOME_IP>:443: i/o timeout."##,
        stage: "ecr-auth",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/awsdocs/amazon-ecs-developer-guide/issues/110
    Row {
        reason: r##"Fetching secret data from AWS Secrets Manager in region us-east-1: secret arn:aws:secretsmanager:us-east-1:<Acctnumber>:secret:secretname-1aBCDe: RequestError: send request failed caused by: Post https://secretsmanager.us-east-1.amazonaws.com/: dial tcp: lookup secretsmanager.us-east-1.amazonaws.com on 10.7.166.253:53: no such host"##,
        stage: "secrets-manager",
        error: "network",
        resource: Some("arn:aws:secretsmanager:us-east-1:<Acctnumber>:secret:secretname-1aBCDe"),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/2061
    Row {
        reason: r##"CannotPullContainerError: Error response from daemon: Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"##,
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws-actions/amazon-ecs-deploy-task-definition/issues/43
    Row {
        reason: r##"CannotPullContainerError: Error response from daemon: Get https://****.dkr.ecr.eu-west-1.amazonaws.com/v2/: net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)"##,
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/719 — a registry outage (Docker Hub was down), not the task's network
    Row {
        reason: r##"CannotPullContainerError: Could not reach any registry endpoint"##,
        stage: "image-pull",
        error: "network",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/3035
    Row {
        reason: r##"CannotPullContainerError: inspect image has been retried 5 time(s): "##,
        stage: "image-pull",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/copilot-cli/issues/5570
    Row {
        reason: r##"ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager…"##,
        stage: "secrets-manager",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/TechToSpeech/terraform-aws-serverless-static-wordpress/issues/74
    Row {
        reason: r##"ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: MissingEndpoint: 'Endpoint' configuration is required for t"##,
        stage: "logging",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/2442
    Row {
        reason: r##"CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: OCI runtime create failed: container_linux.go:349: starting container process caused "process_linux.go:449: container init caused \"rootfs_linux.go:58"##,
        stage: "container-runtime",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://qiita.com/wildeagle/items/72dab00a16f11f9671d5
    Row {
        reason: r##"CannotPullContainerError: error pulling image configuration: error parsing HTTP 403 response body: invalid character '<' looking for beginning of value: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>....."##,
        stage: "image-pull",
        error: "access-denied",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: KMS denials in the older agent wording
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/aws-cdk/issues/4498
    Row {
        reason: r##"Fetching secret data from SSM Parameter Store in eu-central-1: AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: xxxxx) status code: 400, request id: yyyyy"##,
        stage: "ssm",
        error: "kms",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: "repository does not exist or may require authorization"
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/containers-roadmap/issues/2611
    Row {
        reason: r##"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref _accountid_.dkr-ecr._region_.on.aws/_myimage_:_mytag_: pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"##,
        stage: "image-pull",
        error: "access-denied",
        resource: Some("_accountid_.dkr-ecr._region_.on.aws/_myimage_:_mytag_"),
        action: None,
    },
    // Source: https://github.com/awslabs/aws-batch-helpers/issues/4 — the text cannot tell missing from unauthorised: the repository was private and the task had no repositoryCredentials (the registry check decides)
    Row {
        reason: r##"CannotPullContainerError: Error response from daemon: pull access denied for myprivate/testbatch, repository does not exist or may require 'docker login'"##,
        stage: "image-pull",
        error: "not-found",
        resource: Some("myprivate/testbatch"),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/2137 — the text cannot tell missing from unauthorised: the repository existed; the host's credentials were broken (an agent bug)
    Row {
        reason: r##"CannotPullContainerError: Error response from daemon: pull access denied for FOO.dkr.ecr.us-east-1.amazonaws.com/foo/app, repository does not exist or may require 'docker login'"##,
        stage: "image-pull",
        error: "not-found",
        resource: Some("FOO.dkr.ecr.us-east-1.amazonaws.com/foo/app"),
        action: None,
    },
    // Source: https://github.com/awslabs/ecs-task-kite/issues/8
    Row {
        reason: r##"CannotPullContainerError: Error response from daemon: pull access denied for ecs-task-kite, repository does not exist or may require 'docker login'"##,
        stage: "image-pull",
        error: "not-found",
        resource: Some("ecs-task-kite"),
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: Digests and tags that do not resolve, manifest denials
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/containers-roadmap/issues/2687
    Row {
        reason: r##"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 12345678-eu-west-1.amazonaws.com/example-service:example-image:image-tag@sha256:sha digest: not found"##,
        stage: "image-pull",
        error: "not-found",
        resource: Some(
            "12345678-eu-west-1.amazonaws.com/example-service:example-image:image-tag@sha256:sha",
        ),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/422
    Row {
        reason: r##"CannotPullContainerError: Tag latest not found in repository docker.io/library/owncloud"##,
        stage: "image-pull",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/fieldpapers/fieldpapers/issues/209
    Row {
        reason: r##"CannotPullContainerError: Error: image fieldpapers/fp-tasks:latest not found"##,
        stage: "image-pull",
        error: "not-found",
        resource: Some("fieldpapers/fp-tasks:latest"),
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/1185 — weak: the poster later blamed memory
    Row {
        reason: r##"CannotPullContainerError: API error (404)"##,
        stage: "image-pull",
        error: "not-found",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/aws-cdk/issues/29876
    Row {
        reason: r##"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789123.dkr.ecr.us-east-1.amazonaws.com/a2-ecr-app-repo:latest: pulling from host 123456789123.dkr.ecr.us-east-1.amazonaws.com failed with status code [manifests latest]: 403 Forbidden"##,
        stage: "image-pull",
        error: "access-denied",
        resource: Some("123456789123.dkr.ecr.us-east-1.amazonaws.com/a2-ecr-app-repo:latest"),
        action: None,
    },
    // Source: https://github.com/aws/aws-cdk/issues/14457
    Row {
        reason: r##"CannotPullContainerError: inspect image has been retried 1 time(s): failed to resolve ref "xxxxx.xxx": unexpected status code [manifests 6981141]: 403 Forbidden"##,
        stage: "image-pull",
        error: "access-denied",
        resource: Some("xxxxx.xxx"),
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: Task network set-up (ENI provisioning)
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/amazon-ecs-agent/issues/4825
    Row {
        reason: r##"Timeout waiting for network interface provisioning to complete."##,
        stage: "task-network",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://aws.amazon.com/ko/premiumsupport/knowledge-center/ecs-fargate-network-interface-errors/ (AWS Knowledge Center; the message is quoted in English on the Korean page) — AWS-side per the article: retry
    Row {
        reason: r##"Timeout waiting for network interface provisioning to complete"##,
        stage: "task-network",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://aws.amazon.com/ko/premiumsupport/knowledge-center/ecs-fargate-network-interface-errors/ (AWS Knowledge Center; the message is quoted in English on the Korean page)
    Row {
        reason: r##"Network interface provision complete error timeout wait for network interface provision"##,
        stage: "task-network",
        error: "unknown",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: Container runtime start
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/amazon-ecs-cli/issues/78
    Row {
        reason: r##"CannotStartContainerError: API error (500): Cannot start container 54b6caa1f3d8476a7b3538827d4d5017596d696b0877925d1d28a9de735b2433: [8] System error: exec: "node index.js -t sockets_transport -i 0": executable file not found in $PATH"##,
        stage: "container-runtime",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/jenkinsci/amazon-ecs-plugin/issues/258
    Row {
        reason: r##"CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim: OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "-url": executable file not found in"##,
        stage: "container-runtime",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/awslabs/multi-model-server/issues/481
    Row {
        reason: r##"CannotStartContainerError: API error (400): OCI runtime create failed: container_linux.go:348: starting container process caused "exec: \"mxnet-model-server.sh\": executable file not found in $PATH":"##,
        stage: "container-runtime",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws-samples/net-modernization/issues/13
    Row {
        reason: r##"CannotStartContainerError: ResourceInitializationError: unable to create new container: mount callback failed on /tmp/containerd-mount916692511: open /tmp/containerd-mount916692511/etc/passwd: no such file or directory"##,
        stage: "container-runtime",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/3526
    Row {
        reason: r##"Cannotstartcontainererror: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error creating device nodes: mknod /run/containerd/io.containerd.runtime.v2.task/fargate.task/962011037cd2435a9aa5f40392d82936-2949673445/rootfs/dev/null: errno 524: unknown"##,
        stage: "container-runtime",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://www.fixdevs.com/blog/aws-ecs-task-failed-to-start/ — an illustrative blog example of a host-port conflict (bridge/host mode)
    Row {
        reason: r##"CannotStartContainerError: bind for 0.0.0.0:8080 failed: port is already allocated"##,
        stage: "container-runtime",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/containers-roadmap/issues/2561
    Row {
        reason: r##"Task failed to start"##,
        stage: "other",
        error: "unknown",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: FireLens / log router
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws-samples/amazon-ecs-firelens-examples/issues/21
    Row {
        reason: r##"Unable to download firelens s3 config file: unable to download s3 config extra.conf from bucket mybucket: MissingRegion: could not find region configuration"##,
        stage: "log-router",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/2792
    Row {
        reason: r##"CannotStartContainerError: Error response from daemon: failed to initialize logging driver: dial unix /var/run/fluent.sock: connect: no such file or directory"##,
        stage: "log-router",
        error: "unknown",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: Image content and media types
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/aws/aws-cdk/issues/30680
    Row {
        reason: r##"CannotPullContainerError: unsupported media type application/vnd.in-toto+json"##,
        stage: "image-content",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws/aws-cdk/issues/30258
    Row {
        reason: r##"CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on snapshotter overlayfs: failed to extract layer sha256:c02342326b04a05fa0fc4c703c4aaa8ffb46cc0f2eda269c4a0dee53c8296182: failed to get stream processor for application/vnd.in-toto+json: no processor for media-type: unknown"##,
        stage: "image-content",
        error: "invalid-reference",
        resource: None,
        action: None,
    },
    // Source: https://github.com/aws-samples/dify-self-hosted-on-aws/issues/3
    Row {
        reason: r##"cannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on snapshotter overlayfs: mismatched image rootfs and manifest layers"##,
        stage: "image-content",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://vrnithinkumar.github.io/2025/02/17/aws-ecs-docker-pull-error
    Row {
        reason: r##"ref pull has been retried 1 time(s): number of layers and diffIDs don't match: 3 != 15"##,
        stage: "image-content",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://github.com/PrefectHQ/prefect/issues/19337 (read through the mirror https://git.hmmc.top/PrefectHQ/prefect/issues/19337)
    Row {
        reason: r##"CannotPullContainerError: wrong diff id calculated on extraction"##,
        stage: "image-content",
        error: "unknown",
        resource: None,
        action: None,
    },
    // Source: https://subaud.io/blog/solving-docker-buildkit-ecs-compatibility-issues
    Row {
        reason: r##"CannotPullContainerError: failed to resolve reference "xxx.dkr.ecr.region.amazonaws.com/repo:tag": pulling from host xxx.dkr.ecr.region.amazonaws.com failed with status code [manifests tag]: 400 Bad Request"##,
        stage: "image-content",
        error: "unknown",
        resource: None,
        action: None,
    },
    // ---------------------------------------------------------------------------------
    // Issue 13: ECR and private-registry auth in the EC2 agent's wording
    // ---------------------------------------------------------------------------------

    // Source: https://github.com/widdix/aws-cf-templates/issues/357
    Row {
        reason: r##"Asm fetching secret from the service for <secret> AccessDeniedException: User: <TaskExecutionRole> is not authorized to perform: secretsmanager:GetSecretValue on resource: <secret> status code: 400, request id: <id>"##,
        stage: "private-registry-auth",
        error: "access-denied",
        resource: Some("<secret>"),
        action: Some("secretsmanager:GetSecretValue"),
    },
    // Source: https://github.com/aws/amazon-ecs-agent/issues/4829 — dual-stack ECR name; blocked on a platform fix
    Row {
        reason: r##"CannotPullECRContainerError: ecr auth: AuthorizationData is malformed for REDACTED.dkr-ecr.REDACTED.on.aws/..."##,
        stage: "ecr-auth",
        error: "unknown",
        resource: None,
        action: None,
    },
];
