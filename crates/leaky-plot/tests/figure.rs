//! Figures end to end: the SVG's content, the PNG's pixels, the terminal preview, saving, and the
//! errors for bad input.

use std::path::PathBuf;

use leaky_plot::{Chart, Figure, Legend, PlotError, Series, Style};
use resvg::tiny_skia::Pixmap;

const BLUE: &str = "#1f77b4";

fn leaky_relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.01 * x }
}

/// The seed article's figure.
fn article() -> Figure {
    Figure::from(
        Chart::new("Leaky ReLU Activation Function", "x", "f(x)")
            .with_series(Series::from_fn("", -2.0, 2.0, 100, leaky_relu)),
    )
}

fn several() -> Figure {
    let mut chart = Chart::new("Activations", "x", "f(x)");
    for (label, f) in [
        ("relu", (|x: f64| x.max(0.0)) as fn(f64) -> f64),
        ("tanh", f64::tanh),
        ("sin", f64::sin),
        ("x/2", |x| x / 2.0),
    ] {
        chart = chart.with_series(Series::from_fn(label, -3.0, 3.0, 61, f));
    }
    Figure::from(chart)
}

/// The contents of the SVG's text elements, in document order.
fn texts(svg: &str) -> Vec<&str> {
    let mut chunks: Vec<&str> = svg.split("</text>").collect();
    chunks.pop(); // after the last text element
    chunks
        .into_iter()
        .map(|chunk| &chunk[chunk.rfind('>').map_or(0, |i| i + 1)..])
        .collect()
}

/// The `d` attributes of the paths stroked in `color`.
fn paths<'a>(svg: &'a str, color: &str) -> Vec<&'a str> {
    svg.lines()
        .filter(|l| l.starts_with("<path") && l.contains(&format!("stroke=\"{color}\"")))
        .filter_map(|l| l.split(" d=\"").nth(1))
        .map(|d| d.trim_end_matches("\"/>"))
        .collect()
}

/// The value of attribute `name` in the first element that contains `marker`.
fn attribute(svg: &str, marker: &str, name: &str) -> f64 {
    let line = svg.lines().find(|l| l.contains(marker)).expect(marker);
    let value = line.split(&format!(" {name}=\"")).nth(1).expect(name);
    value[..value.find('"').unwrap()].parse().unwrap()
}

fn count_commands(d: &str, command: char) -> usize {
    d.chars().filter(|&c| c == command).count()
}

