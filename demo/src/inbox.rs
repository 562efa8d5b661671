//! A local HTTP endpoint subscribed to the notice topic, standing in for a team's
//! email inbox and Slack channel: the emulator delivers to it what SNS would deliver
//! (the `default` variant, which is the email text, to an `http` subscriber; the
//! `https` variant, the AWS Chatbot message that reaches Slack, to an `https` one).
//! Each subscription posts to its own path; [`Inbox::take`] returns what arrived.

use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Notifications received, by path.
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    port: u16,
    got: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Inbox {
    /// Listens on a free 127.0.0.1 port until the process ends.
    pub async fn start() -> Result<Inbox> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let inbox = Inbox {
            port,
            got: Arc::default(),
        };
        let got = inbox.got.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let got = got.clone();
                tokio::spawn(async move {
                    if let Some((path, body)) = read_request(&mut stream).await
                        && let Ok(v) = serde_json::from_slice::<Value>(&body)
                        && let Ok(mut g) = got.lock()
                    {
                        g.push((path, v));
                    }
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Ok(inbox)
    }

    /// The URL of `path` on this endpoint.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// The notification messages (`Message` of each SNS `Notification`) that arrived
    /// on `path` since the last call, waiting up to two seconds for the first.
    pub async fn take(&self, path: &str) -> Result<Vec<String>> {
        let want = format!("/{path}");
        for _ in 0..20 {
            let taken: Vec<String> = {
                let mut got = self.got.lock().map_err(|_| anyhow::anyhow!("inbox lock"))?;
                let (mine, rest): (Vec<_>, Vec<_>) = got
                    .drain(..)
                    .partition(|(p, v)| *p == want && v["Type"] == "Notification");
                *got = rest;
                mine.into_iter()
                    .map(|(_, v)| v["Message"].as_str().unwrap_or_default().to_string())
                    .collect()
            };
            if !taken.is_empty() {
                return Ok(taken);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(Vec::new())
    }
}

/// The path and body of one HTTP request.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let path = head.split_whitespace().nth(1)?.to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((path, buf[header_end..].to_vec()))
}

/// Subscribes `url` to `topic` with `protocol` and the SNS `filter` policy.
pub async fn subscribe(
    sdk: &aws_config::SdkConfig,
    topic: &str,
    protocol: &str,
    url: &str,
    filter: &str,
) -> Result<()> {
    aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic)
        .protocol(protocol)
        .endpoint(url)
        .attributes("FilterPolicy", filter)
        .send()
        .await
        .with_context(|| format!("subscribe {url}"))?;
    Ok(())
}
