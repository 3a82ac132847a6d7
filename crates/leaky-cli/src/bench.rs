//! `leaky bench`: throughput of the slice kernels per activation, direction and size, beside a
//! plain memory copy of the same size measured in the same run.
//!
//! Buffers are allocated and written (so every page is touched) before timing. Each case runs
//! once to warm up, then in timed samples until `--min-time` has passed (at least 5 samples); a
//! sample of a small size times a batch of calls. The best sample gives the figures (the median
//! is in the JSON): on a shared machine the best is the least disturbed.

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use leaky::kernels::{self, Tier};
use leaky::{Activation, Float};

use crate::error::CliError;

/// Arguments of `leaky bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The activations to measure (default: leaky_relu, relu, sigmoid, tanh).
    #[arg(value_name = "SPEC")]
    activations: Vec<Activation>,
    /// Force a kernel tier (default: the best this processor has).
    #[arg(long, value_name = "TIER")]
    tier: Option<Tier>,
    /// Threads per call (1: none besides the caller; default: every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Sizes in elements, e.g. `4Ki,256Ki,4Mi,64Mi` (suffixes Ki, Mi; plain numbers too).
    #[arg(long, value_delimiter = ',', value_parser = parse_size)]
    sizes: Vec<usize>,
    /// Which directions to measure.
    #[arg(long, value_enum, value_delimiter = ',')]
    directions: Vec<Direction>,
    /// Which float types to measure.
    #[arg(long, value_enum, value_delimiter = ',')]
    dtypes: Vec<Dtype>,
    /// Minimum time per case, in seconds.
    #[arg(long, default_value_t = 0.25)]
    min_time: f64,
    /// Fewer sizes (no 64Mi) and shorter runs.
    #[arg(long)]
    quick: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// `y = f(x)` into a separate buffer.
    Forward,
    /// `x = f(x)`.
    InPlace,
    /// `grad_in = grad_out · f'(x)`, from the input.
    Backward,
    /// `grad_in = grad_out · f'(x)`, from the output `y = f(x)` (as PyTorch's sigmoid and tanh
    /// backward), for the activations whose output tells their derivative.
    FromOutput,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::InPlace => "forward_in_place",
            Direction::Backward => "backward",
            Direction::FromOutput => "backward_from_output",
        }
    }

    /// Buffers read and written per element.
    fn streams(self) -> usize {
        match self {
            Direction::Forward | Direction::InPlace => 2,
            Direction::Backward | Direction::FromOutput => 3,
        }
    }
}

/// The float types of `--dtypes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
}

fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = if let Some(d) = t.strip_suffix("Ki") {
        (d, 1 << 10)
    } else if let Some(d) = t.strip_suffix("Mi") {
        (d, 1 << 20)
    } else if let Some(d) = t.strip_suffix("Gi") {
        (d, 1 << 30)
    } else {
        (t, 1)
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 4Ki, 256Ki, 4Mi, 1000)"))?;
    match n.checked_mul(unit) {
        Some(v) if v >= 1 => Ok(v),
        _ => Err(format!(
            "'{text}': the size must be at least 1 and fit in memory"
        )),
    }
}

/// One measured case.
struct Record {
    activation: String,
    direction: &'static str,
    dtype: &'static str,
    elements: usize,
    best: Duration,
    median: Duration,
    bytes: usize,
    copy_best: Duration,
}

impl Record {
    fn gelem_per_s(&self) -> f64 {
        self.elements as f64 / self.best.as_secs_f64() / 1e9
    }
    fn gb_per_s(&self) -> f64 {
        self.bytes as f64 / self.best.as_secs_f64() / 1e9
    }
    fn vs_copy(&self) -> f64 {
        self.copy_best.as_secs_f64() / self.best.as_secs_f64()
    }
}

