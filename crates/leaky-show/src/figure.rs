//! The figure of `leaky plot`: one panel of f(x) for each activation on one chart, and with
//! the derivative, a second panel of f'(x) beside it.

use leaky::{Activation, Kind};
use leaky_plot::{Chart, Figure, Series};

use crate::ShowError;
use crate::range::linspace;

/// The most points a plot takes: beyond this no line gets smoother.
pub const MAX_PLOT_POINTS: usize = 1_000_000;

/// What to draw, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureSpec {
    /// The activations, one line each.
    pub activations: Vec<Activation>,
    /// Whether to draw f'(x) in a second panel.
    pub derivative: bool,
    /// The smallest x.
    pub from: f64,
    /// The largest x.
    pub to: f64,
    /// How many evenly spaced x, ends included.
    pub points: usize,
    /// The figure's width in pixels, or `None` for 640 per panel.
    pub width: Option<u32>,
    /// The figure's height in pixels.
    pub height: u32,
    /// The title, or `None` for [`default_title`].
    pub title: Option<String>,
    /// The x-axis label.
    pub xlabel: String,
    /// The y-axis label of the f(x) panel.
    pub ylabel: String,
}

impl Default for FigureSpec {
    /// The article's figure: LeakyReLU (α = 0.01) on [-2, 2], 100 points, 640x480.
    fn default() -> Self {
        FigureSpec {
            activations: vec![Activation::LeakyRelu { alpha: 0.01 }],
            derivative: false,
            from: -2.0,
            to: 2.0,
            points: 100,
            width: None,
            height: 480,
            title: None,
            xlabel: "x".into(),
            ylabel: "f(x)".into(),
        }
    }
}

impl FigureSpec {
    /// The figure, after checking the range and the number of points.
    pub fn figure(&self) -> Result<Figure, ShowError> {
        if self.points > MAX_PLOT_POINTS {
            return Err(ShowError(format!(
                "--points must be at most {MAX_PLOT_POINTS}, got {}",
                self.points
            )));
        }
        if self.activations.is_empty() {
            return Err(ShowError("no activation to plot".into()));
        }
        let xs = linspace(self.from, self.to, self.points)?;
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| default_title(&self.activations));
        let panel = |title: String, ylabel: &str, f: &dyn Fn(&Activation, f64) -> f64| {
            let mut chart = Chart::new(title, self.xlabel.clone(), ylabel);
            for a in &self.activations {
                let points = xs.iter().map(|&x| (x, f(a, x))).collect();
                chart = chart.with_series(Series::line(a.to_string(), points));
            }
            chart
        };
        let mut panels = vec![panel(title.clone(), &self.ylabel, &|a, x| a.forward(x))];
        if self.derivative {
            panels.push(panel(format!("{title}: derivative"), "f'(x)", &|a, x| {
                a.derivative(x)
            }));
        }
        let mut figure = Figure::new(panels);
        if let Some(width) = self.width {
            figure.width = width;
        }
        figure.height = self.height;
        Ok(figure)
    }
}

/// "Leaky ReLU Activation Function" for one activation (the article's title), else a plural.
pub fn default_title(activations: &[Activation]) -> String {
    match activations {
        [one] if one.kind() == Kind::LeakyRelu => "Leaky ReLU Activation Function".into(),
        [one] => format!("{} Activation Function", one.kind().info().torch_name),
        _ => "Activation Functions".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_articles_figure() {
        let figure = FigureSpec::default().figure().unwrap();
        assert_eq!(figure.panels.len(), 1);
        assert_eq!(figure.panels[0].title, "Leaky ReLU Activation Function");
        let line = &figure.panels[0].series[0];
        assert_eq!(line.points.len(), 100);
        assert_eq!(line.points[0], (-2.0, -0.02));
        assert_eq!(line.points[99], (2.0, 2.0));
    }

    #[test]
    fn the_derivative_gets_its_own_panel() {
        let spec = FigureSpec {
            activations: vec![Activation::Relu, Activation::Tanh],
            derivative: true,
            ..FigureSpec::default()
        };
        let figure = spec.figure().unwrap();
        assert_eq!(figure.panels.len(), 2);
        assert_eq!(figure.panels[0].title, "Activation Functions");
        assert_eq!(figure.panels[1].title, "Activation Functions: derivative");
        assert_eq!(figure.panels[1].series[0].points[99], (2.0, 1.0));
    }

    #[test]
    fn bad_ranges_and_sizes_name_the_option() {
        let bad = |spec: FigureSpec| spec.figure().unwrap_err().0;
        assert_eq!(
            bad(FigureSpec {
                points: MAX_PLOT_POINTS + 1,
                ..FigureSpec::default()
            }),
            "--points must be at most 1000000, got 1000001"
        );
        assert_eq!(
            bad(FigureSpec {
                from: 1.0,
                to: 1.0,
                ..FigureSpec::default()
            }),
            "--from (1) must be less than --to (1)"
        );
    }
}
