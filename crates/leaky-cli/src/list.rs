//! `leaky list`: every activation with its parameters, defaults and formulas.

use std::io::{self, Write};

use leaky::Kind;

use crate::error::CliError;

/// Runs `leaky list`.
pub fn run() -> Result<(), CliError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (i, kind) in Kind::ALL.iter().enumerate() {
        let info = kind.info();
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{} ({})", info.name, info.torch_name)?;
        writeln!(out, "  f(x)  = {}", info.formula)?;
        writeln!(out, "  f'(x) = {}", info.derivative)?;
        for p in info.params {
            let aliases = if p.aliases.is_empty() {
                String::new()
            } else {
                format!(" (also: {})", p.aliases.join(", "))
            };
            writeln!(out, "  {} = {:?}{aliases}: {}", p.name, p.default, p.doc)?;
        }
    }
    Ok(())
}
