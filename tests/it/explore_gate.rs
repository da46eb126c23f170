//! The explore server against what a web page elsewhere, a slow client or a
//! flood can do (docs/EXPLORE.md, "Security"): a foreign `Host` and another
//! page's requests are refused before any work, decompression bombs leave its
//! memory bounded, slow clients are let go, a full queue answers `503`, and the
//! server keeps serving throughout. The server runs as `explore` does, in a
//! process of its own, so its memory can be read.

use crate::support;
use crate::support::http::{ExploreProcess, request};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lenet::data::Normalization;
use lenet::explore::{App, Limits, NamedModel, ServeOptions};
use lenet::{Architecture, LeNetConfig, SavedModel};

/// An untrained LeNet5 as a `.safetensors` file (what it reads does not matter
/// here), kept for every test of the module.
fn checkpoint() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        LeNetConfig::new(Architecture::LENET5)
            .init_seeded(&support::device(), 0)
            .save_safetensors_with(&dir.path().join("lenet5.safetensors"), Normalization::None)
            .unwrap();
        dir
    });
    dir.path().join("lenet5.safetensors")
}

/// A drawn 7 as PNG: a picture the server reads.
fn seven() -> Vec<u8> {
    let picture = image::GrayImage::from_fn(120, 120, |x, y| {
        let bar = (20..100).contains(&x) && (20..32).contains(&y);
        let stem = (y >= 20) && (x as i32 - (100 - (y as i32 - 20) * 2 / 3)).abs() < 7;
        image::Luma([if bar || stem { 255 } else { 0 }])
    });
    png(&image::DynamicImage::ImageLuma8(picture))
}

fn png(picture: &image::DynamicImage) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

#[test]
fn a_foreign_host_is_refused_and_the_servers_own_names_are_answered() {
    let server = ExploreProcess::start(&checkpoint(), &["--allow-host", "lab.local"]);
    let port = server.address.rsplit(':').next().unwrap();
    let get = |host: &str| {
        request(
            &server.address,
            &format!("GET /api/models HTTP/1.1\r\nHost: {host}"),
            &[],
        )
    };
    for host in ["attacker.example", "127.0.0.1:1", "127.0.0.1"] {
        let host = host.replace("attacker.example", &format!("attacker.example:{port}"));
        let answer = get(&host);
        assert_eq!(answer.status, 403, "{host}");
        assert!(
            answer.json()["error"].as_str().unwrap().contains("name"),
            "{host}"
        );
    }
    for host in [
        format!("localhost:{port}"),
        server.address.clone(),
        format!("lab.local:{port}"),
    ] {
        assert_eq!(get(&host).status, 200, "{host}");
    }
}

#[test]
fn another_pages_requests_are_refused_before_any_work() {
    let server = ExploreProcess::start(&checkpoint(), &[]);
    let host = &server.address;
    let post = |headers: &str, body: &[u8]| {
        request(
            host,
            &format!("POST /api/explain HTTP/1.1\r\nHost: {host}\r\n{headers}"),
            body,
        )
    };
    let picture = seven();
    // What fetch(…, {mode: "no-cors"}) from another site sends: a "simple" request.
    let answer = post(
        "Origin: http://attacker.example\r\nContent-Type: text/plain",
        &picture,
    );
    assert_eq!(answer.status, 403);
    assert!(
        answer.json()["error"]
            .as_str()
            .unwrap()
            .contains("other pages")
    );
    for simple in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let answer = post(&format!("Content-Type: {simple}"), &picture);
        assert_eq!(answer.status, 415, "{simple}");
    }
    let embedded = request(
        host,
        &format!("GET /api/models HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site"),
        &[],
    );
    assert_eq!(embedded.status, 403, "a page elsewhere embedding the API");
    let link = request(
        host,
        &format!("GET / HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: cross-site"),
        &[],
    );
    assert_eq!(
        link.status, 200,
        "a link to the page from elsewhere opens it"
    );
    // The page itself, and a client that says nothing of where it comes from.
    let own = post(
        &format!("Origin: http://{host}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: image/png"),
        &picture,
    );
    assert_eq!(own.status, 200, "{}", String::from_utf8_lossy(&own.body));
    assert_eq!(
        server.post("/api/explain", "image/png", &picture).status,
        200
    );
    // A refusal is JSON too, for paths and queries.
    let bad_path = server.get("/api/mnist/%FF");
    assert_eq!(bad_path.status, 400);
    assert!(bad_path.json()["error"].is_string());
    let bad_query = server.get("/api/mnist?limit=many");
    assert_eq!(bad_query.status, 400);
    assert!(bad_query.json()["error"].is_string());
}

