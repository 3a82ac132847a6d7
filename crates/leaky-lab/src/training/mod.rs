//! The training loops, each resumable from its checkpoints: the classifier ([`train_cnn`]) and
//! the GAN ([`train_gan`]), and how a classifier scores generated digits ([`score`]).

pub mod score;
pub mod train_cnn;
pub mod train_gan;
