//! `leaky eval SPEC`: f(x) and f'(x) for given inputs, as CSV (`x,y,dy`) or JSON.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::str::FromStr;

use clap::{Args, ValueEnum};
use leaky::{Activation, Float};

use leaky_show::range::linspace;
use leaky_show::shown;
use leaky_show::table::Table;

use crate::error::CliError;

/// Arguments of `leaky eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The activation, e.g. `leaky_relu`, `leaky_relu:alpha=0.2`, `LeakyReLU`, `tanh`.
    #[arg(value_name = "SPEC")]
    activation: Activation,
    /// Comma-separated inputs, e.g. `--x -1,0,2.5` (NaN, inf, -inf accepted).
    #[arg(long = "x", value_name = "X,...", allow_hyphen_values = true, conflicts_with_all = ["from", "to", "points"])]
    xs: Option<String>,
    /// Evenly spaced inputs from this value (with --to)...
    #[arg(long, allow_hyphen_values = true, requires = "to")]
    from: Option<f64>,
    /// ...to this value, inclusive (with --from).
    #[arg(long, allow_hyphen_values = true, requires = "from")]
    to: Option<f64>,
    /// How many evenly spaced inputs (with --from/--to).
    #[arg(long, default_value_t = 100, requires = "from")]
    points: usize,
    /// The float type to compute in.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    dtype: Dtype,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
}

/// The float type of `--dtype`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Dtype {
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

/// The output format of `--format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// `x,y,dy` with a header line.
    Csv,
    /// `{"activation": ..., "dtype": ..., "points": [{"x": ..., "y": ..., "dy": ...}, ...]}`.
    Json,
}

/// Runs `leaky eval`.
pub fn run(args: &EvalArgs) -> Result<(), CliError> {
    match args.dtype {
        Dtype::F32 => eval_as::<f32>(args),
        Dtype::F64 => eval_as::<f64>(args),
    }
}

fn eval_as<T: Float + FromStr>(args: &EvalArgs) -> Result<(), CliError> {
    let xs: Vec<T> = if let Some(list) = &args.xs {
        parse_list(list)?
    } else if let (Some(from), Some(to)) = (args.from, args.to) {
        linspace(from, to, args.points)?
            .into_iter()
            .map(T::from_f64)
            .collect()
    } else {
        read_stdin()?
    };
    let table = Table::new(&args.activation, &xs)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Csv => table.write_csv(&mut out)?,
        Format::Json => table.write_json(&mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn parse_list<T: FromStr>(list: &str) -> Result<Vec<T>, CliError> {
    list.split(',')
        .map(|item| {
            let item = item.trim();
            item.parse()
                .map_err(|_| CliError::Usage(format!("--x: '{}' is not a number", shown(item))))
        })
        .collect()
}

/// One number per line; blank lines skipped; the first bad line (not a number, or not UTF-8
/// text) is reported by number.
fn read_stdin<T: FromStr>() -> Result<Vec<T>, CliError> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::Usage(
            "no input: give --x X,..., or --from A --to B [--points N], or pipe one number per line on standard input".into(),
        ));
    }
    parse_lines(stdin.lock())
}

/// The numbers of `input`, one per line, as [`read_stdin`] reads them.
fn parse_lines<T: FromStr>(input: impl BufRead) -> Result<Vec<T>, CliError> {
    let mut xs = Vec::new();
    for (index, line) in input.split(b'\n').enumerate() {
        let line =
            line.map_err(|e| CliError::Failure(format!("cannot read standard input: {e}")))?;
        let bad_line =
            |what: String| CliError::Usage(format!("standard input, line {}: {what}", index + 1));
        let text = std::str::from_utf8(&line)
            .map_err(|_| bad_line("not UTF-8 text".into()))?
            .trim();
        if text.is_empty() {
            continue;
        }
        let x = text
            .parse()
            .map_err(|_| bad_line(format!("'{}' is not a number", shown(text))))?;
        xs.push(x);
    }
    if xs.is_empty() {
        return Err(CliError::Usage("standard input holds no numbers".into()));
    }
    Ok(xs)
}
