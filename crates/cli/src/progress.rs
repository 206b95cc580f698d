//! Progress on stderr (indicatif): shown only when stderr is a terminal and `--quiet` is not set, so logs and
//! pipes never see control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar over `total` bytes of event input.
    pub fn bytes(quiet: bool, total: u64) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress(Some(bar))
    }

    /// Names the current phase.
    pub fn phase(&self, name: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(name);
        }
    }

    /// Bytes done so far.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(done);
        }
    }

    /// Removes the bar before the final line.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
