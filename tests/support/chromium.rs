//! Headless Chromium (Debian's `chromium`), for the tests and the benchmark that open the HTML
//! report in a real browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The first Chromium on PATH.
pub fn find() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Open `page` (a file) headless, with `extra` flags (`--dump-dom`, `--screenshot=…`), its
/// profile in this process's own folder; what Chromium printed.
pub fn open(browser: &Path, extra: &[&str], page: &Path) -> Output {
    let profile = std::env::temp_dir().join(format!("okta-sim-chromium-{}", std::process::id()));
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}
