//! Mutations that know a format, so that inputs get past its outer checks to the parsing
//! behind them: IDX bytes mutated inside a valid gzip stream; PNG chunks mutated with their
//! CRCs fixed; one JSON value replaced or removed; a checkpoint's metadata entry or tensor
//! changed, with its checksum recomputed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use leaky_lab::files::checkpoint::{Checkpoint, Kind};
use serde_json::Value;

use crate::engine::{Rng, mutate_bytes};

/// The IDX bytes (decompressed if need be) mutated, then gzipped.
pub fn inside_gzip(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    let raw = match input.starts_with(&[0x1f, 0x8b]) {
        true => {
            let mut raw = Vec::new();
            GzDecoder::new(input)
                .take(1 << 20)
                .read_to_end(&mut raw)
                .ok()?;
            raw
        }
        false => input.to_vec(),
    };
    Some(gzip(&mutate_bytes(rng, &raw, &[])))
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The signature every PNG file starts with.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// A PNG with one chunk changed (its bytes mutated; the header's sizes, depth or colour type set
/// to boundary values), dropped or repeated, and every chunk's CRC recomputed.
pub fn png_chunks(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    let mut rest = input.strip_prefix(&PNG_SIGNATURE)?;
    let mut chunks: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = rest[4..8].try_into().unwrap();
        let data = rest.get(8..8 + len)?.to_vec();
        chunks.push((kind, data));
        rest = rest.get(12 + len..)?;
    }
    if chunks.is_empty() {
        return None;
    }
    let i = rng.below(chunks.len());
    match rng.below(5) {
        0 => chunks[i].1 = mutate_bytes(rng, &chunks[i].1, &[]),
        1 | 2 if &chunks[0].0 == b"IHDR" && chunks[0].1.len() == 13 => {
            let header = &mut chunks[0].1;
            let sizes = [
                0u32,
                1,
                27,
                28,
                29,
                8192,
                8193,
                12000,
                65535,
                1 << 20,
                u32::MAX,
            ];
            // The width, the height, or both.
            for at in [0, 4] {
                if rng.below(3) > 0 {
                    let size = *rng.pick(&sizes);
                    header[at..at + 4].copy_from_slice(&size.to_be_bytes());
                }
            }
            header[8] = *rng.pick(&[1, 2, 4, 8, 16, 3, 0]);
            header[9] = *rng.pick(&[0, 2, 3, 4, 6, 1, 7]);
            header[12] = *rng.pick(&[0, 1, 2]);
        }
        3 => {
            chunks.remove(i);
        }
        _ => {
            let chunk = chunks[i].clone();
            chunks.insert(i, chunk);
        }
    }
    let mut png = PNG_SIGNATURE.to_vec();
    for (kind, data) in chunks {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(&kind);
        png.extend_from_slice(&data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&kind);
        crc.update(&data);
        png.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    Some(png)
}

/// Values a JSON field is set to.
fn json_values() -> Vec<Value> {
    let json = r#"[0, -1, 1, 2, 3, 1.5, -0.0, 1e308, -1e308, 18446744073709551615,
        -9223372036854775808, 4294967296, true, false, null, "", "relu", "done", "failed",
        "NaN", "leaky_relu:alpha=0.2", [], {}, [0], {"index": 0, "count": 0}]"#;
    match serde_json::from_str(json).unwrap() {
        Value::Array(values) => values,
        _ => unreachable!("the list is an array"),
    }
}