#[test]
fn the_article_svg_has_its_title_labels_and_100_points() {
    let svg = article().to_svg().unwrap();
    let texts = texts(&svg);
    for expected in ["Leaky ReLU Activation Function", "x", "f(x)"] {
        assert!(
            texts.contains(&expected),
            "{expected:?} missing from {texts:?}"
        );
    }
    let lines = paths(&svg, BLUE);
    assert_eq!(lines.len(), 1);
    assert_eq!(count_commands(lines[0], 'M'), 1);
    assert_eq!(count_commands(lines[0], 'L'), 99);
    assert!(
        svg.contains(r#"stroke-width="2.08""#),
        "1.5 pt lines at 100 dpi"
    );
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    // One series: no legend frame.
    assert!(!svg.contains("fill-opacity"));
}

#[test]
fn the_article_ticks_are_round_with_real_minus_signs() {
    let svg = article().to_svg().unwrap();
    let texts = texts(&svg);
    let x_ticks = [
        "−2.0", "−1.5", "−1.0", "−0.5", "0.0", "0.5", "1.0", "1.5", "2.0",
    ];
    let y_ticks = [
        "0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "2.00",
    ];
    assert_eq!(texts[..9], x_ticks);
    assert_eq!(texts[9..18], y_ticks);
    assert!(
        texts.iter().all(|t| !t.contains('-')),
        "hyphen-minus in {texts:?}"
    );
}

#[test]
fn an_epoch_axis_gets_whole_ticks_only() {
    let points = vec![(1.0, 96.0), (2.0, 97.5)];
    let chart = |whole: bool| {
        let chart =
            Chart::new("Accuracy", "epoch", "%").with_series(Series::line("", points.clone()));
        if whole { chart.with_whole_x() } else { chart }
    };
    let plain = Figure::from(chart(false)).to_svg().unwrap();
    assert_eq!(
        texts(&plain)[..6],
        ["1.0", "1.2", "1.4", "1.6", "1.8", "2.0"]
    );
    let whole = Figure::from(chart(true)).to_svg().unwrap();
    let texts = texts(&whole);
    assert_eq!(texts[..2], ["1", "2"]);
    assert!(!texts.contains(&"1.2"), "{texts:?}");
}

#[test]
fn non_finite_points_break_the_line() {
    let points = vec![
        (0.0, 0.0),
        (1.0, 1.0),
        (2.0, f64::NAN),
        (3.0, 3.0),
        (f64::INFINITY, 4.0),
        (5.0, 5.0),
        (6.0, f64::NEG_INFINITY),
    ];
    let svg = Figure::from(Chart::new("", "", "").with_series(Series::line("", points)))
        .to_svg()
        .unwrap();
    let d = paths(&svg, BLUE)[0];
    assert_eq!(count_commands(d, 'M'), 3, "{d}");
    assert_eq!(count_commands(d, 'L'), 1, "{d}");
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

#[test]
fn constant_data_gets_a_sensible_range() {
    let flat = Series::line("", (0..10).map(|i| (f64::from(i), 1.0)).collect());
    let svg = Figure::from(Chart::new("flat", "", "").with_series(flat))
        .to_svg()
        .unwrap();
    let texts = texts(&svg);
    assert!(
        texts.ends_with(&["0.96", "0.98", "1.00", "1.02", "1.04", "flat"]),
        "{texts:?}"
    );
    let single = Series::markers("", vec![(0.0, 0.0)]);
    let svg = Figure::from(Chart::new("", "", "").with_series(single))
        .to_svg()
        .unwrap();
    assert_eq!(svg.matches("<circle").count(), 1);
    assert!(texts_contain(&svg, "0.00"));
}

fn texts_contain(svg: &str, text: &str) -> bool {
    texts(svg).contains(&text)
}

#[test]
fn several_series_get_the_colour_cycle_and_a_legend() {
    let svg = several().to_svg().unwrap();
    for color in ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"] {
        // The data line and the legend handle.
        assert_eq!(paths(&svg, color).len(), 2, "{color}");
    }
    assert_eq!(
        svg.matches(r##"fill="#ffffff" fill-opacity="0.8""##)
            .count(),
        1
    );
    for label in ["relu", "tanh", "sin", "x/2"] {
        assert!(texts_contain(&svg, label), "{label}");
    }
    // The data rises to the right: "best" is the upper left corner.
    let (left, top) = (
        attribute(&svg, "fill-opacity", "x"),
        attribute(&svg, "fill-opacity", "y"),
    );
    let (axes_left, axes_top) = (
        attribute(&svg, "<clipPath", "x"),
        attribute(&svg, "<clipPath", "y"),
    );
    assert!(
        (left - axes_left - 7.0).abs() < 1.0,
        "{left} vs {axes_left}"
    );
    assert!((top - axes_top - 7.0).abs() < 1.0, "{top} vs {axes_top}");
}

#[test]
fn the_best_legend_avoids_the_data() {
    // Both lines fall to the right, leaving the upper right corner empty.
    let chart = Chart::new("", "", "")
        .with_series(Series::from_fn("a", 0.0, 1.0, 50, |x| 1.0 - x))
        .with_series(Series::from_fn("b", 0.0, 1.0, 50, |x| 0.9 - x));
    let svg = Figure::from(chart).to_svg().unwrap();
    let right = attribute(&svg, "fill-opacity", "x") + attribute(&svg, "fill-opacity", "width");
    let axes_right = attribute(&svg, "<clipPath", "x") + attribute(&svg, "<clipPath", "width");
    assert!(
        (axes_right - right - 7.0).abs() < 1.0,
        "{right} vs {axes_right}"
    );
}

#[test]
fn legends_follow_the_chart_setting() {
    let mut figure = several();
    figure.panels[0].legend = Legend::Hidden;
    assert!(!figure.to_svg().unwrap().contains("fill-opacity"));
    let mut one = article();
    one.panels[0].series[0].label = "leaky_relu".into();
    assert!(!one.to_svg().unwrap().contains("fill-opacity"));
    one.panels[0].legend = Legend::LowerRight;
    let svg = one.to_svg().unwrap();
    assert!(svg.contains("fill-opacity") && texts_contain(&svg, "leaky_relu"));
}

#[test]
fn text_is_escaped_for_xml() {
    let chart = Chart::new("a < b & \"c\"", "x'", "y>")
        .with_series(Series::line("<relu>", vec![(0.0, 0.0), (1.0, 1.0)]))
        .with_series(Series::line("&", vec![(0.0, 1.0), (1.0, 0.0)]));
    let svg = Figure::from(chart).to_svg().unwrap();
    assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"));
    assert!(svg.contains("&lt;relu&gt;") && svg.contains(">&amp;</text>"));
    // resvg parses it: the document is well formed.
    Figure::from(Chart::new("<&>", "", "").with_series(Series::line("", vec![(0.0, 0.0)])))
        .to_png()
        .unwrap();
}

#[test]
fn panels_sit_side_by_side() {
    let figure = Figure::new(vec![
        Chart::new("f", "x", "f(x)").with_series(Series::from_fn("", -2.0, 2.0, 100, leaky_relu)),
        Chart::new("f′", "x", "f′(x)").with_series(Series::from_fn("", -2.0, 2.0, 100, |x| {
            if x > 0.0 { 1.0 } else { 0.01 }
        })),
    ]);
    assert_eq!((figure.width, figure.height), (1280, 480));
    let svg = figure.to_svg().unwrap();
    assert!(svg.contains("clipPath id=\"axes0\"") && svg.contains("clipPath id=\"axes1\""));
    assert_eq!(
        paths(&svg, BLUE).len(),
        2,
        "each panel starts the colour cycle anew"
    );
    // The prime is not in the embedded font: it is written as an apostrophe.
    assert!(texts_contain(&svg, "f&apos;(x)"));
    let first_right =
        attribute(&svg, "id=\"axes0\"", "x") + attribute(&svg, "id=\"axes0\"", "width");
    let second_left = attribute(&svg, "id=\"axes1\"", "x");
    assert!(
        second_left > first_right + 60.0,
        "{first_right} {second_left}"
    );
}

#[test]
fn margins_grow_for_wide_tick_labels() {
    let chart = Chart::new("", "step", "a very tall y label").with_series(Series::from_fn(
        "",
        0.0,
        1.0,
        10,
        |x| -123_456.0 * x,
    ));
    let svg = Figure::from(chart).to_svg().unwrap();
    let line = svg.lines().find(|l| l.contains("rotate(-90)")).unwrap();
    let x: f64 = line
        .split("translate(")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The rotated label's glyph tops reach about 0.76 em (10.6 px) left of its baseline.
    assert!(x - 10.6 > 0.0, "y label clipped at x = {x}");
    assert!(texts_contain(&svg, "−120000"));
}

#[test]
fn huge_values_get_a_multiplier() {
    let chart = Chart::new("", "", "").with_series(Series::from_fn("", 0.0, 1.0, 10, |x| 3e7 * x));
    let svg = Figure::from(chart).to_svg().unwrap();
    assert!(texts_contain(&svg, "1e7"), "{:?}", texts(&svg));
    assert!(texts_contain(&svg, "3.0"));
}

#[test]
fn histograms_count_every_finite_value() {
    let values: Vec<f64> = (0..1000)
        .map(|i| f64::from(i % 100))
        .chain([f64::NAN])
        .collect();
    let series = Series::histogram("h", &values, 10).unwrap();
    assert_eq!(series.style, Style::Bars { width: 9.9 });
    assert_eq!(series.points.len(), 10);
    assert_eq!(series.points.iter().map(|p| p.1).sum::<f64>(), 1000.0);
    assert!(series.points.iter().all(|p| p.1 == 100.0));
    let svg = Figure::from(Chart::new("", "", "").with_series(series))
        .to_svg()
        .unwrap();
    assert_eq!(
        svg.matches("<rect").count(),
        2 + 1 + 10,
        "background, clip, frame, bars"
    );
    // Bars stand on the axis: no margin below y = 0.
    let axes_bottom = attribute(&svg, "<clipPath", "y") + attribute(&svg, "<clipPath", "height");
    let first_bar = svg.split("<g fill=").nth(1).unwrap();
    let bar_bottom = attribute(first_bar, "<rect", "y") + attribute(first_bar, "<rect", "height");
    assert!(
        (bar_bottom - axes_bottom).abs() <= 0.5,
        "{bar_bottom} vs {axes_bottom}"
    );
    let one = Series::histogram("", &[3.0, 3.0], 4).unwrap();
    assert_eq!(one.points[0].0, 2.625);
}

#[test]
fn the_png_has_the_size_and_the_pixels() {
    let png = article().to_png().unwrap();
    let image = Pixmap::decode_png(&png).unwrap();
    assert_eq!((image.width(), image.height()), (640, 480));
    let pixel = |x: u32, y: u32| {
        let p = image.pixel(x, y).unwrap();
        (p.red(), p.green(), p.blue())
    };
    assert_eq!(pixel(0, 0), (255, 255, 255));
    assert_eq!(
        pixel(300, 150),
        (255, 255, 255),
        "inside the axes, away from the line"
    );
    // The axes span x 80.5..576.5 for -2.2..2.2 and y 427.5..57.5 for -0.121..2.101 (matplotlib's
    // subplot fractions and 5% margins), so the point (1, 1) is at (441.2, 240.8).
    let (r, g, b) = pixel(441, 241);
    assert!(
        b > 150 && r < 100 && g < 160,
        "not the line's blue: {:?}",
        (r, g, b)
    );
    assert_eq!(pixel(80, 240), (0, 0, 0), "the left edge of the frame");
    // The title is drawn with the embedded font: dark pixels across its box.
    let dark = (200..460)
        .flat_map(|x| (30..52).map(move |y| (x, y)))
        .filter(|&(x, y)| pixel(x, y).0 < 100)
        .count();
    assert!(dark > 300, "only {dark} dark pixels where the title is");
}

#[test]
fn the_png_scales() {
    let mut figure = article();
    figure.scale = 2.0;
    let image = Pixmap::decode_png(&figure.to_png().unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (1280, 960));
    let p = image.pixel(882, 482).unwrap();
    assert!(p.blue() > 150 && p.red() < 100, "{p:?}");
}

#[test]
fn the_terminal_preview_fits_and_shows_the_data() {
    let text = article().to_terminal(60, 15).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 15);
    assert!(lines.iter().all(|l| l.chars().count() <= 60));
    assert!(lines[0].contains("Leaky ReLU Activation Function"));
    assert_eq!(lines[1], "f(x)");
    assert!(lines[2].starts_with(" 2.00┤"), "{}", lines[2]);
    assert!(lines[12].starts_with("−0.02┤⣀"), "{}", lines[12]);
    assert!(lines[14].contains('x') && lines[14].contains("−2") && lines[14].ends_with('2'));
    let dots = text
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
        .count();
    assert!(dots > 40, "{text}");

    let text = several().to_terminal(80, 20).unwrap();
    let legend = text.lines().last().unwrap();
    assert_eq!(legend, "* relu   + tanh   o sin   x x/2");
    for marker in ['*', '+', 'o', 'x'] {
        assert!(text.matches(marker).count() > 5, "{marker}");
    }
}

#[test]
fn the_terminal_preview_draws_panels_side_by_side() {
    let figure = Figure::new(vec![
        article().panels[0].clone(),
        several().panels[0].clone(),
    ]);
    let text = figure.to_terminal(120, 20).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.contains("Leaky ReLU Activation Function") && first.contains("Activations"));
    assert_eq!(text.lines().count(), 20);
}

