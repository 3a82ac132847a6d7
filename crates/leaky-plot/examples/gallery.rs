//! Writes sample figures (the article's plot, four activations with a legend, a function beside
//! its derivative, a histogram) as PNG and SVG into a directory, and previews one in the terminal.
//!
//! `cargo run -p leaky-plot --example gallery -- /tmp/gallery`

use leaky_plot::{Chart, Figure, Series};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir)?;
    let leaky_relu = |x: f64| if x > 0.0 { x } else { 0.01 * x };
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let gelu = |x: f64| 0.5 * x * (1.0 + (0.797_884_560_8 * (x + 0.044_715 * x.powi(3))).tanh());

    let article = Figure::from(
        Chart::new("Leaky ReLU Activation Function", "x", "f(x)")
            .with_series(Series::from_fn("", -2.0, 2.0, 100, leaky_relu)),
    );
    let several = Figure::from(
        Chart::new("Activation functions", "x", "f(x)")
            .with_series(Series::from_fn("leaky_relu(α=0.1)", -3.0, 3.0, 200, |x| {
                if x > 0.0 { x } else { 0.1 * x }
            }))
            .with_series(Series::from_fn("sigmoid", -3.0, 3.0, 200, sigmoid))
            .with_series(Series::from_fn("tanh", -3.0, 3.0, 200, f64::tanh))
            .with_series(Series::from_fn("gelu", -3.0, 3.0, 200, gelu)),
    );
    let derivative = Figure::new(vec![
        Chart::new("Leaky ReLU (α=0.01)", "x", "f(x)")
            .with_series(Series::from_fn("", -2.0, 2.0, 401, leaky_relu)),
        Chart::new("Derivative", "x", "f′(x)").with_series(Series::from_fn(
            "",
            -2.0,
            2.0,
            401,
            |x| if x > 0.0 { 1.0 } else { 0.01 },
        )),
    ]);
    let samples: Vec<f64> = (0..10_000)
        .map(|i| {
            // A deterministic bell shape: the sum of four evenly spread sequences.
            (1..=4)
                .map(|k| ((i * (2 * k + 1)) % 997) as f64 / 997.0)
                .sum::<f64>()
                - 2.0
        })
        .collect();
    let histogram = Figure::from(
        Chart::new("Pre-activations", "value", "count")
            .with_series(Series::histogram("layer 1", &samples, 30)?),
    );
    let mut hidpi = article.clone();
    hidpi.scale = 2.0;

    for (name, figure) in [
        ("article", &article),
        ("several", &several),
        ("derivative", &derivative),
        ("histogram", &histogram),
        ("article@2x", &hidpi),
    ] {
        figure.save(dir.join(format!("{name}.png")))?;
        figure.save(dir.join(format!("{name}.svg")))?;
    }
    if std::env::var_os("NO_TERM").is_none() {
        println!("{}", article.to_terminal(72, 20)?);
        println!("{}", several.to_terminal(72, 20)?);
        println!("{}", derivative.to_terminal(100, 16)?);
        println!("{}", histogram.to_terminal(60, 14)?);
    }
    Ok(())
}
