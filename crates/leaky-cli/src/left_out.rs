//! The commands of a feature this build leaves out (`networks`: no candle, a few minutes less of a
//! cold build; `serve`: no web server): they take any arguments and say, in one line, how to get
//! them.

use clap::Args as ClapArgs;

use crate::error::CliError;

/// Whatever follows a left-out command; this build cannot run it.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _rest: Vec<String>,
}

/// The usage error (exit code 2) for `leaky COMMAND`, which needs `what` (`the networks`, `the
/// web server`), in this build.
pub fn missing(command: &str, what: &str) -> Result<(), CliError> {
    Err(CliError::Usage(format!(
        "`leaky {command}` needs {what}, which this build leaves out: build it with the default \
         features (`cargo install --path crates/leaky-cli`, or drop `--no-default-features`)"
    )))
}