/// A fresh empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leaky-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_in(dir: &PathBuf) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn saving_picks_the_format_and_leaves_no_temporary_file() {
    let dir = scratch("save");
    let figure = article();
    figure.save(dir.join("a.svg")).unwrap();
    figure.save(dir.join("b.PNG")).unwrap();
    figure.save(dir.join("b.PNG")).unwrap(); // replaces
    assert_eq!(files_in(&dir), ["a.svg", "b.PNG"]);
    assert!(
        std::fs::read_to_string(dir.join("a.svg"))
            .unwrap()
            .starts_with("<svg")
    );
    assert!(
        std::fs::read(dir.join("b.PNG"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );

    let err = figure.save(dir.join("c.jpg")).unwrap_err();
    assert!(matches!(err, PlotError::UnsupportedFormat { .. }), "{err}");
    assert!(err.to_string().contains(".svg or .png"), "{err}");
    let err = figure.save(dir.join("missing").join("d.png")).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    assert_eq!(files_in(&dir), ["a.svg", "b.PNG"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let empty = Figure::new(vec![]);
    assert!(matches!(empty.to_svg(), Err(PlotError::NoPanels)));
    assert!(matches!(
        empty.to_terminal(80, 20),
        Err(PlotError::NoPanels)
    ));

    let no_series = Figure::from(Chart::new("t", "", ""));
    assert!(matches!(
        no_series.to_png(),
        Err(PlotError::NoData { panel: 0, .. })
    ));
    let all_nan = Figure::from(Chart::new("t", "", "").with_series(Series::line(
        "",
        vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
    )));
    let err = all_nan.to_svg().unwrap_err();
    assert!(err.to_string().contains("no finite point"), "{err}");
    assert!(matches!(
        all_nan.to_terminal(80, 20),
        Err(PlotError::NoData { .. })
    ));

    for (width, height, scale) in [
        (0, 480, 1.0),
        (640, 0, 1.0),
        (100_000, 480, 1.0),
        (640, 480, 0.0),
        (640, 480, f64::NAN),
        (640, 480, -1.0),
        (6000, 480, 2.0),
    ] {
        let mut figure = article();
        (figure.width, figure.height, figure.scale) = (width, height, scale);
        let err = figure.to_png().unwrap_err();
        assert!(
            matches!(err, PlotError::InvalidSize { .. }),
            "{width}x{height}@{scale}: {err}"
        );
    }
    let mut crowded = Figure::new(vec![article().panels[0].clone(); 6]);
    crowded.width = 200;
    assert!(matches!(
        crowded.to_svg(),
        Err(PlotError::FigureTooSmall { panels: 6, .. })
    ));

    let huge = Series::line("", vec![(0.0, -f64::MAX), (1.0, f64::MAX)]);
    let err = Figure::from(Chart::new("", "", "").with_series(huge))
        .to_svg()
        .unwrap_err();
    assert!(
        matches!(
            err,
            PlotError::RangeTooLarge {
                panel: 0,
                axis: 'y'
            }
        ),
        "{err}"
    );

    let bars = Series {
        label: "b".into(),
        points: vec![(0.0, 1.0)],
        style: Style::Bars { width: -1.0 },
        color: None,
    };
    let err = Figure::from(Chart::new("", "", "").with_series(bars))
        .to_svg()
        .unwrap_err();
    assert!(matches!(err, PlotError::InvalidSeries { .. }), "{err}");
    assert!(Series::histogram("h", &[1.0], 0).is_err());
    assert!(Series::histogram("h", &[f64::NAN], 10).is_err());
    assert!(Series::histogram("h", &[], 10).is_err());
    assert!(Series::histogram("h", &[-f64::MAX, f64::MAX], 10).is_err());

    let err = article().to_terminal(10, 3).unwrap_err();
    assert!(
        matches!(err, PlotError::TerminalSize { min_rows: 6, .. }),
        "{err}"
    );
    let err = article().to_terminal(1_000_000, 20).unwrap_err();
    assert!(matches!(err, PlotError::TerminalSize { .. }), "{err}");
}

/// The axes box of the first panel, from its clip path: left, top, width, height.
fn axes_box(svg: &str) -> (f64, f64, f64, f64) {
    let clip = "<clipPath id=\"axes0\">";
    (
        attribute(svg, clip, "x"),
        attribute(svg, clip, "y"),
        attribute(svg, clip, "width"),
        attribute(svg, clip, "height"),
    )
}

/// The pixel of the PNG of `figure` at the data point `(x, y)`, for a chart whose view is
/// `x_view` by `y_view`.
fn pixel_at(
    figure: &Figure,
    x_view: (f64, f64),
    y_view: (f64, f64),
    (x, y): (f64, f64),
) -> [u8; 3] {
    let (left, top, width, height) = axes_box(&figure.to_svg().unwrap());
    let px = left + (x - x_view.0) / (x_view.1 - x_view.0) * width;
    let py = top + height - (y - y_view.0) / (y_view.1 - y_view.0) * height;
    let image = Pixmap::decode_png(&figure.to_png().unwrap()).unwrap();
    let p = image.pixel(px.round() as u32, py.round() as u32).unwrap();
    [p.red(), p.green(), p.blue()]
}

#[test]
fn a_band_is_a_light_fill_in_its_colour_between_its_edges() {
    // x 0..10 and y 0..1 with 5% margins: the view is -0.5..10.5 by -0.05..1.05.
    let band = Series::band("", &[(0.0, 0.0, 1.0), (10.0, 0.0, 1.0)]).with_color(1);
    let figure = Figure::from(Chart::new("", "", "").with_series(band));
    let at = |point| pixel_at(&figure, (-0.5, 10.5), (-0.05, 1.05), point);
    // Orange #ff7f0e at opacity 0.2 over white: (255, 229, 207).
    let inside = at((5.0, 0.5));
    for (got, want) in inside.iter().zip([255, 229, 207]) {
        assert!(got.abs_diff(want) <= 3, "inside the band: {inside:?}");
    }
    assert_eq!(at((-0.3, 0.5)), [255, 255, 255], "left of the band");
    assert_eq!(at((5.0, 1.03)), [255, 255, 255], "above the band");
    let svg = figure.to_svg().unwrap();
    let fill = svg
        .lines()
        .find(|l| l.contains("fill-opacity=\"0.2\""))
        .unwrap();
    assert!(
        fill.contains("fill=\"#ff7f0e\"") && fill.contains("Z"),
        "{fill}"
    );
}

#[test]
fn a_band_keeps_only_finite_triples_as_its_outline() {
    let band = Series::band(
        "b",
        &[(0.0, 1.0, 2.0), (1.0, f64::NAN, 3.0), (2.0, 0.0, 4.0)],
    );
    assert_eq!(
        band.points,
        [(0.0, 1.0), (2.0, 0.0), (2.0, 4.0), (0.0, 2.0)]
    );
    assert_eq!(band.style, Style::Band);
}

#[test]
fn cells_fill_their_squares_and_leave_the_others_white() {
    // Cells at (0, 0) and (2, 1), 1 x 1: x -0.5..2.5 and y -0.5..1.5, so the view is
    // -0.65..2.65 by -0.6..1.6.
    let cells = Series::cells("", vec![(0.0, 0.0), (2.0, 1.0)], 1.0, 1.0).with_color(3);
    let figure = Figure::from(Chart::new("", "", "").with_series(cells));
    let at = |point| pixel_at(&figure, (-0.65, 2.65), (-0.6, 1.6), point);
    let red = [0xd6, 0x27, 0x28];
    assert_eq!(at((0.0, 0.0)), red);
    assert_eq!(at((2.0, 1.0)), red);
    assert_eq!(at((0.3, -0.3)), red, "inside the first cell, off centre");
    assert_eq!(at((2.0, 0.0)), [255, 255, 255], "no cell there");
    assert_eq!(at((0.0, 1.0)), [255, 255, 255], "no cell there");
    assert_eq!(at((1.0, 0.5)), [255, 255, 255], "between the cells");
    let bad = Series::cells("c", vec![(0.0, 0.0)], 1.0, 0.0);
    let err = Figure::from(Chart::new("", "", "").with_series(bad))
        .to_svg()
        .unwrap_err();
    assert!(matches!(err, PlotError::InvalidSeries { .. }), "{err}");
}

#[test]
fn an_outside_legend_sits_right_of_the_axes_which_shrink_for_it() {
    let inside = several().to_svg().unwrap();
    let mut figure = several();
    figure.panels[0].legend = Legend::Outside;
    let svg = figure.to_svg().unwrap();
    let (left, _, width, _) = axes_box(&svg);
    let (_, _, inside_width, _) = axes_box(&inside);
    assert!(width < inside_width, "{width} vs {inside_width}");
    let frame = "fill-opacity=\"0.8\"";
    let legend_left = attribute(&svg, frame, "x");
    let legend_width = attribute(&svg, frame, "width");
    assert!(
        legend_left > left + width,
        "the legend starts inside the axes"
    );
    assert!(
        legend_left + legend_width <= 640.0,
        "the legend leaves the figure"
    );
    for label in ["relu", "tanh", "sin", "x/2"] {
        assert!(texts_contain(&svg, label), "{label}");
    }
}

#[test]
fn a_colour_override_colours_the_series_and_its_legend_entry() {
    let chart = Chart::new("", "", "")
        .with_series(Series::line("a", vec![(0.0, 0.0), (1.0, 1.0)]).with_color(2))
        .with_series(Series::line("b", vec![(0.0, 1.0), (1.0, 0.0)]).with_color(2));
    let svg = Figure::from(chart).to_svg().unwrap();
    // Two data lines and two legend handles, all green; nothing in the cycle's blue.
    assert_eq!(paths(&svg, "#2ca02c").len(), 4);
    assert!(paths(&svg, BLUE).is_empty());
}
