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
    /// A YAML file is not YAML, or holds what a playbook cannot (a tag, a repeated key, a second document, …):
    /// every such problem with its line and column, never none.
    #[error("{}:{}", path.display(), first_yaml(problems))]
    Yaml { path: PathBuf, problems: Vec<crate::yaml::Problem> },
    /// Core refused the content of a file.
    #[error("{}: {source}", file.display())]
    Core { file: PathBuf, source: rekindle_core::Error },
    /// Core refused a playbook written in YAML: `at` holds each problem's line and column in the file, in order
    /// (the problems' messages carry YAML hints where one applies).
    #[error("{}:{}: {source}", file.display(), at.first().map(ToString::to_string).unwrap_or_else(|| "1:1".into()))]
    CoreYaml { file: PathBuf, source: rekindle_core::Error, at: Vec<crate::yaml::Mark> },
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
            CliError::Json { .. }
            | CliError::Yaml { .. }
            | CliError::Core { .. }
            | CliError::CoreYaml { .. }
            | CliError::Unusable { .. }
            | CliError::Previous { .. } => 3,
        }
    }

    /// The problems after the first, one line each, for an invalid playbook (the message shows the first).
    pub fn more(&self) -> Vec<String> {
        match self {
            CliError::Core { source, .. } => source.problems().iter().skip(1).map(Problem::to_string).collect(),
            CliError::CoreYaml { file, source, at } => (source.problems().iter().zip(at))
                .skip(1)
                .map(|(p, at)| format!("{}:{at}: {p}", file.display()))
                .collect(),
            CliError::Yaml { path, problems } => {
                problems.iter().skip(1).map(|p| format!("{}:{}: {}", path.display(), p.at, p.reason)).collect()
            }
            CliError::Io { .. }
            | CliError::Json { .. }
            | CliError::Unusable { .. }
            | CliError::Previous { .. }
            | CliError::Usage(_) => Vec::new(),
        }
    }
}

fn first_yaml(problems: &[crate::yaml::Problem]) -> String {
    match problems.first() {
        Some(p) => format!("{}: {}", p.at, p.reason),
        None => "1:1: not a usable YAML playbook".into(),
    }
}
