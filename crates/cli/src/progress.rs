//! Progress on stderr (indicatif): shown only when stderr is a terminal and `--quiet` is not set, so logs and
//! pipes never see control characters. With `REKINDLE_TIMINGS` set, each phase's wall time also goes to stderr
//! (`rekindle: phase events 1.234 s`), for profiling the batch plan.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing; and the current phase with its start when timings are asked for.
pub struct Progress(Option<ProgressBar>, Option<Cell<(&'static str, Instant)>>);

impl Progress {
    /// A bar over `total` bytes of event input.
    pub fn bytes(quiet: bool, total: u64) -> Progress {
        let timings = std::env::var_os("REKINDLE_TIMINGS").map(|_| Cell::new(("start", stopwatch())));
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None, timings);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {per_sec}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress(Some(bar), timings)
    }

    /// Names the current phase.
    pub fn phase(&self, name: &'static str) {
        self.lap(name);
        if let Some(bar) = &self.0 {
            bar.set_message(name);
        }
    }

    /// With timings on: prints the phase that ends here and starts `next`.
    fn lap(&self, next: &'static str) {
        if let Some(cell) = &self.1 {
            let (name, started) = cell.get();
            eprintln!("rekindle: phase {name} {:.3} s", started.elapsed().as_secs_f64());
            cell.set((next, stopwatch()));
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
        self.lap("");
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The instant a phase starts: native only (the CLI), and only measured, never written to an output.
#[allow(clippy::disallowed_methods)]
fn stopwatch() -> Instant {
    Instant::now()
}
