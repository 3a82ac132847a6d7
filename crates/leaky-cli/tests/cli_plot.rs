//! `leaky plot`: the article's figure by default, the options, and the errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leaky-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn leaky_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leaky"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the leaky binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_error(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The numbers in an SVG path's `d` attribute, as (x, y) pixel pairs.
fn path_points(d: &str) -> Vec<(f64, f64)> {
    d.split(['M', 'L'])
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let mut it = pair.split(' ').map(|v| v.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect()
}

/// The x pixel of the x-axis tick label with this text.
fn x_tick(svg: &str, label: &str) -> f64 {
    let line = svg
        .lines()
        .find(|l| l.contains(&format!("text-anchor=\"middle\">{label}<")))
        .unwrap_or_else(|| panic!("no tick label {label}"));
    let start = line.find("x=\"").unwrap() + 3;
    line[start..].split('"').next().unwrap().parse().unwrap()
}

/// The y pixels of the y-axis tick marks (`M{x} {y}h-{len}` segments), bottom to top.
fn y_ticks(svg: &str) -> Vec<f64> {
    let marks = svg.lines().find(|l| l.contains("h-")).expect("tick marks");
    let d = marks.split(" d=\"").nth(1).unwrap();
    d.split('M')
        .filter(|seg| seg.contains('h'))
        .map(|seg| {
            seg.split(' ')
                .nth(1)
                .unwrap()
                .split('h')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn plot_with_no_arguments_writes_the_articles_figure() {
    let dir = scratch("default");
    let o = leaky_in(&dir, &["plot"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "leaky_relu.png");
    let png = std::fs::read(dir.join("leaky_relu.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // The PNG's size is in its IHDR chunk: 640x480, matplotlib's default.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 640);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 480);
}

#[test]
fn the_default_figure_has_the_articles_title_labels_points_and_range() {
    let dir = scratch("svg");
    let o = leaky_in(&dir, &["plot", "-o", "figure.svg"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(dir.join("figure.svg")).unwrap();
    assert!(svg.contains(">Leaky ReLU Activation Function<"));
    assert!(svg.contains("text-anchor=\"middle\">x<"));
    assert!(svg.contains(">f(x)<"));
    let curve = svg
        .lines()
        .find(|l| l.contains("stroke=\"#1f77b4\""))
        .expect("one data line in the first colour");
    let d = curve
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let points = path_points(d);
    assert_eq!(points.len(), 100, "the article's np.linspace(-2, 2, 100)");
    // The line runs from the −2.0 tick to the 2.0 tick.
    let (left, right) = (points[0], points[99]);
    assert!((left.0 - x_tick(&svg, "−2.0")).abs() < 1.0);
    assert!((right.0 - x_tick(&svg, "2.0")).abs() < 1.0);
    // The y ticks are 0.00, 0.25, ..., 2.00: f(2) = 2 sits on the last, and with α = 0.01
    // f(-2) = -0.02 sits just below the first (ReLU would sit on it, α = 1 far below).
    for label in ["0.00", "0.25", "1.00", "2.00"] {
        assert!(svg.contains(&format!(">{label}<")), "tick {label}");
    }
    let ticks = y_ticks(&svg);
    assert_eq!(ticks.len(), 9, "{ticks:?}");
    let per_unit = (ticks[0] - ticks[8]) / 2.0;
    assert!((right.1 - ticks[8]).abs() < 1.0, "{right:?} vs {ticks:?}");
    let f_minus_two = (ticks[0] - left.1) / per_unit;
    assert!(
        (f_minus_two + 0.02).abs() < 0.005,
        "f(-2) drawn at {f_minus_two}"
    );
}

#[test]
fn plot_options_several_activations_and_derivatives() {
    let dir = scratch("options");
    let o = leaky_in(
        &dir,
        &[
            "plot",
            "relu",
            "leaky_relu:alpha=0.1",
            "sigmoid",
            "tanh",
            "--derivative",
            "--from",
            "-5",
            "--to",
            "5",
            "--points",
            "301",
            "-o",
            "four.svg",
            "--width",
            "1000",
            "--height",
            "400",
            "--title",
            "Four",
            "--xlabel",
            "input",
            "--ylabel",
            "output",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(dir.join("four.svg")).unwrap();
    assert!(svg.contains("width=\"1000\"") && svg.contains("height=\"400\""));
    for text in [
        ">Four<",
        ">Four: derivative<",
        ">input<",
        ">output<",
        ">f&apos;(x)<",
        ">leaky_relu:alpha=0.1<",
        ">tanh<",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    // The fourth colour (tanh) twice in each of the two panels: its curve and its legend sample.
    assert_eq!(svg.matches("stroke=\"#d62728\" stroke-width").count(), 4);
}

#[test]
fn plot_terminal_prints_a_text_chart_and_writes_no_file() {
    let dir = scratch("terminal");
    let o = leaky_in(&dir, &["plot", "--terminal"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Leaky ReLU Activation Function"));
    assert!(text.lines().count() > 10);
    assert!(!dir.join("leaky_relu.png").exists());
}

#[test]
fn plot_rejects_bad_input() {
    let dir = scratch("errors");
    assert_error(
        &leaky_in(&dir, &["plot", "--from", "2", "--to", "1"]),
        2,
        "must be less than",
    );
    assert_error(&leaky_in(&dir, &["plot", "--points", "1"]), 2, "at least 2");
    assert_error(
        &leaky_in(&dir, &["plot", "--points", "5000000"]),
        2,
        "at most",
    );
    assert_error(&leaky_in(&dir, &["plot", "--from", "inf"]), 2, "finite");
    assert_error(
        &leaky_in(&dir, &["plot", "-o", "figure.jpg"]),
        2,
        ".svg or .png",
    );
    assert_error(&leaky_in(&dir, &["plot", "--width", "0"]), 2, "size");
    assert_error(
        &leaky_in(&dir, &["plot", "sigmod"]),
        2,
        "did you mean 'sigmoid'",
    );
    assert_error(
        &leaky_in(&dir, &["plot", "leaky_relu:alpha=nan"]),
        2,
        "finite",
    );
    assert_error(
        &leaky_in(&dir, &["plot", "-o", "no/such/folder/x.png"]),
        1,
        "no/such/folder",
    );
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing written"
    );
}
