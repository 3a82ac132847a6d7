//! Dead units, on cases whose answer is known.

mod common;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use leaky::Activation;
use leaky_lab::models::cnn::{Cnn, CnnConfig};
use leaky_lab::training::train_cnn::evaluate;
use leaky_lab::units::dead::DeathCounter;

fn tensor(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(values, shape, &Device::Cpu).unwrap()
}

#[test]
fn counts_dead_nearly_dead_and_negative_units_by_hand() {
    // Two examples; conv1 has 3 channels of 1×2 positions: channel 0 never > 0 (a 0 counts as
    // inactive), channel 1 > 0 at one position of one example, channel 2 always > 0.
    let conv1 = tensor(
        &[
            -1., 0., -2., 3., 1., 1., /* example 2 */ -1., -1., -1., -1., 2., 2.,
        ],
        &[2, 3, 1, 2],
    );
    let conv2 = tensor(&[1., -1., 1., -1.], &[2, 2, 1, 1]);
    let hidden = tensor(&[-1., 1., -1., -1.], &[2, 2]);
    let mut counter = DeathCounter::default();
    counter.add(&[conv1, conv2, hidden]).unwrap();
    let d = counter.finish();
    assert_eq!(d[0].layer, "conv1");
    assert_eq!(d[0].units, 3);
    assert_eq!(d[0].dead, 1.0 / 3.0);
    assert_eq!(d[0].nearly_dead, 1.0 / 3.0);
    assert_eq!(d[0].negative, 6.0 / 12.0, "a 0 is not negative");
    // Values sum to 2 and their squares to 28, over 12 values.
    assert!((d[0].mean - 1.0 / 6.0).abs() < 1e-12, "{}", d[0].mean);
    assert!(
        (d[0].std - 83f64.sqrt() / 6.0).abs() < 1e-12,
        "{}",
        d[0].std
    );
    assert_eq!((d[1].dead, d[1].negative), (0.5, 0.5));
    assert_eq!((d[2].dead, d[2].negative), (0.5, 0.75));
}

#[test]
fn a_unit_active_on_at_most_one_percent_is_nearly_dead_but_not_dead() {
    let mut counter = DeathCounter::default();
    // 200 examples over two batches of 100, three hidden units (value i is example i / 3, unit
    // i % 3): unit 0 is active on 1 example (0.5%), unit 1 on 2 (1%, the limit), unit 2 on 3.
    for batch in 0..2 {
        let mut hidden = vec![-1f32; 300];
        if batch == 0 {
            for i in [0, 1, 2, 5] {
                hidden[i] = 1.0;
            }
        } else {
            for i in [4, 8] {
                hidden[i] = 1.0;
            }
        }
        let conv = tensor(&[1.0; 100], &[100, 1, 1, 1]);
        counter
            .add(&[conv.clone(), conv, tensor(&hidden, &[100, 3])])
            .unwrap();
    }
    let d = counter.finish();
    assert_eq!((d[2].dead, d[2].nearly_dead), (0.0, 2.0 / 3.0));
    assert_eq!(
        (d[0].dead, d[0].nearly_dead, d[0].negative),
        (0.0, 0.0, 0.0)
    );
}

#[test]
fn a_hidden_layer_with_very_negative_biases_is_all_dead() {
    let config = CnnConfig {
        activation: Activation::Relu,
        channels1: 4,
        channels2: 4,
        hidden: 8,
    };
    let varmap = VarMap::new();
    let model = Cnn::seeded(config, &varmap, 3).unwrap();
    let data = common::small_split(0, 60);
    let before = evaluate(&model, &data.test).unwrap();
    assert!(before.dead[2].dead < 1.0, "{:?}", before.dead);
    let bias = varmap.data().lock().unwrap()["hidden.bias"].clone();
    bias.set(&tensor(&[-1e6; 8], &[8])).unwrap();
    let after = evaluate(&model, &data.test).unwrap();
    assert_eq!(after.dead[2].units, 8);
    assert_eq!((after.dead[2].dead, after.dead[2].nearly_dead), (1.0, 1.0));
    assert_eq!(after.dead[2].negative, 1.0);
    assert_eq!(after.dead[..2], before.dead[..2]);
}