/// Two dozen pictures at once that decode to far more than they weigh: those
/// within the limits are decoded a few at a time, the others refused from their
/// headers; the server's memory stays bounded and it answers a good picture
/// right after.
#[test]
fn a_flood_of_decompression_bombs_leaves_memory_bounded() {
    let server = ExploreProcess::start(&checkpoint(), &[]);
    let within = png(&image::DynamicImage::new_rgb8(4096, 4096)); // 48 MB decoded
    let beyond = png(&image::DynamicImage::new_luma8(5000, 5000));
    let claims = support::huge_png_header(12_000, 12_000);
    let jpeg = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds/image/regression-jpeg-claims-10784x6400"),
    )
    .unwrap();
    assert!(
        within.len() < 1 << 20 && beyond.len() < 1 << 20,
        "small files"
    );
    let bombs: Vec<&[u8]> = (0..24)
        .map(|i| match i % 4 {
            0 | 1 => within.as_slice(),
            2 => beyond.as_slice(),
            _ => {
                if i % 8 == 3 {
                    claims.as_slice()
                } else {
                    jpeg.as_slice()
                }
            }
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let sent: Vec<_> = bombs
            .iter()
            .map(|bomb| scope.spawn(|| server.post("/api/explain", "image/png", bomb).status))
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    for status in &statuses {
        assert!(
            (400..500).contains(status) || *status == 503,
            "every answer a 4xx or 503: {statuses:?}"
        );
    }
    let peak = server.peak_memory();
    assert!(peak < 500 << 20, "the server held {} MB", peak >> 20);
    assert_eq!(
        server.post("/api/explain", "image/png", &seven()).status,
        200
    );
}

/// 400 connections that never finish their headers neither block another
/// client nor stay open past the header timeout (10 s).
#[test]
fn slow_clients_are_let_go_and_do_not_block_others() {
    let server = ExploreProcess::start(&checkpoint(), &[]);
    let mut slow: Vec<TcpStream> = (0..400)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.address).unwrap();
            stream
                .write_all(b"GET /api/models HTTP/1.1\r\nHost: ")
                .unwrap();
            stream
        })
        .collect();
    let started = Instant::now();
    assert_eq!(server.get("/api/models").status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered meanwhile"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    for stream in &mut slow {
        stream
            .set_read_timeout(Some(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            ))
            .unwrap();
        let mut buffer = [0u8; 512];
        // The server closes the connection (an answer, then EOF, or a reset).
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "slow clients held for {:?}",
        started.elapsed()
    );
    assert_eq!(server.get("/api/models").status, 200);
}

/// A server of the test's own with short limits: a body that stops arriving is
/// answered 408, and requests beyond the queue get `503` with `Retry-After`.
#[test]
fn a_stalled_body_times_out_and_a_full_queue_answers_503() {
    let device = support::device();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    let app = App::new(
        vec![NamedModel::new(
            "lenet5",
            SavedModel::new(model, Normalization::None),
        )],
        None,
    )
    .unwrap();
    let options = ServeOptions {
        limits: Limits {
            computations: 1,
            queue: 0,
            body_time: Duration::from_secs(1),
            ..Limits::default()
        },
        ..ServeOptions::default()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || lenet::explore::serve(listener, app, options).unwrap());

    let mut stalled = TcpStream::connect(&address).unwrap();
    write!(
        stalled,
        "POST /api/explain HTTP/1.1\r\nHost: {address}\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n0123456789"
    )
    .unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = stalled.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // A body cut short (the client stops sending) is a bad request, not one
    // over the limit.
    let mut cut = TcpStream::connect(&address).unwrap();
    write!(
        cut,
        "POST /api/explain HTTP/1.1\r\nHost: {address}\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n0123456789"
    )
    .unwrap();
    cut.shutdown(std::net::Shutdown::Write).unwrap();
    cut.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut answer = String::new();
    let _ = cut.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("did not arrive whole"), "{answer}");

    // One computation at a time and no queue: of many at once, some wait their
    // turn in vain.
    let picture = seven();
    let answers: Vec<support::http::Answer> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..24)
            .map(|_| {
                scope.spawn(|| {
                    request(
                        &address,
                        &format!("POST /api/explain HTTP/1.1\r\nHost: {address}\r\nContent-Type: image/png"),
                        &picture,
                    )
                })
            })
            .collect();
        sent.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 503));
    assert!(answers.iter().any(|a| a.status == 200));
    assert!(!busy.is_empty(), "no request was turned away");
    for answer in busy {
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert!(answer.json()["error"].is_string());
    }
}
