//! Fetching MNIST when it is not on disk: mirrors tried in order, every byte
//! checked against the published MD5 and our SHA-256 before the file gets its name.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256};

use super::mnist::{Mnist, MnistSplit, Split, find_file, missing_files};
use crate::atomic_file::AtomicFile;
use crate::{Error, Result};

/// A file to download and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name, appended to each mirror's base URL.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MD5 as published with the data set (lowercase hex).
    pub md5: String,
    /// SHA-256 (lowercase hex), computed from files that match the published MD5.
    pub sha256: String,
}

/// The four MNIST files: sizes and MD5s as published on LeCun's MNIST page.
pub fn mnist_files() -> Vec<RemoteFile> {
    [
        (
            "train-images-idx3-ubyte.gz",
            9_912_422,
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        (
            "train-labels-idx1-ubyte.gz",
            28_881,
            "d53e105ee54ea40749a09fcbcd1e9432",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            1_648_877,
            "9fb629c4189551a2d022fa330f9573f3",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            4_542,
            "ec29112dd5afa0611ce80d1b7f02629c",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ]
    .into_iter()
    .map(|(name, size, md5, sha256)| RemoteFile {
        name: name.to_string(),
        size,
        md5: md5.to_string(),
        sha256: sha256.to_string(),
    })
    .collect()
}

/// Public copies of MNIST, tried in this order.
pub const MNIST_MIRRORS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// How to download.
#[derive(Debug, Clone)]
pub struct Downloader {
    /// Base URLs, each ending in `/`, tried in order.
    pub mirrors: Vec<String>,
    /// Draw a progress bar on standard error (off by default: the library never
    /// prints unless asked).
    pub progress: bool,
    /// Give up on one mirror after this long.
    pub timeout: Duration,
}

impl Default for Downloader {
    /// The public mirrors, no progress bar.
    ///
    /// ```
    /// assert!(!lenet::data::Downloader::default().progress);
    /// ```
    fn default() -> Self {
        Self {
            mirrors: MNIST_MIRRORS.iter().map(|m| m.to_string()).collect(),
            progress: false,
            timeout: Duration::from_secs(300),
        }
    }
}

impl Downloader {
    /// Downloads each of `files` that `dir` does not have yet, verified.
    ///
    /// ```no_run
    /// use lenet::data::{Downloader, mnist_files};
    ///
    /// let downloader = Downloader {
    ///     mirrors: vec!["http://127.0.0.1:8000/".into()],
    ///     ..Downloader::default()
    /// };
    /// downloader.fetch_missing("data/mnist".as_ref(), &mnist_files())?;
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn fetch_missing(&self, dir: &Path, files: &[RemoteFile]) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for file in files {
            let raw_name = file.name.trim_end_matches(".gz");
            if dir.join(&file.name).is_file() || dir.join(raw_name).is_file() {
                continue;
            }
            self.fetch(dir, file)?;
        }
        Ok(())
    }

    /// Downloads one file into `dir`, trying each mirror until one delivers the
    /// right bytes.
    pub fn fetch(&self, dir: &Path, file: &RemoteFile) -> Result<()> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .build()
            .into();
        let mut attempts = Vec::new();
        for mirror in &self.mirrors {
            let url = format!("{mirror}{}", file.name);
            match self.try_mirror(&agent, &url, dir, file) {
                Ok(()) => return Ok(()),
                Err(reason) => attempts.push(format!("{url}: {reason}")),
            }
        }
        if attempts.is_empty() {
            attempts.push("no mirror configured".to_string());
        }
        Err(Error::Download {
            file: file.name.clone(),
            attempts,
        })
    }

    /// Streams `url` into a temporary file, hashing as it goes; renames it to its
    /// name only if size and both checksums match.
    fn try_mirror(
        &self,
        agent: &ureq::Agent,
        url: &str,
        dir: &Path,
        file: &RemoteFile,
    ) -> std::result::Result<(), String> {
        let response = agent.get(url).call().map_err(|e| e.to_string())?;
        let mut body = response
            .into_body()
            .into_with_config()
            .limit(file.size + 1)
            .reader();
        let path = dir.join(&file.name);
        let mut out = AtomicFile::create(&path).map_err(|e| e.full_message())?;
        let bar = self.progress_bar(file);
        let mut md5 = Md5::new();
        let mut sha256 = Sha256::new();
        let mut received = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("connection failed after {received} bytes: {e}")),
            };
            received += n as u64;
            md5.update(&buf[..n]);
            sha256.update(&buf[..n]);
            out.writer()
                .write_all(&buf[..n])
                .map_err(|e| format!("{}: {e}", out.path().display()))?;
            bar.set_position(received);
        }
        bar.finish_and_clear();
        if received != file.size {
            return Err(format!("received {received} bytes, expected {}", file.size));
        }
        let md5 = hex(&md5.finalize());
        if md5 != file.md5 {
            return Err(format!(
                "MD5 {md5} does not match the published {}",
                file.md5
            ));
        }
        let sha256 = hex(&sha256.finalize());
        if sha256 != file.sha256 {
            return Err(format!("SHA-256 {sha256} does not match {}", file.sha256));
        }
        out.commit().map_err(|e| e.full_message())
    }

    fn progress_bar(&self, file: &RemoteFile) -> indicatif::ProgressBar {
        if !self.progress {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(file.size);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(file.name.clone());
        bar
    }
}

