//! A fault-injecting HTTP proxy between the AWS SDK and the emulator: the real clients,
//! the real wire protocols, and the failures AWS really answers with.
//!
//! What it is for: proving on the real SDK path what the in-memory fakes only assume:
//! a throttled publish is sent later, a conflicting conditional write is retried, a
//! failed save keeps the previous object, AccessDenied on one resource is reported and
//! the rest read. One reusable wrapper for every service (mountpoint-s3's failure
//! client is the model): a [`Rule`] names an operation ([`Op`]), the fault
//! ([`Fault`]) and which matching calls get it (the first `n`, or the `k`-th); every
//! other request is forwarded to moto unchanged, and the proxy counts what it saw.
//!
//! How: HTTP/1.1 on 127.0.0.1, one thread per client connection, each request
//! forwarded on a fresh upstream connection with `Connection: close`. The SDK talks
//! plain HTTP to an `http://` endpoint, so nothing needs TLS.

#![allow(
    clippy::panic,
    reason = "a test harness: a proxy that cannot start must stop the test loudly"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;

/// Which requests a rule is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A JSON-protocol operation by its `X-Amz-Target` (`DynamoDB_20120810.PutItem`,
    /// `AmazonSQS.SendMessage`).
    Target(String),
    /// A query-protocol operation by its `Action` form field (`Publish` for SNS,
    /// `AssumeRole` for STS, `GetAccountAuthorizationDetails` for IAM).
    Action(String),
    /// An S3 (REST-XML) request by method and a substring of its path and query
    /// (`PUT` `/snapshots/`, `GET` `?policy`).
    Rest {
        /// `GET`, `PUT`, ...
        method: String,
        /// A substring of the request target (path and query).
        path_contains: String,
    },
}

impl Op {
    /// A JSON-protocol operation.
    pub fn target(target: &str) -> Op {
        Op::Target(target.to_string())
    }

    /// A query-protocol operation.
    pub fn action(action: &str) -> Op {
        Op::Action(action.to_string())
    }

    /// An S3 request.
    pub fn rest(method: &str, path_contains: &str) -> Op {
        Op::Rest {
            method: method.to_string(),
            path_contains: path_contains.to_string(),
        }
    }

    fn matches(&self, r: &Request) -> bool {
        match self {
            Op::Target(t) => r.header("x-amz-target") == Some(t.as_str()),
            Op::Action(a) => {
                let body = String::from_utf8_lossy(&r.body);
                body.split('&')
                    .any(|kv| kv.strip_prefix("Action=") == Some(a.as_str()))
            }
            Op::Rest {
                method,
                path_contains,
            } => r.method == *method && r.target.contains(path_contains.as_str()),
        }
    }
}

/// What a matching request gets instead of the emulator's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An error in the operation's protocol: HTTP `status`, error `code` (JSON
    /// `__type` and `x-amzn-ErrorType`, query `<Code>`, S3 `<Code>`).
    Error {
        /// HTTP status (400, 403, 500, 503).
        status: u16,
        /// The AWS error code (`ThrottlingException`, `Throttling`, `SlowDown`,
        /// `AccessDenied`, `ConditionalCheckFailedException`, `InternalError`).
        code: String,
    },
    /// The request is forwarded only after this long (past a client's timeout, it is
    /// a timeout).
    Delay(Duration),
}

impl Fault {
    /// `status` with `code`.
    pub fn error(status: u16, code: &str) -> Fault {
        Fault::Error {
            status,
            code: code.to_string(),
        }
    }
}

/// Which matching calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The first `n` matching calls.
    First(usize),
    /// Only the `k`-th matching call (1-based).
    Nth(usize),
}

/// One fault for one operation.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which requests.
    pub op: Op,
    /// What they get.
    pub fault: Fault,
    /// Which of them.
    pub when: When,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<(Rule, usize)>,
    /// Requests seen per operation name.
    seen: BTreeMap<String, usize>,
    injected: usize,
}

