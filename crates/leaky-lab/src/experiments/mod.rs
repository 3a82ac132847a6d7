//! The experiments on the networks: a trained classifier's health ([`diagnose`]), and
//! activations compared on the same CNN and seeds ([`compare`]), split across processes or
//! machines ([`shard`]).

pub mod compare;
pub mod diagnose;
pub mod shard;
