//! Finding headless Chromium, and the flags this closed network needs.

use std::path::PathBuf;

/// Headless Chromium as this closed network needs it: no sandbox (containers), no
/// GPU, nothing fetched in the background.
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium binary (`$LENET_CHROMIUM`, else the usual paths), or `None` after
/// printing why the test skips; with `LENET_REQUIRE_CHROMIUM` set (CI) a missing
/// Chromium fails the test instead.
pub fn chromium(test: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("LENET_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
        Some(PathBuf::from("/usr/bin/google-chrome")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("LENET_REQUIRE_CHROMIUM").is_none(),
            "{test}: LENET_REQUIRE_CHROMIUM is set but no Chromium was found"
        );
        eprintln!("SKIPPED {test}: no Chromium (apt install chromium, or set LENET_CHROMIUM)");
    }
    found
}
