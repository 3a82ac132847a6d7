//! `leaky accuracy SPEC`: the `f32` kernels' error against the definition evaluated in `f64`:
//! max and mean ULP and the worst input, over a dense sample or all 2^32 inputs.

use std::io::{self, Write};
use std::time::Instant;

use clap::{Args, ValueEnum};
use leaky::Activation;
use leaky::accuracy::{self, Direction, Inputs, Report};
use leaky::kernels::{self, Tier};

use crate::error::CliError;

/// Arguments of `leaky accuracy`.
#[derive(Args, Debug)]
pub struct AccuracyArgs {
    /// The activation, e.g. `sigmoid`, `tanh`, `leaky_relu:alpha=0.2`.
    #[arg(value_name = "SPEC")]
    activation: Activation,
    /// Walk all 2^32 f32 bit patterns (minutes, on every core) instead of a sample.
    #[arg(long)]
    exhaustive: bool,
    /// How many inputs the sample holds (without --exhaustive).
    #[arg(long, default_value_t = 1 << 24, conflicts_with = "exhaustive")]
    samples: u64,
    /// What to compare: the forward, the derivative (backward with a gradient of 1), or both.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    direction: Which,
    /// The kernel tier to check (default: the best this processor has); `all` checks each.
    #[arg(long, value_name = "TIER|all")]
    tier: Option<String>,
    /// Threads (default: every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

/// The directions of `--direction`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Which {
    /// f(x).
    Forward,
    /// f'(x).
    Derivative,
    /// Both.
    Both,
}

/// Runs `leaky accuracy`.
pub fn run(args: &AccuracyArgs) -> Result<(), CliError> {
    if let Some(n) = args.threads {
        kernels::set_threads(Some(n))?;
    }
    let tiers = match args.tier.as_deref() {
        None => vec![Tier::current()?],
        Some("all") => Tier::available(),
        Some(name) => vec![name.parse::<Tier>()?],
    };
    let directions: &[Direction] = match args.direction {
        Which::Forward => &[Direction::Forward],
        Which::Derivative => &[Direction::Derivative],
        Which::Both => &[Direction::Forward, Direction::Derivative],
    };
    if args.samples == 0 {
        return Err(CliError::Usage("--samples must be at least 1".into()));
    }
    let inputs = if args.exhaustive {
        Inputs::Exhaustive
    } else {
        Inputs::Sample(args.samples)
    };
    let stdout = io::stdout();
    for tier in tiers {
        for &direction in directions {
            let started = Instant::now();
            let report = kernels::with_tier(tier, || {
                accuracy::sweep_f32(&args.activation, direction, inputs)
            })??;
            let seconds = started.elapsed().as_secs_f64();
            let mut out = stdout.lock();
            if args.json {
                writeln!(out, "{}", json(&report, args.exhaustive, seconds))?;
            } else {
                writeln!(out, "{}", text(&report, args.exhaustive, seconds))?;
            }
            out.flush()?;
        }
    }
    Ok(())
}

fn text(r: &Report, exhaustive: bool, seconds: f64) -> String {
    format!(
        "{} {} (f32, tier {}): {} inputs{}, max {:.3} ULP, mean {:.4} ULP, {} not correctly rounded; worst x = {:e} ({:#010x}): got {:e}, reference {:e} [{seconds:.1} s]",
        r.activation,
        r.direction.name(),
        r.tier,
        r.inputs,
        if exhaustive { " (all)" } else { " (sample)" },
        r.max_ulp,
        r.mean_ulp,
        r.not_correctly_rounded,
        r.worst_input,
        r.worst_input.to_bits(),
        r.worst_output,
        r.worst_reference,
    )
}

fn json(r: &Report, exhaustive: bool, seconds: f64) -> String {
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v:e}")
        } else {
            format!("\"{v}\"")
        }
    };
    format!(
        "{{\"activation\":\"{}\",\"direction\":\"{}\",\"dtype\":\"f32\",\"tier\":\"{}\",\"exhaustive\":{exhaustive},\"inputs\":{},\"max_ulp\":{},\"mean_ulp\":{},\"not_correctly_rounded\":{},\"worst_input_bits\":{},\"worst_input\":{},\"worst_output\":{},\"worst_reference\":{},\"seconds\":{seconds:.2}}}",
        r.activation,
        r.direction.name(),
        r.tier,
        r.inputs,
        num(r.max_ulp),
        num(r.mean_ulp),
        r.not_correctly_rounded,
        r.worst_input.to_bits(),
        num(f64::from(r.worst_input)),
        num(f64::from(r.worst_output)),
        num(r.worst_reference),
    )
}
