//! The digits: MNIST read from its IDX files ([`idx`]), split and batched as tensors
//! ([`dataset`]), and single pictures read and written ([`images`]).

pub mod dataset;
pub mod idx;
pub mod images;
