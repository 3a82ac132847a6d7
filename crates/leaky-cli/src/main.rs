//! The `leaky` command: plot, evaluate, list and measure activation functions, and train networks
//! that use them.
//!
//! Arguments are parsed by clap (usage errors exit with code 2), then each command runs and
//! returns a [`CliError`] on failure, printed as one line on standard error.

mod accuracy;
mod allocator;
mod bench;
mod checkpoints;
mod classify;
mod compare;
mod curves;
mod diagnose;
mod error;
mod eval;
mod list;
mod output;
mod plot;
mod progress;
mod range;
mod sample;
mod step_plots;
mod train;
mod workers;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Activation functions for neural networks: plot, evaluate, list and measure them, and train networks with them.
#[derive(Parser, Debug)]
#[command(name = "leaky", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Draw activations (by default the article's LeakyReLU figure) to PNG, SVG or the terminal.
    Plot(plot::PlotArgs),
    /// Measure the f32 kernels' error in ULP against the definition in f64.
    Accuracy(accuracy::AccuracyArgs),
    /// Measure the kernels' throughput beside a memory copy of the same size.
    Bench(bench::BenchArgs),
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
    /// Train the same CNN with several activations and seeds, and compare accuracy and dead units.
    Compare(compare::CompareArgs),
    /// Report a trained classifier's dead units, pre-activations and gradients, layer by layer.
    Diagnose(diagnose::DiagnoseArgs),
}

/// candle's element-wise ops share their work through a pool of their own whose threads spin
/// while they wait; at a training batch's tensor sizes that costs more than it saves (an epoch
/// of the CNN took 10.3 s with two such threads, 6.1 s with one), and leaky's own layer ops
/// divide their work between rayon's threads instead. Set before any thread starts; an
/// explicit `CANDLE_NUM_THREADS` in the environment wins.
fn single_threaded_candle_elementwise() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: called first thing in `main`, before this process starts any thread.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

fn main() -> ExitCode {
    single_threaded_candle_elementwise();
    allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plot(args) => plot::run(&args),
        Command::Accuracy(args) => accuracy::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::List => list::run(),
        Command::Train(args) => train::run(&args),
        Command::Sample(args) => sample::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Diagnose(args) => diagnose::run(&args),
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