/// A JSON document with one value (anywhere in it) replaced, copied from elsewhere, or removed.
pub fn json_value(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    let mut document: Value = serde_json::from_slice(input).ok()?;
    let mut pointers = Vec::new();
    collect_pointers(&document, String::new(), &mut pointers);
    let pointer = rng.pick(&pointers).clone();
    match rng.below(4) {
        0 | 1 => {
            let value = rng.pick(&json_values()).clone();
            *document.pointer_mut(&pointer)? = value;
        }
        2 => {
            let other = document.pointer(rng.pick::<String>(&pointers))?.clone();
            *document.pointer_mut(&pointer)? = other;
        }
        _ => {
            let (parent, key) = pointer.rsplit_once('/')?;
            match document.pointer_mut(parent)? {
                Value::Object(map) => {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                Value::Array(items) => {
                    let index: usize = key.parse().ok()?;
                    items.remove(index);
                }
                _ => return None,
            }
        }
    }
    Some(serde_json::to_vec_pretty(&document).unwrap())
}

/// The JSON pointer of every value in `value`, itself included.
fn collect_pointers(value: &Value, at: String, pointers: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                collect_pointers(item, format!("{at}/{key}"), pointers);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_pointers(item, format!("{at}/{i}"), pointers);
            }
        }
        _ => {}
    }
    pointers.push(at);
}

/// The metadata keys of the checkpoints.
const CHECKPOINT_KEYS: &[&str] = &[
    "activation",
    "channels1",
    "channels2",
    "hidden",
    "channels",
    "latent",
    "conditional",
    "epochs_done",
    "steps_done",
    "batch",
    "lr",
    "lr_decay",
    "max_shift",
    "seed",
    "bias_init",
    "data",
    "adam_steps",
    "sample_every",
    "history",
];

/// Values a checkpoint's metadata entry is set to.
const CHECKPOINT_VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "65536",
    "65537",
    "4294967296",
    "18446744073709551615",
    "1e300",
    "NaN",
    "inf",
    "",
    "true",
    "relu",
    "prelu:weight=0.25",
    "leaky_relu:alpha=1e308",
    "threshold:threshold=0,value=3e38",
    "[]",
    "{",
    r#"[{"epoch":1,"train_loss":1,"train_accuracy":1,"test_loss":1,"test_accuracy":1,"seconds":1}]"#,
    r#"[{"step":25,"d_loss":1,"g_loss":1}]"#,
];

/// A checkpoint with one metadata entry set to a boundary value, or one tensor replaced by a
/// zero tensor of another shape or type, saved with a checksum that matches.
pub fn checkpoint_fields(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    let path = scratch_file("mutate.safetensors");
    write_new(&path, input);
    let mut checkpoint = [Kind::Cnn, Kind::Generator, Kind::Discriminator]
        .into_iter()
        .find_map(|kind| Checkpoint::load(&path, kind).ok())?;
    if rng.below(3) < 2 {
        let key = *rng.pick::<&str>(CHECKPOINT_KEYS);
        let value = *rng.pick::<&str>(CHECKPOINT_VALUES);
        checkpoint.set(key, value);
    } else {
        let mut names: Vec<String> = checkpoint.tensors().keys().cloned().collect();
        names.sort();
        names.push("extra".into());
        let name = rng.pick(&names).clone();
        let rank = rng.below(5);
        let shape: Vec<usize> = (0..rank).map(|_| rng.below(10)).collect();
        let dtype = *rng.pick(&[
            DType::F32,
            DType::F64,
            DType::F16,
            DType::BF16,
            DType::U8,
            DType::U32,
            DType::I64,
        ]);
        let tensor = Tensor::zeros(shape, dtype, &Device::Cpu).ok()?;
        checkpoint.add_tensors([(name, tensor)]);
    }
    checkpoint.to_bytes().ok()
}

/// Writes `bytes` to `path` as a new file: removing the old one first spares the flush that
/// some file systems (ext4) make on closing a file that was truncated and rewritten, which
/// would make each input cost milliseconds.
pub fn write_new(path: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).unwrap();
}

/// A file named `name` in this thread's scratch folder ([`scratch_dir`]).
pub fn scratch_file(name: &str) -> PathBuf {
    scratch_dir().join(name)
}

/// A scratch folder of this thread's own in Cargo's test scratch directory, named after the
/// thread (the test), so that runs reuse it rather than pile up.
pub fn scratch_dir() -> PathBuf {
    let thread = std::thread::current();
    let name = match thread.name() {
        Some(name) => name.replace("::", "-"),
        None => format!("{:?}", thread.id()),
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-scratch")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
