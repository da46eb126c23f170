//! HTTP by hand, for requests a polite client would not send (a foreign
//! `Host`, another page's `Origin`, a body that never ends), and the explore
//! server in a process of its own, whose memory can be read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An answer: status, headers (names lowercase) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics, with the body, when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `head` (the request line and headers, `\r\n`-separated, without the
/// blank line) and `body` to `address` on a connection of its own, and reads
/// the whole answer.
pub fn request(address: &str, head: &str, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body); // the server may answer before reading it all
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// `explore` running in a process of its own (killed when dropped).
pub struct ExploreProcess {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The launch token it printed.
    pub token: String,
}

impl ExploreProcess {
    /// Starts `explore --checkpoint CHECKPOINT --port 0 --device flex --no-lab`
    /// and waits for its first line.
    pub fn start(checkpoint: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--checkpoint", checkpoint.to_str().unwrap(), "--no-lab"];
        args.extend(extra);
        Self::with_args(&args)
    }

    /// Starts `explore --port 0 --device flex ARGS…` and waits for its first line.
    pub fn with_args(args: &[&str]) -> Self {
        let mut command = Self::command();
        command.args(args).stderr(Stdio::null());
        Self::spawn(command)
    }

    /// `explore --port 0 --device flex`, without `$LENET_DATA_DIR`: for a test
    /// that adds its own arguments, environment or stderr.
    pub fn command() -> Command {
        let mut command = Command::new(super::example_bin("explore"));
        command
            .args(["--port", "0", "--device", "flex"])
            .env_remove("LENET_DATA_DIR");
        command
    }

    /// Starts `command` (from [`Self::command`]) and waits for its first line.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {line:?}"));
        let (address, token) = url.split_once("/?token=").expect("a token in the address");
        Self {
            child,
            address: address.to_string(),
            token: token.to_string(),
        }
    }

    /// The most memory the server has held so far, in bytes (`VmHWM`).
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kb * 1024
    }

    /// `GET path` with the server's own `Host`.
    pub fn get(&self, path: &str) -> Answer {
        request(
            &self.address,
            &format!("GET {path} HTTP/1.1\r\nHost: {}", self.address),
            &[],
        )
    }

    /// `POST path` of `body` as `content_type`, with the server's own `Host`.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Answer {
        request(
            &self.address,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}",
                self.address
            ),
            body,
        )
    }
}

impl Drop for ExploreProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the Server-Sent Events of `GET path` (with `headers`) until the stream
/// ends or an event named in `until` arrives: each event's name and data.
/// (HTTP/1.0, so the body comes as it is, not in chunks.)
pub fn events(
    address: &str,
    path: &str,
    headers: &str,
    until: &[&str],
) -> Vec<(String, serde_json::Value)> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head =
        format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nAccept: text/event-stream\r\n");
    if !headers.is_empty() {
        head.push_str(headers);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    // The head.
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the stream ended in its head");
        if line == "\r\n" {
            break;
        }
    }
    let mut found = Vec::new();
    let (mut name, mut data) = (String::new(), String::new());
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return found,
            Ok(_) => {}
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if let Some(value) = text.strip_prefix("event:") {
            name = value.trim().to_string();
        } else if let Some(value) = text.strip_prefix("data:") {
            data.push_str(value.trim_start());
        } else if text.is_empty() && !data.is_empty() {
            let value = serde_json::from_str(&data).unwrap_or(serde_json::Value::Null);
            let done = until.contains(&name.as_str());
            found.push((std::mem::take(&mut name), value));
            data.clear();
            if done {
                return found;
            }
        }
    }
}
