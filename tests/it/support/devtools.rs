//! Headless Chromium driven over the DevTools protocol, through the pipe
//! Chromium offers (`--remote-debugging-pipe`: it reads commands on fd 3 and
//! writes answers and events on fd 4, each a JSON text ended by a NUL byte) — no
//! WebSocket and no WebDriver needed.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running headless Chromium and one page in it.
pub struct Browser {
    child: Child,
    commands: File,
    answers: BufReader<File>,
    next_id: u64,
    session: String,
    /// Every event received so far (console messages, exceptions, log entries).
    pub events: Vec<Value>,
}

/// A pipe whose two ends are above fd 10 (so that moving them to 3 and 4 in the
/// child cannot clobber one with the other), close-on-exec in this process.
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let high = fds.map(|fd| {
        let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        assert!(moved >= 10);
        unsafe { libc::close(fd) };
        moved
    });
    (high[0], high[1])
}

impl Browser {
    /// Starts Chromium (with a profile in `profile`) on a blank page, attached to
    /// it, with console and log events on.
    pub fn launch(binary: &Path, profile: &Path) -> Browser {
        let (chromium_reads, we_write) = pipe();
        let (we_read, chromium_writes) = pipe();
        let mut command = Command::new(binary);
        command
            .args(super::CHROMIUM_FLAGS)
            .args(["--remote-debugging-pipe", "--window-size=1400,1000"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: between fork and exec only async-signal-safe calls (dup2).
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(chromium_reads, 3) < 0 || libc::dup2(chromium_writes, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        unsafe {
            libc::close(chromium_reads);
            libc::close(chromium_writes);
        }
        let mut browser = Browser {
            child,
            commands: unsafe { File::from_raw_fd(we_write) },
            answers: BufReader::new(unsafe { File::from_raw_fd(we_read) }),
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let targets = browser.call_browser("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target")["targetId"]
            .clone();
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({ "targetId": page, "flatten": true }),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.call(domain, json!({}));
        }
        browser
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        loop {
            let mut raw = Vec::new();
            let read = self.answers.read_until(0, &mut raw).unwrap();
            assert!(
                read > 0,
                "chromium closed the pipe while {method} was pending"
            );
            raw.pop();
            let answer: Value = serde_json::from_slice(&raw).unwrap();
            if answer["id"] == json!(id) {
                assert!(
                    answer.get("error").is_none(),
                    "{method}: {}",
                    answer["error"]
                );
                return answer["result"].clone();
            }
            if answer.get("method").is_some() {
                self.events.push(answer);
            }
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(None, method, params)
    }

    /// A command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(Some(&session), method, params)
    }

    /// Goes to `url`.
    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy, for at most `timeout`; while it
    /// throws (the page's script is not loaded yet) it counts as false.
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) -> bool {
        let guarded = format!(
            "(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()"
        );
        let start = Instant::now();
        while start.elapsed() < timeout {
            let value = self.eval(&guarded);
            if !(value.is_null()
                || value == json!(false)
                || value == json!("")
                || value == json!(0))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// A mouse event (`mousePressed`, `mouseMoved`, `mouseReleased`) at page
    /// coordinates, the left button held where it is.
    pub fn mouse(&mut self, kind: &str, x: f64, y: f64) {
        let buttons = if kind == "mouseReleased" { 0 } else { 1 };
        self.call(
            "Input.dispatchMouseEvent",
            json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1 }),
        );
    }

    /// A stroke through `points`: press at the first, move through the rest,
    /// release at the last.
    pub fn stroke(&mut self, points: &[(f64, f64)]) {
        let (x, y) = points[0];
        self.mouse("mousePressed", x, y);
        for &(x, y) in &points[1..] {
            self.mouse("mouseMoved", x, y);
        }
        let &(x, y) = points.last().unwrap();
        self.mouse("mouseReleased", x, y);
    }

    /// Console errors, uncaught exceptions and error log entries seen so far.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                let method = e["method"].as_str().unwrap_or("");
                method == "Runtime.exceptionThrown"
                    || (method == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
                    || (method == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
            })
            .map(|e| e.to_string())
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
