//! The experiments on the networks: dead units after training ([`dead`], [`diagnose`]) and as
//! it goes ([`measure`]), and activations compared on the same CNN and seeds ([`compare`]),
//! split across processes or machines ([`shard`]).

pub mod compare;
pub mod dead;
pub mod diagnose;
pub mod measure;
pub mod shard;
