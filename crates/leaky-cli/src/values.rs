//! Values of the network commands' options: clap's parsers for counts, rates and biases, and
//! what `--resume` and `--overwrite` ask.

use leaky_lab::files::run_folder::Start;

/// What `--resume` and `--overwrite` ask of the output directory's previous run.
pub fn start(resume: bool, overwrite: bool) -> Start {
    match (resume, overwrite) {
        (true, _) => Start::Resume,
        (false, true) => Start::Overwrite,
        (false, false) => Start::Fresh,
    }
}

/// A count of at least 1 (epochs, steps, batch size).
pub fn count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is not a whole number")),
    }
}

/// A learning rate: a finite number above 0 and at most 1.
pub fn learning_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(lr) if lr.is_finite() && lr > 0.0 && lr <= 1.0 => Ok(lr),
        Ok(lr) => Err(format!("must be above 0 and at most 1, got {lr}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

/// An initial bias: a finite number of magnitude at most 100.
pub fn bias(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(b) if b.is_finite() && b.abs() <= 100.0 => Ok(b),
        Ok(b) => Err(format!("must be a finite number from -100 to 100, got {b}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

/// A per-epoch learning rate factor: above 0 and at most 1.
pub fn decay(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        Ok(f) => Err(format!("must be above 0 and at most 1, got {f}")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}
