//! The `leaky` command: evaluate and list activation functions, train networks that use them.
//!
//! Arguments are parsed by clap (usage errors exit with code 2), then each command runs and
//! returns a [`CliError`] on failure, printed as one line on standard error.

mod classify;
mod curves;
mod error;
mod eval;
mod list;
mod output;
mod progress;
mod range;
mod sample;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Activation functions for neural networks: evaluate them, list them, train networks with them.
#[derive(Parser, Debug)]
#[command(name = "leaky", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print f(x) and f'(x) as CSV (or JSON) for given inputs.
    Eval(eval::EvalArgs),
    /// List every activation with its parameters, defaults and formula.
    List,
    /// Train the digit classifier (`train cnn`) or the GAN (`train gan`) on MNIST digits.
    Train(train::TrainArgs),
    /// Draw digits from a trained generator into a PNG grid.
    Sample(sample::SampleArgs),
    /// Classify pictures of digits with a trained classifier.
    Classify(classify::ClassifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(args) => eval::run(&args),
        Command::List => list::run(),
        Command::Train(args) => train::run(&args),
        Command::Sample(args) => sample::run(&args),
        Command::Classify(args) => classify::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("leaky: error: {err}");
            err.exit_code()
        }
    }
}
