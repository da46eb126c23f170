//! Running the examples as a user runs them, and what they leave behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of an example binary built by `cargo test` next to the test binary.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} not built (cargo test builds examples)",
        path.display()
    );
    path
}

/// Runs example `name` with `args` to its end, without `$LENET_DATA_DIR` (so
/// only the flags say where data is).
pub fn run_example(name: &str, args: &[&str]) -> Output {
    Command::new(example_bin(name))
        .args(args)
        .env_remove("LENET_DATA_DIR")
        .output()
        .unwrap()
}

/// Files in `dir` whose names start with a dot (temporary files of atomic writes).
pub fn leftover_temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect()
}

/// [`run_example`], also measuring the most memory the process held (its
/// `VmHWM`, read from `/proc` every few milliseconds while it runs), in bytes.
/// (Not `wait4`'s `ru_maxrss`: Linux carries the forking test process's own
/// size into it across `exec`.)
#[cfg(target_os = "linux")]
pub fn run_example_measured(name: &str, args: &[&str]) -> (Output, u64) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(example_bin(name))
        .args(args)
        .env_remove("LENET_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, peak_kb * 1024)
}
