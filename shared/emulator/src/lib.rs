//! The AWS emulator for tests: a moto server started on a free 127.0.0.1 port and
//! stopped when dropped, and an [`SdkConfig`] that points every AWS SDK client at it.
//!
//! The emulator is required, never optional: `make test` installs moto server in
//! `.venv-moto` and exports `ACCESSDRIFT_MOTO_SERVER`. When it is missing,
//! [`Emulator::start`] fails with that advice, so a test that needs it fails loudly
//! instead of skipping. Its gaps are listed in `../shared/reference/emulator.md`.

#![allow(
    clippy::panic,
    reason = "a test harness: failing to start the emulator must stop the test loudly"
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

pub mod faults;
pub use faults::{Fault, FaultProxy, Op, When};

/// The account moto uses when a request names none.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// A moto server on a free local port, stopped when dropped.
pub struct Emulator {
    child: Child,
    url: String,
}

/// Where the moto server binary is: `ACCESSDRIFT_MOTO_SERVER`, else the repo's venv.
pub fn server_binary() -> PathBuf {
    match std::env::var_os("ACCESSDRIFT_MOTO_SERVER") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.venv-moto/bin/moto_server"
        )),
    }
}

impl Emulator {
    /// Starts a fresh emulator and waits until it answers (panics with advice if it
    /// cannot: the tests that call this need it).
    pub fn start() -> Emulator {
        let binary = server_binary();
        if !binary.exists() {
            panic!(
                "the AWS emulator is missing at {}: run `make test` (it installs moto[server] in \
                 .venv-moto), or set ACCESSDRIFT_MOTO_SERVER to a moto_server binary",
                binary.display()
            );
        }
        let port = match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => panic!("no free local port for the emulator: {e}"),
        };
        let child = match Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("could not start {}: {e}", binary.display()),
        };
        let emulator = Emulator {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).is_ok_and(|n| n > 0) {
                    break;
                }
            }
            if Instant::now() > deadline {
                panic!("the AWS emulator did not answer on port {port} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        emulator
    }

    /// The endpoint URL (what `AWS_ENDPOINT_URL` would be).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Points a child process (the `accessdrift` binary, a Lambda handler binary) at the
    /// emulator as a user would, through the standard AWS environment variables, with
    /// dummy credentials and nothing from the user's own AWS configuration.
    pub fn configure<'c>(
        &self,
        command: &'c mut std::process::Command,
    ) -> &'c mut std::process::Command {
        command
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/accessdrift-test-config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/accessdrift-test-credentials",
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION")
    }

    /// An SDK config for region `us-east-1` with dummy credentials, reaching the emulator.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_in("us-east-1").await
    }

    /// An SDK config for `region`, reaching the emulator.
    pub async fn sdk_config_in(&self, region: &str) -> SdkConfig {
        sdk_config_at(&self.url, region).await
    }

    /// A topic named `name`; its ARN.
    pub async fn create_topic(&self, name: &str) -> String {
        match aws_sdk_sns::Client::new(&self.sdk_config().await)
            .create_topic()
            .name(name)
            .send()
            .await
        {
            Ok(out) => out.topic_arn().unwrap_or_default().to_string(),
            Err(e) => panic!("create topic {name}: {e:?}"),
        }
    }
}

/// An SDK config for `region` with dummy credentials, reaching the endpoint `url` (the
/// emulator, or a [`FaultProxy`] in front of it).
pub async fn sdk_config_at(url: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(url)
        .test_credentials()
        .load()
        .await
}

impl Emulator {
    /// A queue named `name`; its URL.
    pub async fn create_queue(&self, name: &str) -> String {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk_config().await);
        match sqs.create_queue().queue_name(name).send().await {
            Ok(out) => out.queue_url().unwrap_or_default().to_string(),
            Err(e) => panic!("create queue {name}: {e:?}"),
        }
    }

    /// A queue subscribed to `topic` with the SNS `filter` policy, as a team would
    /// subscribe (email and Slack cannot be read back; an SQS subscriber can). Returns
    /// the queue URL.
    pub async fn subscribe_queue(&self, topic: &str, name: &str, filter: &str) -> String {
        let config = self.sdk_config().await;
        let url = self.create_queue(name).await;
        let arn = format!("arn:aws:sqs:us-east-1:{DEFAULT_ACCOUNT}:{name}");
        let subscribed = aws_sdk_sns::Client::new(&config)
            .subscribe()
            .topic_arn(topic)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("FilterPolicy", filter)
            .send()
            .await;
        if let Err(e) = subscribed {
            panic!("subscribe {name} to {topic}: {e:?}");
        }
        url
    }

    /// Every message waiting on the queue at `url` (SNS envelopes as JSON), deleted once
    /// read, so the next call sees only what arrived since.
    pub async fn drain(&self, url: &str) -> Vec<serde_json::Value> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk_config().await);
        let mut out = Vec::new();
        loop {
            let page = match sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) => panic!("receive from {url}: {e:?}"),
            };
            if page.messages().is_empty() {
                return out;
            }
            for m in page.messages() {
                match serde_json::from_str(m.body().unwrap_or_default()) {
                    Ok(v) => out.push(v),
                    Err(e) => panic!("a message on {url} is not JSON: {e}"),
                }
                if let Some(handle) = m.receipt_handle() {
                    let _ = sqs
                        .delete_message()
                        .queue_url(url)
                        .receipt_handle(handle)
                        .send()
                        .await;
                }
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
