//! The command line, as clap sees it. Help text here is the user's manual
//! in the terminal; README.md says the same at length.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Parser, Subcommand, ValueEnum};

use crate::shell::Shell;

#[derive(Parser)]
#[command(
    name = "autovenv",
    version,
    about = "Automatic Python virtual environments: cd into a project and its env exists, is synced and active; cd out and your shell is as it was.",
    after_help = "Set up: add `eval \"$(autovenv hook zsh)\"` (or bash; fish: `autovenv hook fish | source`) to your shell's rc file, then `autovenv allow` in a project."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Print the shell integration, for your rc file: eval "$(autovenv hook zsh)"
    Hook { shell: Shell },
    /// Print the code that brings the shell up to date (what the hook runs at each prompt)
    Export { format: Format },
    /// Trust the project containing DIR (default: here): create, sync and activate its env
    Allow { dir: Option<PathBuf> },
    /// Resume autovenv here after `deactivate`; in a shell without the hook: eval "$(autovenv activate bash)"
    Activate {
        /// Print the code for this shell to eval (for a shell without the hook)
        shell: Option<Shell>,
    },
    /// Install packages into the env and add them to the requirements file
    Add {
        /// Requirements as pip takes them: `requests`, `flask>=3`
        #[arg(required = true)]
        packages: Vec<String>,
        /// Write `name==version` as installed
        #[arg(long)]
        pin: bool,
    },
    /// Uninstall packages from the env and remove them from the requirements file
    Remove {
        /// Package names
        #[arg(required = true)]
        packages: Vec<String>,
    },
    /// Write what the env holds to FILE (default: requirements.txt), as `pip freeze` would
    Freeze {
        file: Option<PathBuf>,
        /// Overwrite a file whose comments or -r/-c includes would be lost
        #[arg(long)]
        force: bool,
    },
    /// Revoke trust in the project containing DIR; the next prompt deactivates it
    Deny { dir: Option<PathBuf> },
    /// Show the project, its env, trust, sync state, and what the shell has active
    Status {
        dir: Option<PathBuf>,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Create the env if needed and install the requirements now
    Sync {
        dir: Option<PathBuf>,
        /// Install even if the requirements did not change
        #[arg(long)]
        force: bool,
    },
    /// Sync allowed projects in the background as their requirements change
    Watch { dirs: Vec<PathBuf> },
    /// Run a command inside a project's env, without the hook (editors, cron, CI)
    Exec {
        /// The project to use (default: here)
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The command and its arguments
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Check the hook in this shell, the binary it runs, uv, Python, autovenv's folders and the project here
    Doctor {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions for autovenv itself
    Completions { shell: Completer },
}

/// A shell `completions` writes for: the ones `clap_complete` knows, and
/// nushell (`nu`) through `clap_complete_nushell`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Completer {
    Clap(clap_complete::Shell),
    Nu,
}

impl ValueEnum for Completer {
    fn value_variants<'a>() -> &'a [Self] {
        use clap_complete::Shell as S;
        &[
            Completer::Clap(S::Bash),
            Completer::Clap(S::Elvish),
            Completer::Clap(S::Fish),
            Completer::Nu,
            Completer::Clap(S::PowerShell),
            Completer::Clap(S::Zsh),
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            Completer::Clap(s) => s.to_possible_value(),
            Completer::Nu => Some(PossibleValue::new("nu")),
        }
    }
}

/// What `export` writes: code for a shell, or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Shell(Shell),
    /// {"VAR": "value" | null} for editors and other tools
    Json,
}

/// Every shell of [`Shell::ALL`], then JSON.
const FORMATS: [Format; Shell::ALL.len() + 1] = {
    let mut out = [Format::Json; Shell::ALL.len() + 1];
    let mut i = 0;
    while i < Shell::ALL.len() {
        out[i] = Format::Shell(Shell::ALL[i]);
        i += 1;
    }
    out
};

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &FORMATS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Format::Shell(s) => PossibleValue::new(s.name()),
            Format::Json => PossibleValue::new("json").help("{\"VAR\": \"value\" | null} for editors and other tools"),
        })
    }
}
