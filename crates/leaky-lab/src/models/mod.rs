//! The networks, as candle modules built on leaky's ops: the CNN classifier ([`cnn`]) and the
//! GAN ([`gan`]), with their seeded initial weights.

pub mod cnn;
pub mod gan;
mod init;