/// Downloads the MNIST files `dir` lacks from the public mirrors.
pub fn download_mnist(dir: &Path) -> Result<()> {
    Downloader::default().fetch_missing(dir, &mnist_files())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loading MNIST, downloading what is missing: the `download` feature's part of
/// [`Mnist`].
impl Mnist {
    /// Resolves the data directory (see [`data_dir`](super::data_dir)), downloads
    /// what is missing (from the public mirrors, silently), then loads.
    pub fn load_or_download(explicit_dir: Option<&Path>) -> Result<Self> {
        Self::load_or_download_with(explicit_dir, &Downloader::default())
    }

    /// [`load_or_download`](Self::load_or_download) with a downloader of the
    /// caller's (other mirrors, a progress bar).
    ///
    /// ```no_run
    /// use lenet::data::{Downloader, Mnist};
    ///
    /// let downloader = Downloader { progress: true, ..Downloader::default() };
    /// let mnist = Mnist::load_or_download_with(None, &downloader)?;
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn load_or_download_with(
        explicit_dir: Option<&Path>,
        downloader: &Downloader,
    ) -> Result<Self> {
        let dir = super::data_dir(explicit_dir);
        if !missing_files(&dir).is_empty() {
            downloader.fetch_missing(&dir, &mnist_files())?;
        }
        Self::load(&dir)
    }
}

/// Loading one split, downloading only its own files.
impl MnistSplit {
    /// One split from the data directory (`explicit_dir`, else
    /// `$LENET_DATA_DIR`, else the per-user cache), downloading only its own two
    /// files where they are missing: an evaluation needs the 10,000 test images,
    /// not the 47 MB of training images.
    ///
    /// ```no_run
    /// use lenet::data::{Downloader, MnistSplit, Split};
    ///
    /// let test = MnistSplit::load_or_download_with(None, Split::Test, &Downloader::default())?;
    /// assert_eq!(test.len(), 10_000);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn load_or_download_with(
        explicit_dir: Option<&Path>,
        split: Split,
        downloader: &Downloader,
    ) -> Result<Self> {
        let dir = super::data_dir(explicit_dir);
        let stems = [split.images_file(), split.labels_file()];
        if stems.iter().any(|stem| find_file(&dir, stem).is_none()) {
            let files: Vec<_> = mnist_files()
                .into_iter()
                .filter(|f| stems.iter().any(|stem| f.name.starts_with(stem)))
                .collect();
            downloader.fetch_missing(&dir, &files)?;
        }
        Self::load(&dir, split)
    }
}
