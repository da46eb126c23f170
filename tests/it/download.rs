//! Downloading against an HTTP server on 127.0.0.1 that the test starts itself:
//! good files, a 404 mirror, a corrupted file, a truncated response.

use crate::support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lenet::Error;
use lenet::data::{Downloader, MnistSplit, RemoteFile, Split};
use md5::Md5;
use sha2::{Digest, Sha256};

/// A tiny HTTP/1.1 server. Paths look like `/<behaviour>/<file>` where the
/// behaviour is `good`, `missing` (404), `corrupt` (one byte flipped) or
/// `truncated` (promises the full length, sends half, hangs up).
struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start(files: HashMap<String, Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let files = Arc::new(Mutex::new(files));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let files = files.clone();
                std::thread::spawn(move || serve(stream, &files.lock().unwrap()));
            }
        });
        Self { base, requests }
    }

    fn mirror(&self, behaviour: &str) -> String {
        format!("{}/{behaviour}/", self.base)
    }
}

fn serve(mut stream: TcpStream, files: &HashMap<String, Vec<u8>>) {
    let mut request_line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let behaviour = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    let Some(body) = files.get(name).filter(|_| behaviour != "missing") else {
        let _ = stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
        return;
    };
    let mut body = body.clone();
    let send = match behaviour {
        "corrupt" => {
            let middle = body.len() / 2;
            body[middle] ^= 0xff;
            body.len()
        }
        "truncated" => body.len() / 2,
        _ => body.len(),
    };
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&body[..send]);
    let _ = stream.flush();
}

fn remote(name: &str, bytes: &[u8]) -> RemoteFile {
    RemoteFile {
        name: name.to_string(),
        size: bytes.len() as u64,
        md5: hex(&Md5::digest(bytes)),
        sha256: hex(&Sha256::digest(bytes)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Synthetic MNIST files (gzip) and their checksums.
fn synthetic_files() -> (HashMap<String, Vec<u8>>, Vec<RemoteFile>) {
    let source = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(source.path(), 20, 10);
    let mut served = HashMap::new();
    let mut remotes = Vec::new();
    for name in lenet::data::standard_files() {
        let bytes = std::fs::read(source.path().join(&name)).unwrap();
        remotes.push(remote(&name, &bytes));
        served.insert(name, bytes);
    }
    (served, remotes)
}

fn downloader(mirrors: Vec<String>) -> Downloader {
    Downloader {
        mirrors,
        progress: false,
        timeout: Duration::from_secs(20),
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn good_mirror_delivers_verified_files_that_load() {
    let (served, remotes) = synthetic_files();
    let server = Server::start(served.clone());
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/mnist");
    downloader(vec![server.mirror("good")])
        .fetch_missing(&target, &remotes)
        .unwrap();
    for (name, bytes) in &served {
        assert_eq!(&std::fs::read(target.join(name)).unwrap(), bytes, "{name}");
    }
    assert_eq!(MnistSplit::load(&target, Split::Train).unwrap().len(), 20);
    assert!(support::leftover_temp_files(&target).is_empty());
}

#[test]
fn bad_mirrors_are_skipped_until_one_delivers_the_right_bytes() {
    let (served, remotes) = synthetic_files();
    let server = Server::start(served.clone());
    let dir = tempfile::tempdir().unwrap();
    let mirrors = ["missing", "corrupt", "truncated", "good"].map(|b| server.mirror(b));
    downloader(mirrors.to_vec())
        .fetch(dir.path(), &remotes[0])
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join(&remotes[0].name)).unwrap(),
        served[&remotes[0].name]
    );
    assert_eq!(names_in(dir.path()), vec![remotes[0].name.clone()]);
}

#[test]
fn when_every_mirror_fails_the_error_says_why_for_each_and_nothing_is_left() {
    let (served, remotes) = synthetic_files();
    let server = Server::start(served);
    let dir = tempfile::tempdir().unwrap();
    let mirrors = ["missing", "corrupt", "truncated"].map(|b| server.mirror(b));
    let err = downloader(mirrors.to_vec())
        .fetch(dir.path(), &remotes[0])
        .unwrap_err();
    let Error::Download { file, attempts } = &err else {
        panic!("expected a download error, got {err:?}");
    };
    assert_eq!(file, &remotes[0].name);
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(attempts[0].contains("404"), "{}", attempts[0]);
    assert!(attempts[1].contains("MD5"), "{}", attempts[1]);
    assert!(
        attempts[2].contains("bytes") || attempts[2].contains("connection"),
        "{}",
        attempts[2]
    );
    let text = err.to_string();
    assert!(
        text.contains("/missing/") && text.contains("/truncated/"),
        "{text}"
    );
    assert!(
        names_in(dir.path()).is_empty(),
        "left {:?}",
        names_in(dir.path())
    );
}

#[test]
fn files_already_present_are_not_downloaded_again() {
    let (served, remotes) = synthetic_files();
    let server = Server::start(served);
    let dir = tempfile::tempdir().unwrap();
    support::write_synthetic_mnist(dir.path(), 2, 2);
    // A raw (uncompressed) copy counts as present too.
    let raw = dir.path().join("t10k-labels-idx1-ubyte");
    std::fs::write(&raw, support::labels_idx(&[1, 2])).unwrap();
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    downloader(vec![server.mirror("good")])
        .fetch_missing(dir.path(), &remotes)
        .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);

    std::fs::remove_file(dir.path().join("train-labels-idx1-ubyte.gz")).unwrap();
    downloader(vec![server.mirror("good")])
        .fetch_missing(dir.path(), &remotes)
        .unwrap();
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        1,
        "only the missing file"
    );
}

#[test]
fn the_published_checksum_table_covers_the_four_files() {
    let files = lenet::data::mnist_files();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        lenet::data::standard_files()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    for file in &files {
        assert_eq!(file.md5.len(), 32);
        assert_eq!(file.sha256.len(), 64);
    }
    // Where the real files are here, the table must match them byte for byte.
    if let Some(dir) = support::real_mnist_dir("the_published_checksum_table_covers_the_four_files")
    {
        for file in &files {
            let bytes = std::fs::read(dir.join(&file.name)).unwrap();
            assert_eq!(bytes.len() as u64, file.size, "{}", file.name);
            assert_eq!(hex(&Md5::digest(&bytes)), file.md5, "{}", file.name);
            assert_eq!(hex(&Sha256::digest(&bytes)), file.sha256, "{}", file.name);
        }
    }
}
