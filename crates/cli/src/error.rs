//! The CLI's errors: core errors with the file they came from, I/O with its path, and usage mistakes.

use std::path::PathBuf;

use rekindle_core::Problem;

/// Everything a command can fail with; each maps to a documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A file is not JSON.
    #[error("{}:{line}:{column}: not valid JSON: {reason}", path.display())]
    Json { path: PathBuf, line: usize, column: usize, reason: String },
    /// Core refused the content of a file.
    #[error("{}: {source}", file.display())]
    Core { file: PathBuf, source: rekindle_core::Error },
    /// A whole input file cannot be used (a contacts file without an email column).
    #[error("{}:{line}: {reason}", file.display())]
    Unusable { file: PathBuf, line: u64, reason: String },
    /// `--previous DIR` holds no plan this run can carry on from (a path, the line or 0, a stable code).
    #[error("{}{}: {problem} ({})", path.display(), if *line > 0 { format!(":{line}") } else { String::new() }, problem.code())]
    Previous { path: PathBuf, line: u64, problem: crate::plan::previous::PreviousProblem },
    /// A bad argument value.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// 1 I/O; 2 usage; 3 unusable input.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Io { .. } => 1,
            CliError::Usage(_) => 2,
            CliError::Json { .. } | CliError::Core { .. } | CliError::Unusable { .. } | CliError::Previous { .. } => 3,
        }
    }

    /// All problems of an invalid playbook (the message shows the first).
    pub fn problems(&self) -> &[Problem] {
        match self {
            CliError::Core { source, .. } => source.problems(),
            CliError::Io { .. }
            | CliError::Json { .. }
            | CliError::Unusable { .. }
            | CliError::Previous { .. }
            | CliError::Usage(_) => &[],
        }
    }
}
