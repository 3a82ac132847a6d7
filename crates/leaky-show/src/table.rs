//! The table of `leaky eval`: x, f(x) and f'(x) for each input, as CSV (`x,y,dy` with a header
//! line) or JSON, every number in the shortest text that reads back to the same float.

use std::io::{self, Write};

use leaky::{Activation, Float};

/// An activation's values at some inputs, in the inputs' float type.
pub struct Table<'a, T> {
    activation: &'a Activation,
    xs: &'a [T],
    ys: Vec<T>,
}

impl<'a, T: Float> Table<'a, T> {
    /// f at every x with the slice kernels (as a program calling leaky computes them); f' is
    /// computed as each row is written. Fails only when the kernels cannot run as the
    /// environment asks (`LEAKY_TIER`, `LEAKY_THREADS`).
    pub fn new(activation: &'a Activation, xs: &'a [T]) -> Result<Self, leaky::Error> {
        let mut ys = vec![T::ZERO; xs.len()];
        activation.forward_slice(xs, &mut ys)?;
        Ok(Table { activation, xs, ys })
    }

    /// `x,y,dy`, then one line per input.
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "x,y,dy")?;
        for (&x, &y) in self.xs.iter().zip(&self.ys) {
            let dy = self.activation.derivative(x);
            writeln!(out, "{},{},{}", shortest(x), shortest(y), shortest(dy))?;
        }
        Ok(())
    }

    /// `{"activation": ..., "dtype": ..., "points": [{"x": ..., "y": ..., "dy": ...}, ...]}`
    /// and a newline; NaN and the infinities as the strings `"NaN"`, `"inf"`, `"-inf"`.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "{{\"activation\":\"{}\",\"dtype\":\"{}\",\"points\":[",
            self.activation,
            T::NAME
        )?;
        for (i, (&x, &y)) in self.xs.iter().zip(&self.ys).enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let dy = self.activation.derivative(x);
            write!(
                out,
                "{sep}{{\"x\":{},\"y\":{},\"dy\":{}}}",
                json_number(x),
                json_number(y),
                json_number(dy)
            )?;
        }
        writeln!(out, "]}}")
    }
}

/// The shortest text that reads back to the same float: `0.01`, `1.0`, `1e-45`, and `NaN`,
/// `inf`, `-inf` for the specials.
pub fn shortest<T: Float>(v: T) -> String {
    format!("{v:?}")
}

/// As [`shortest`], but a JSON value: non-finite numbers become the strings `"NaN"`, `"inf"`,
/// `"-inf"`.
pub fn json_number<T: Float>(v: T) -> String {
    let f = v.to_f64();
    if f.is_finite() {
        shortest(v)
    } else {
        format!("\"{}\"", shortest(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_rows() {
        // f'(NaN) is α, as PyTorch's `where(x > 0, 1, α)` gives it.
        let relu = Activation::LeakyRelu { alpha: 0.01 };
        let xs = [-1.0f32, 0.5, f32::NAN];
        let table = Table::new(&relu, &xs).unwrap();
        let mut csv = Vec::new();
        table.write_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "x,y,dy\n-1.0,-0.01,0.01\n0.5,0.5,1.0\nNaN,NaN,0.01\n"
        );
        let mut json = Vec::new();
        table.write_json(&mut json).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            "{\"activation\":\"leaky_relu:alpha=0.01\",\"dtype\":\"f32\",\"points\":[\
             {\"x\":-1.0,\"y\":-0.01,\"dy\":0.01},{\"x\":0.5,\"y\":0.5,\"dy\":1.0},\
             {\"x\":\"NaN\",\"y\":\"NaN\",\"dy\":0.01}]}\n"
        );
    }
}
