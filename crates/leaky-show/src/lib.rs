//! What leaky shows of activations, the same on the command line (`leaky plot`, `leaky eval`)
//! and in the browser (`leaky serve`): evenly spaced inputs ([`range`]), the figure of f and f'
//! ([`figure`]), and tables of values as CSV or JSON ([`table`]). Bad input is a [`ShowError`]
//! whose one-line message names the option at fault, as the command line spells it.

pub mod figure;
pub mod range;
pub mod table;

use std::fmt;

/// Input that cannot be shown, with a one-line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowError(pub String);

impl fmt::Display for ShowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShowError {}
