//! The `leaky` command: plot, evaluate, list and measure activation functions, and train networks
//! that use them.
//!
//! Arguments are parsed by clap (usage errors exit with code 2), then each command runs and
//! returns a [`CliError`] on failure, printed as one line on standard error.

mod accuracy;
mod allocator;
mod bench;
#[cfg(feature = "networks")]
mod checkpoints;
#[cfg(feature = "networks")]
mod classify;
#[cfg(feature = "networks")]
mod cnn_options;
#[cfg(feature = "networks")]
mod compare;
#[cfg(feature = "networks")]
mod curves;
#[cfg(feature = "networks")]
mod diagnose;
mod error;
mod eval;
#[cfg(not(all(feature = "networks", feature = "serve")))]
mod left_out;
mod list;
mod plot;
#[cfg(feature = "networks")]
mod progress;
#[cfg(feature = "networks")]
mod sample;
#[cfg(feature = "serve")]
mod serve;
#[cfg(feature = "networks")]
mod step_plots;
#[cfg(feature = "networks")]
mod train;
#[cfg(feature = "networks")]
mod values;
#[cfg(feature = "networks")]
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
    #[cfg(feature = "networks")]
    Train(train::TrainArgs),
    /// Draw digits from a trained generator into a PNG grid.
    #[cfg(feature = "networks")]
    Sample(sample::SampleArgs),
    /// Classify pictures of digits with a trained classifier.
    #[cfg(feature = "networks")]
    Classify(classify::ClassifyArgs),
    /// Train the same CNN with several activations and seeds, and compare accuracy and dead units.
    #[cfg(feature = "networks")]
    Compare(compare::CompareArgs),
    /// Report a trained classifier's dead units, pre-activations and gradients, layer by layer.
    #[cfg(feature = "networks")]
    Diagnose(diagnose::DiagnoseArgs),
    /// Train networks (not in this build: it was built without the `networks` feature).
    #[cfg(not(feature = "networks"))]
    Train(left_out::Args),
    /// Draw digits from a generator (not in this build: no `networks` feature).
    #[cfg(not(feature = "networks"))]
    Sample(left_out::Args),
    /// Classify digits (not in this build: no `networks` feature).
    #[cfg(not(feature = "networks"))]
    Classify(left_out::Args),
    /// Compare activations on a network (not in this build: no `networks` feature).
    #[cfg(not(feature = "networks"))]
    Compare(left_out::Args),
    /// Diagnose a classifier (not in this build: no `networks` feature).
    #[cfg(not(feature = "networks"))]
    Diagnose(left_out::Args),
    /// Explore activations in a web page on this machine (prints the URL).
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// Explore activations in a web page (not in this build: no `serve` feature).
    #[cfg(not(feature = "serve"))]
    Serve(left_out::Args),
}

/// candle's element-wise ops share their work through a pool of their own whose threads spin
/// while they wait; at a training batch's tensor sizes that costs more than it saves (an epoch
/// of the CNN took 10.3 s with two such threads, 6.1 s with one), and leaky's own layer ops
/// divide their work between rayon's threads instead. Set before any thread starts; an
/// explicit `CANDLE_NUM_THREADS` in the environment wins.
#[cfg(feature = "networks")]
fn single_threaded_candle_elementwise() {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: called first thing in `main`, before this process starts any thread.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

impl Command {
    /// Whether the command trains or runs networks: on a thread of rayon's pool
    /// ([`on_rayon_pool`]), with the allocator set for training ([`allocator`]).
    fn runs_networks(&self) -> bool {
        cfg!(feature = "networks")
            && matches!(
                self,
                Command::Train(_)
                    | Command::Sample(_)
                    | Command::Classify(_)
                    | Command::Compare(_)
                    | Command::Diagnose(_)
            )
    }
}

/// The stack of the thread that runs a network command: the main thread's usual 8 MiB.
#[cfg(feature = "networks")]
const COMMAND_STACK: usize = 8 << 20;

/// Runs a network command on a thread of rayon's pool. leaky's layer ops split a batch between
/// the pool's threads: called from a thread outside the pool, every op hands its work over and
/// sleeps until it is done (a wake-up and a wait per op, thousands per epoch); on a pool thread
/// an op starts on the calling thread at once, and with one thread (`RAYON_NUM_THREADS=1`, as
/// `compare` gives its workers) it runs without any hand-off.
#[cfg(feature = "networks")]
fn on_rayon_pool(command: impl FnOnce() -> Result<(), CliError> + Send) -> Result<(), CliError> {
    rayon::ThreadPoolBuilder::new()
        .stack_size(COMMAND_STACK)
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the training threads: {e}")))?
        .install(command)
}

fn main() -> ExitCode {
    #[cfg(feature = "networks")]
    single_threaded_candle_elementwise();
    let cli = Cli::parse();
    if cli.command.runs_networks() {
        allocator::keep_freed_memory();
    }
    let result = match cli.command {
        Command::Plot(args) => plot::run(&args),
        Command::Accuracy(args) => accuracy::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::List => list::run(),
        #[cfg(feature = "networks")]
        Command::Train(args) => on_rayon_pool(|| train::run(&args)),
        #[cfg(feature = "networks")]
        Command::Sample(args) => on_rayon_pool(|| sample::run(&args)),
        #[cfg(feature = "networks")]
        Command::Classify(args) => on_rayon_pool(|| classify::run(&args)),
        #[cfg(feature = "networks")]
        Command::Compare(args) => on_rayon_pool(|| compare::run(&args)),
        #[cfg(feature = "networks")]
        Command::Diagnose(args) => on_rayon_pool(|| diagnose::run(&args)),
        #[cfg(not(feature = "networks"))]
        Command::Train(_) => left_out::missing("train", "the networks"),
        #[cfg(not(feature = "networks"))]
        Command::Sample(_) => left_out::missing("sample", "the networks"),
        #[cfg(not(feature = "networks"))]
        Command::Classify(_) => left_out::missing("classify", "the networks"),
        #[cfg(not(feature = "networks"))]
        Command::Compare(_) => left_out::missing("compare", "the networks"),
        #[cfg(not(feature = "networks"))]
        Command::Diagnose(_) => left_out::missing("diagnose", "the networks"),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(&args),
        #[cfg(not(feature = "serve"))]
        Command::Serve(_) => left_out::missing("serve", "the web server"),
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
