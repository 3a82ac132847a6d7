//! The explorer's query strings: `?spec=leaky_relu:alpha=0.2&spec=tanh&from=-2&to=2&points=200`,
//! parsed and checked with the command line's messages. `spec` may repeat; every other key is
//! given at most once; an unknown key is an error (a typo should not be silently ignored).

use leaky::Activation;
use leaky_show::ShowError;
use leaky_show::figure::FigureSpec;
use leaky_show::range::linspace;
use leaky_show::shown;

/// The most points one request computes: a line gets no smoother beyond it, and a page asking
/// for more is a mistake.
pub const MAX_POINTS: usize = 100_000;
/// The keys a query may hold.
const KEYS: [&str; 9] = [
    "spec",
    "from",
    "to",
    "points",
    "derivative",
    "width",
    "height",
    "title",
    "dtype",
];

/// The float type the values are computed in, as `leaky eval --dtype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// 32-bit (the default, as `leaky eval`'s).
    F32,
    /// 64-bit.
    F64,
}

/// A parsed query: the figure's settings (the command line's defaults where not given) and the
/// dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// What to draw: activations, range, points, size, title.
    pub figure: FigureSpec,
    /// The float type of the values.
    pub dtype: Dtype,
}

impl Query {
    /// Parses `raw` (the part after `?`, or `None` for no query).
    pub fn parse(raw: Option<&str>) -> Result<Query, ShowError> {
        let mut figure = FigureSpec::default();
        let mut specs = Vec::new();
        let mut dtype = Dtype::F32;
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !KEYS.contains(&key.as_ref()) {
                return Err(ShowError(format!(
                    "unknown parameter '{}' (known: {})",
                    shown(&key),
                    KEYS.join(", ")
                )));
            }
            if key != "spec" {
                if seen.iter().any(|k| *k == key) {
                    return Err(ShowError(format!("--{key} is given twice")));
                }
                seen.push(key.to_string());
            }
            match key.as_ref() {
                "spec" => specs.push(
                    value
                        .parse::<Activation>()
                        .map_err(|e| ShowError(e.to_string()))?,
                ),
                "from" => figure.from = number(&key, &value)?,
                "to" => figure.to = number(&key, &value)?,
                "points" => figure.points = number(&key, &value)?,
                "width" => figure.width = Some(number(&key, &value)?),
                "height" => figure.height = number(&key, &value)?,
                "title" => figure.title = Some(value.into_owned()),
                "derivative" => {
                    figure.derivative = match value.as_ref() {
                        "1" | "true" => true,
                        "0" | "false" => false,
                        other => {
                            return Err(ShowError(format!(
                                "--derivative: '{}' is not one of 1, 0, true, false",
                                shown(other)
                            )));
                        }
                    }
                }
                _ => {
                    dtype = match value.as_ref() {
                        "f32" => Dtype::F32,
                        "f64" => Dtype::F64,
                        other => {
                            return Err(ShowError(format!(
                                "--dtype: '{}' is not one of f32, f64",
                                shown(other)
                            )));
                        }
                    }
                }
            }
        }
        if !specs.is_empty() {
            figure.activations = specs;
        }
        if figure.points > MAX_POINTS {
            return Err(ShowError(format!(
                "--points must be at most {MAX_POINTS} here, got {}",
                figure.points
            )));
        }
        Ok(Query { figure, dtype })
    }

    /// The evenly spaced inputs, checked as the command line checks them.
    pub fn xs(&self) -> Result<Vec<f64>, ShowError> {
        linspace(self.figure.from, self.figure.to, self.figure.points)
    }
}

/// `value` as a number of the key's type.
fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ShowError> {
    value
        .trim()
        .parse()
        .map_err(|_| ShowError(format!("--{key}: '{}' is not a number", shown(value))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_query_is_the_articles_figure() {
        let q = Query::parse(None).unwrap();
        assert_eq!(q.figure, FigureSpec::default());
        assert_eq!(q.dtype, Dtype::F32);
    }

    #[test]
    fn specs_repeat_and_numbers_parse() {
        let q = Query::parse(Some(
            "spec=leaky_relu%3Aalpha%3D0.2&spec=tanh&from=-3&to=1.5&points=7&derivative=1&dtype=f64",
        ))
        .unwrap();
        assert_eq!(
            q.figure.activations,
            [Activation::LeakyRelu { alpha: 0.2 }, Activation::Tanh]
        );
        assert_eq!(
            (q.figure.from, q.figure.to, q.figure.points),
            (-3.0, 1.5, 7)
        );
        assert!(q.figure.derivative);
        assert_eq!(q.dtype, Dtype::F64);
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        let err = |raw: &str| Query::parse(Some(raw)).unwrap_err().0;
        assert!(
            err("spec=nope").contains("unknown activation"),
            "{}",
            err("spec=nope")
        );
        assert_eq!(err("from=x"), "--from: 'x' is not a number");
        assert_eq!(err("from=1&from=2"), "--from is given twice");
        assert!(err("colour=red").starts_with("unknown parameter 'colour'"));
        assert_eq!(
            err("points=100001"),
            "--points must be at most 100000 here, got 100001"
        );
        assert_eq!(
            err("derivative=yes"),
            "--derivative: 'yes' is not one of 1, 0, true, false"
        );
    }
}