/// Runs `leaky bench`.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    if let Some(tier) = args.tier {
        kernels::set_tier(Some(tier))?;
    }
    if let Some(threads) = args.threads {
        kernels::set_threads(Some(threads))?;
    }
    let tier = Tier::current()?;
    let threads = kernels::threads()?;
    let activations = if args.activations.is_empty() {
        vec![
            Activation::DEFAULT,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
        ]
    } else {
        args.activations.clone()
    };
    let sizes = if !args.sizes.is_empty() {
        args.sizes.clone()
    } else if args.quick {
        vec![4 << 10, 256 << 10, 4 << 20]
    } else {
        vec![4 << 10, 256 << 10, 4 << 20, 64 << 20]
    };
    let directions = if args.directions.is_empty() {
        vec![
            Direction::Forward,
            Direction::InPlace,
            Direction::Backward,
            Direction::FromOutput,
        ]
    } else {
        args.directions.clone()
    };
    let dtypes = if args.dtypes.is_empty() {
        vec![Dtype::F32, Dtype::F64]
    } else {
        args.dtypes.clone()
    };
    if !(args.min_time.is_finite() && args.min_time > 0.0) {
        return Err(CliError::Usage(format!(
            "--min-time must be a positive number of seconds, got {}",
            args.min_time
        )));
    }
    let min_time = Duration::from_secs_f64(if args.quick {
        args.min_time.min(0.05)
    } else {
        args.min_time
    });
    if directions.contains(&Direction::FromOutput) {
        for act in &activations {
            if let Err(why) = act.check_backward_from_output() {
                eprintln!("leaky bench: no backward from the output for {why}");
            }
        }
    }
    let plan = Cases {
        activations: &activations,
        directions: &directions,
        min_time,
    };
    let mut records = Vec::new();
    for &dtype in &dtypes {
        for &n in &sizes {
            match dtype {
                Dtype::F32 => plan.run_size::<f32>(n, &mut records)?,
                Dtype::F64 => plan.run_size::<f64>(n, &mut records)?,
            }
            if !args.json {
                eprint!(".");
            }
        }
    }
    if !args.json {
        eprintln!();
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.json {
        write_json(&mut out, tier, threads, &records)?;
    } else {
        write_table(&mut out, tier, threads, &records)?;
    }
    out.flush()?;
    Ok(())
}

struct Cases<'a> {
    activations: &'a [Activation],
    directions: &'a [Direction],
    min_time: Duration,
}

impl Cases<'_> {
    fn run_size<T: Float>(&self, n: usize, records: &mut Vec<Record>) -> Result<(), CliError> {
        let size = size_of::<T>();
        let x = fill::<T>(n, 1);
        let g = fill::<T>(n, 2);
        let mut y = fill::<T>(n, 3);
        let mut work = x.clone();
        let copy = measure(self.min_time, || {
            kernels::copy(black_box(&x), black_box(&mut y)).expect("same lengths")
        });
        records.push(Record {
            activation: "copy".into(),
            direction: "copy",
            dtype: T::NAME,
            elements: n,
            best: copy.0,
            median: copy.1,
            bytes: 2 * n * size,
            copy_best: copy.0,
        });
        for act in self.activations {
            for &dir in self.directions {
                let (best, median) = match dir {
                    Direction::Forward => {
                        act.forward_slice(&x, &mut y)?;
                        measure(self.min_time, || {
                            act.forward_slice(black_box(&x), black_box(&mut y))
                                .expect("checked above")
                        })
                    }
                    Direction::Backward => {
                        act.backward(&x, &g, &mut y)?;
                        measure(self.min_time, || {
                            act.backward(black_box(&x), black_box(&g), black_box(&mut y))
                                .expect("checked above")
                        })
                    }
                    Direction::FromOutput => {
                        if act.check_backward_from_output().is_err() {
                            continue; // said once, before the measurements
                        }
                        act.forward_slice(&x, &mut work)?;
                        act.backward_from_output(&work, &g, &mut y)?;
                        let fx = &work;
                        measure(self.min_time, || {
                            act.backward_from_output(
                                black_box(fx),
                                black_box(&g),
                                black_box(&mut y),
                            )
                            .expect("checked above")
                        })
                    }
                    Direction::InPlace => {
                        act.forward_in_place(&mut work)?;
                        // Repeated application would drift (LeakyReLU shrinks negatives by α
                        // each time, into the subnormals): the input is restored, untimed,
                        // before each batch of at most 8 calls.
                        measure_with_restore(self.min_time, |step| match step {
                            Step::Restore => work.copy_from_slice(&x),
                            Step::Run => act
                                .forward_in_place(black_box(&mut work))
                                .expect("checked above"),
                        })
                    }
                };
                records.push(Record {
                    activation: act.to_string(),
                    direction: dir.name(),
                    dtype: T::NAME,
                    elements: n,
                    best,
                    median,
                    bytes: dir.streams() * n * size,
                    copy_best: copy.0,
                });
            }
        }
        Ok(())
    }
}

/// Deterministic inputs in [-8, 8), every element written (so every page is touched).
fn fill<T: Float>(n: usize, seed: u64) -> Vec<T> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ seed.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            T::from_f64((state >> 11) as f64 / (1u64 << 53) as f64 * 16.0 - 8.0)
        })
        .collect()
}

