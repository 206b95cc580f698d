//! Progress on stderr (indicatif): shown only when stderr is a terminal and `--quiet` is not set, so logs and
//! pipes never see control characters. With `REKINDLE_TIMINGS` set, each phase's wall time also goes to stderr
//! (`rekindle: phase events 1.234 s`), for profiling the batch plan.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing; and the current phase with its start when timings are asked for.
pub struct Progress(Option<ProgressBar>, Option<Cell<(&'static str, Instant, f64)>>);

impl Progress {
    /// A bar over `total` bytes of event input.
    pub fn bytes(quiet: bool, total: u64) -> Progress {
        let timings = std::env::var_os("REKINDLE_TIMINGS").map(|_| Cell::new(("start", stopwatch(), cpu_seconds())));
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
            let (name, started, cpu) = cell.get();
            let used = cpu_seconds();
            eprintln!("rekindle: phase {name} {:.3} s (cpu {:.2} s)", started.elapsed().as_secs_f64(), used - cpu);
            cell.set((next, stopwatch(), used));
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

/// CPU time used by the process so far (user + system, all threads), from `/proc/self/stat`; 0 where there is
/// none. Clock ticks are taken as 1/100 s, Linux's `USER_HZ` on every common platform.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<u64>().ok()).sum();
    ticks as f64 / 100.0
}
