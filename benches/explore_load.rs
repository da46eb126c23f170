//! The explore server under load, on loopback: `--clients` clients (16) for
//! `--seconds` (60), each sending, one after another, good pictures (7 in 10),
//! bodies that are not pictures (2 in 10) and bodies over the size limit (1 in
//! 10) — and, told `503`, waiting its `Retry-After` as a browser's page would —
//! then the figures docs/EXPLORE.md gives: requests per second, the answers by
//! status, the latency of good requests answered (p50, p99) and the peak memory
//! of the process (server and clients; the clients hold little).
//!
//! cargo bench --bench explore_load -- --clients 16 --seconds 60
//!
//! The server is `lenet::explore::serve` with its default limits (one
//! computation per core, then a queue, then 503), LeNet5 and the extra-conv
//! variant side by side, every answer with every layer and four explanations.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lenet::explore::ServeOptions;

/// What a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Picture,
    NotAPicture,
    Oversized,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (clients, seconds) = (flag("--clients", 16) as usize, flag("--seconds", 60));
    lenet::train::tune_allocator();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let app = support::app();
    std::thread::spawn(move || lenet::explore::serve(listener, app, ServeOptions::default()));
    std::thread::sleep(Duration::from_millis(200));
    let before = peak_memory();
    let picture = support::drawing();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let results: Vec<(Kind, u16, Duration)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                let (address, picture) = (&address, &picture);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut n = client;
                    while Instant::now() < deadline {
                        let kind = match n % 10 {
                            7 | 8 => Kind::NotAPicture,
                            9 => Kind::Oversized,
                            _ => Kind::Picture,
                        };
                        n += 1;
                        let started = Instant::now();
                        let status = send(address, kind, picture);
                        done.push((kind, status, started.elapsed()));
                        if status == 503 {
                            std::thread::sleep(Duration::from_secs(1)); // its Retry-After
                        }
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut by_status: BTreeMap<(Kind, u16), usize> = BTreeMap::new();
    for (kind, status, _) in &results {
        *by_status.entry((*kind, *status)).or_default() += 1;
    }
    let mut good: Vec<Duration> = results
        .iter()
        .filter(|(kind, status, _)| *kind == Kind::Picture && *status == 200)
        .map(|(_, _, t)| *t)
        .collect();
    good.sort();
    let quantile = |q: f64| good[((good.len() as f64 - 1.0) * q).round() as usize];
    println!("CPU: {}", cpu_model());
    println!(
        "{clients} clients, {seconds} s: {} requests, {:.1} per second",
        results.len(),
        results.len() as f64 / seconds as f64
    );
    for ((kind, status), count) in &by_status {
        println!("  {kind:?} → {status}: {count}");
    }
    if !good.is_empty() {
        println!(
            "good pictures answered 200: p50 {:.1} ms, p99 {:.1} ms",
            quantile(0.5).as_secs_f64() * 1e3,
            quantile(0.99).as_secs_f64() * 1e3
        );
    }
    println!(
        "peak memory: {} MB (before the load: {} MB)",
        peak_memory() >> 20,
        before >> 20
    );
    let server_errors = by_status
        .iter()
        .filter(|((_, status), _)| *status >= 500 && *status != 503)
        .count();
    println!("5xx other than 503: {server_errors}");
}

/// One request on a connection of its own; its status (0: no answer).
fn send(address: &str, kind: Kind, picture: &[u8]) -> u16 {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return 0;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let (content_type, body, length): (&str, &[u8], usize) = match kind {
        Kind::Picture => ("image/png", picture, picture.len()),
        Kind::NotAPicture => ("image/png", b"not a picture at all", 20),
        // Announced, never sent: refused from its Content-Length.
        Kind::Oversized => ("image/png", &[], 64 << 20),
    };
    let head = format!(
        "POST /api/explain HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body).is_err() {
        return 0;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// This process's peak resident memory (`VmHWM`), in bytes.
fn peak_memory() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
