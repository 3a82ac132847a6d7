//! Number formatting shared by the commands.

use leaky::Float;

/// The shortest text that reads back to the same float: `0.01`, `1.0`, `1e-45`, and `NaN`,
/// `inf`, `-inf` for the specials.
pub fn shortest<T: Float>(v: T) -> String {
    format!("{v:?}")
}

/// As [`shortest`], but a JSON value: non-finite numbers become the strings `"NaN"`, `"inf"`, `"-inf"`.
pub fn json_number<T: Float>(v: T) -> String {
    let f = v.to_f64();
    if f.is_finite() {
        shortest(v)
    } else {
        format!("\"{}\"", shortest(v))
    }
}
