//! Progress on stderr for long commands (sync, export, import): one line
//! rewritten in place on a terminal, nothing when piped, one line per step
//! with `--progress` (for logs), nothing with `--quiet`.

use std::cell::Cell;
use std::io::{IsTerminal, Write};

/// How a long command reports its progress.
pub struct Meter {
    lines: bool,
    in_place: bool,
    shown: Cell<bool>,
}

impl Meter {
    /// `progress`: a line per step even when piped; `quiet`: nothing at all.
    pub fn new(progress: bool, quiet: bool) -> Meter {
        Meter {
            lines: progress,
            in_place: !progress && !quiet && std::io::stderr().is_terminal(),
            shown: Cell::new(false),
        }
    }

    /// Shows `line` as the current state.
    pub fn show(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        if self.lines {
            let _ = writeln!(err, "{line}");
        } else if self.in_place {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.shown.set(true);
        }
    }

    /// Ends the line rewritten in place, if any, before the result is printed.
    pub fn finish(&self) {
        if self.shown.replace(false) {
            eprintln!();
        }
    }
}
