//! `leaky plot [SPEC...]`: draws activations (and with `--derivative`, their derivatives beside
//! them) to a PNG or SVG file, or as text on standard output. With no arguments it writes the
//! seed article's figure, LeakyReLU (α = 0.01) on [-2, 2], to `leaky_relu.png`.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use leaky::Activation;
use leaky_plot::PlotError;
use leaky_show::figure::FigureSpec;

use crate::error::CliError;

/// Arguments of `leaky plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Activations to draw on one chart, e.g. `relu leaky_relu:alpha=0.1 sigmoid tanh`.
    #[arg(value_name = "SPEC", default_value = "leaky_relu")]
    activations: Vec<Activation>,
    /// Also draw the derivatives f'(x), in a second panel beside f(x).
    #[arg(long, short = 'd')]
    derivative: bool,
    /// The smallest x.
    #[arg(long, default_value_t = -2.0, allow_hyphen_values = true)]
    from: f64,
    /// The largest x.
    #[arg(long, default_value_t = 2.0, allow_hyphen_values = true)]
    to: f64,
    /// How many evenly spaced x, ends included.
    #[arg(long, default_value_t = 100)]
    points: usize,
    /// The file to write; `.png` or `.svg` picks the format. Default: leaky_relu.png, or
    /// nothing with --terminal.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Figure width in pixels (default 640 per panel).
    #[arg(long)]
    width: Option<u32>,
    /// Figure height in pixels.
    #[arg(long, default_value_t = 480)]
    height: u32,
    /// Chart title (default: "Leaky ReLU Activation Function" for the article's activation).
    #[arg(long)]
    title: Option<String>,
    /// x-axis label.
    #[arg(long, default_value = "x")]
    xlabel: String,
    /// y-axis label (of the f(x) panel).
    #[arg(long, default_value = "f(x)")]
    ylabel: String,
    /// Print a text chart on standard output instead of writing a file (unless -o is given too).
    #[arg(long)]
    terminal: bool,
}

/// Runs `leaky plot`.
pub fn run(args: &PlotArgs) -> Result<(), CliError> {
    let figure = FigureSpec {
        activations: args.activations.clone(),
        derivative: args.derivative,
        from: args.from,
        to: args.to,
        points: args.points,
        width: args.width,
        height: args.height,
        title: args.title.clone(),
        xlabel: args.xlabel.clone(),
        ylabel: args.ylabel.clone(),
    }
    .figure()?;
    if args.terminal {
        let text = figure.to_terminal(100, 30).map_err(plot_error)?;
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    let output = match (&args.output, args.terminal) {
        (Some(path), _) => Some(path.clone()),
        (None, false) => Some(PathBuf::from("leaky_relu.png")),
        (None, true) => None,
    };
    if let Some(path) = output {
        figure.save(&path).map_err(plot_error)?;
        writeln!(io::stdout(), "{}", path.display())?;
    }
    Ok(())
}

/// A bad size or file name is the user's to fix (exit 2); a failed write is not (exit 1).
fn plot_error(err: PlotError) -> CliError {
    match err {
        PlotError::Io { .. } | PlotError::Render(_) => CliError::Failure(err.to_string()),
        _ => CliError::Usage(err.to_string()),
    }
}
