//! The AWS emulator (moto server) for the adapter tests: started on a free 127.0.0.1
//! port, stopped when dropped. Required: `make test` installs it in `.venv-moto` and
//! points `ACCESSDRIFT_MOTO_SERVER` at it; without it the tests fail with that advice.

#![allow(dead_code, reason = "each test binary uses the clients it needs")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

/// A moto server on a free local port, stopped when dropped.
pub struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    pub fn start() -> Emulator {
        let binary = std::env::var("ACCESSDRIFT_MOTO_SERVER").unwrap_or_else(|_| {
            format!(
                "{}/../../.venv-moto/bin/moto_server",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        assert!(
            std::path::Path::new(&binary).exists(),
            "the AWS emulator is missing at {binary}: run `make test`, which installs moto[server] in .venv-moto \
             (or set ACCESSDRIFT_MOTO_SERVER to a moto_server binary)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {binary}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
                let mut buf = [0u8; 12];
                if s.read(&mut buf).is_ok_and(|n| n > 0) {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the AWS emulator did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Emulator { child, url }
    }

    fn credentials() -> Credentials {
        Credentials::new("testing", "testing", None, None, "emulator")
    }

    /// An SNS client on the emulator.
    pub fn sns(&self) -> aws_sdk_sns::Client {
        let config = aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Emulator::credentials())
            .build();
        aws_sdk_sns::Client::from_conf(config)
    }

    /// An SQS client on the emulator.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Emulator::credentials())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    /// A DynamoDB client on the emulator.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new(
                "testing", "testing", None, None, "emulator",
            ))
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
