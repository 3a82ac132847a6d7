//! The `leaky` command.
fn main() {}
