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

/// How much of a bad value an error message shows.
const SHOWN_CHARS: usize = 40;

/// At most 40 characters of `text`, control characters escaped, then `...` if there was more:
/// a bad value as a one-line message quotes it.
pub fn shown(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(SHOWN_CHARS)
        .flat_map(|c| match c.is_control() {
            true => c.escape_default().collect::<Vec<_>>(),
            false => vec![c],
        })
        .collect();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_control_characters_and_cuts_long_text() {
        assert_eq!(shown("α\tβ"), "α\\tβ");
        assert_eq!(shown(&"x".repeat(41)), format!("{}...", "x".repeat(40)));
        assert_eq!(shown(&"x".repeat(40)), "x".repeat(40));
    }
}