/// Times `op`: the best and the median per call, over samples of batches of calls.
fn measure(min_time: Duration, mut op: impl FnMut()) -> (Duration, Duration) {
    sample(min_time, 4096, |step| {
        if step == Step::Run {
            op()
        }
    })
}

/// What [`measure_with_restore`] asks its closure to do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Put the input back (untimed).
    Restore,
    /// One call of the operation (timed).
    Run,
}

/// As [`measure`], with `Step::Restore` before each batch, and batches of at most 8 calls.
fn measure_with_restore(min_time: Duration, step: impl FnMut(Step)) -> (Duration, Duration) {
    sample(min_time, 8, step)
}

/// Runs batches of at most `max_batch` calls, each after a `Step::Restore`, for `min_time`.
fn sample(min_time: Duration, max_batch: u128, mut step: impl FnMut(Step)) -> (Duration, Duration) {
    // Warm up, and size the batches so that a sample lasts at least about 50 µs.
    step(Step::Restore);
    let start = Instant::now();
    step(Step::Run);
    let once = start.elapsed().max(Duration::from_nanos(20));
    let batch = (Duration::from_micros(50).as_nanos() / once.as_nanos()).clamp(1, max_batch) as u32;
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 5 || (started.elapsed() < min_time && samples.len() < 100_000) {
        step(Step::Restore);
        let t = Instant::now();
        for _ in 0..batch {
            step(Step::Run);
        }
        samples.push(t.elapsed() / batch);
    }
    samples.sort_unstable();
    (samples[0], samples[samples.len() / 2])
}

fn size_name(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{}Mi", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{}Ki", n >> 10)
    } else {
        n.to_string()
    }
}

/// The processor's model name (`model name` in `/proc/cpuinfo`), so that figures from different
/// machines are never mixed up; `unknown CPU` where the system does not say.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn write_table(
    out: &mut impl Write,
    tier: Tier,
    threads: usize,
    records: &[Record],
) -> Result<(), CliError> {
    writeln!(
        out,
        "leaky bench: {}, tier {tier}, {threads} thread(s); best of the samples; ×copy = copy time / op time",
        cpu_model()
    )?;
    writeln!(
        out,
        "{:<24} {:<20} {:<5} {:>6} {:>9} {:>8} {:>7}",
        "activation", "direction", "dtype", "size", "Gelem/s", "GB/s", "×copy"
    )?;
    for r in records {
        writeln!(
            out,
            "{:<24} {:<20} {:<5} {:>6} {:>9.2} {:>8.1} {:>7.2}",
            r.activation,
            r.direction,
            r.dtype,
            size_name(r.elements),
            r.gelem_per_s(),
            r.gb_per_s(),
            r.vs_copy()
        )?;
    }
    Ok(())
}

fn write_json(
    out: &mut impl Write,
    tier: Tier,
    threads: usize,
    records: &[Record],
) -> Result<(), CliError> {
    let cpu = cpu_model().replace('\\', "\\\\").replace('"', "\\\"");
    write!(
        out,
        "{{\"cpu\":\"{cpu}\",\"tier\":\"{tier}\",\"threads\":{threads},\"results\":["
    )?;
    for (i, r) in records.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        write!(
            out,
            "{sep}{{\"activation\":\"{}\",\"direction\":\"{}\",\"dtype\":\"{}\",\"elements\":{},\"best_s\":{:e},\"median_s\":{:e},\"gelem_per_s\":{:.4},\"gb_per_s\":{:.3},\"vs_copy\":{:.4}}}",
            r.activation,
            r.direction,
            r.dtype,
            r.elements,
            r.best.as_secs_f64(),
            r.median.as_secs_f64(),
            r.gelem_per_s(),
            r.gb_per_s(),
            r.vs_copy()
        )?;
    }
    writeln!(out, "]}}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4Ki"), Ok(4096));
        assert_eq!(parse_size("256Ki"), Ok(256 << 10));
        assert_eq!(parse_size("64Mi"), Ok(64 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("4k").is_err());
        assert_eq!(size_name(4 << 20), "4Mi");
        assert_eq!(size_name(1000), "1000");
    }

    #[test]
    fn measure_reports_best_no_worse_than_median() {
        let mut n = 0u64;
        let (best, median) = measure(Duration::from_millis(5), || {
            n = black_box(n + 1);
        });
        assert!(best <= median);
    }
}