/// The proxy: started on a free port, stopped with the test process.
#[derive(Debug, Clone)]
pub struct FaultProxy {
    url: String,
    state: Arc<Mutex<State>>,
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A name for counting: the JSON target, the query action, else method and path.
    fn name(&self) -> String {
        if let Some(t) = self.header("x-amz-target") {
            return t.to_string();
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(a) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
            return a.to_string();
        }
        format!("{} {}", self.method, self.target)
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/')
            .to_string();
        let listener = match TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("no free local port for the fault proxy: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(a) => a.port(),
            Err(e) => panic!("fault proxy address: {e}"),
        };
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let upstream = upstream.clone();
                std::thread::spawn(move || serve(conn, &upstream, &state));
            }
        });
        FaultProxy {
            url: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// The endpoint URL clients should use.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds a rule.
    pub fn fail(&self, op: Op, fault: Fault, when: When) {
        if let Ok(mut s) = self.state.lock() {
            s.rules.push((Rule { op, fault, when }, 0));
        }
    }

    /// Removes every rule (counts are kept).
    pub fn heal(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.rules.clear();
        }
    }

    /// How many requests named `name` (a JSON target, a query action, or `METHOD
    /// path`) the proxy saw, failed or forwarded.
    pub fn seen(&self, name: &str) -> usize {
        self.state
            .lock()
            .map(|s| s.seen.get(name).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Every request name seen so far, with its count (for a test's failure message).
    pub fn seen_all(&self) -> BTreeMap<String, usize> {
        self.state
            .lock()
            .map(|s| s.seen.clone())
            .unwrap_or_default()
    }

    /// How many requests got a fault.
    pub fn injected(&self) -> usize {
        self.state.lock().map(|s| s.injected).unwrap_or(0)
    }

    /// An SDK config for `us-east-1` that reaches the emulator through this proxy.
    pub async fn sdk_config(&self) -> SdkConfig {
        crate::sdk_config_at(&self.url, "us-east-1").await
    }
}

fn decide(state: &Mutex<State>, r: &Request) -> Option<Fault> {
    let mut s = state.lock().ok()?;
    *s.seen.entry(r.name()).or_default() += 1;
    let mut chosen = None;
    for (rule, count) in s.rules.iter_mut() {
        if chosen.is_none() && rule.op.matches(r) {
            *count += 1;
            let hit = match rule.when {
                When::First(n) => *count <= n,
                When::Nth(k) => *count == k,
            };
            if hit {
                chosen = Some(rule.fault.clone());
            }
        }
    }
    if matches!(chosen, Some(Fault::Error { .. })) {
        s.injected += 1;
    }
    chosen
}

/// Serves one client connection: request after request until it closes.
fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) {
    let Ok(writer) = client.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(client);
    let mut writer = writer;
    while let Some(request) = read_request(&mut reader) {
        let response = match decide(state, &request) {
            Some(Fault::Error { status, code }) => error_response(&request, status, &code),
            Some(Fault::Delay(d)) => {
                std::thread::sleep(d);
                forward(&request, upstream)
            }
            None => forward(&request, upstream),
        };
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut r = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if r.header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        // Re-framed with a Content-Length when forwarded.
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            if n == 0 {
                // Trailers, then the empty line.
                loop {
                    let mut t = String::new();
                    reader.read_line(&mut t).ok()?;
                    if t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            chunk.truncate(n);
            r.body.extend(chunk);
        }
        r.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("transfer-encoding"));
        let len = r.body.len().to_string();
        r.headers.push(("Content-Length".into(), len));
    } else if let Some(n) = r.header("content-length").and_then(|n| n.parse().ok()) {
        let mut body = vec![0; n];
        reader.read_exact(&mut body).ok()?;
        r.body = body;
    }
    Some(r)
}

/// Sends `r` to the emulator on a fresh connection and returns its whole answer.
fn forward(r: &Request, upstream: &str) -> Vec<u8> {
    let Ok(mut up) = TcpStream::connect(upstream) else {
        return error_response(r, 502, "ProxyUpstreamUnreachable");
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", r.method, r.target);
    for (k, v) in &r.headers {
        if !k.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    if up.write_all(head.as_bytes()).is_err() || up.write_all(&r.body).is_err() {
        return error_response(r, 502, "ProxyUpstreamWrite");
    }
    let mut answer = Vec::new();
    let _ = up.read_to_end(&mut answer);
    answer
}

/// An AWS error in the protocol of `r`.
fn error_response(r: &Request, status: u16, code: &str) -> Vec<u8> {
    let message = format!("injected by the test's fault proxy: {code}");
    let (content_type, body, extra) = if r.header("x-amz-target").is_some() {
        (
            "application/x-amz-json-1.0",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
            format!("x-amzn-ErrorType: {code}\r\n"),
        )
    } else if String::from_utf8_lossy(&r.body).contains("Action=") {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
            ),
            String::new(),
        )
    } else {
        (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
            ),
            String::new(),
        )
    };
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        409 => "Conflict",
        412 => "Precondition Failed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
