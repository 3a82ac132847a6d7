//! The checksum a checkpoint carries in its metadata: CRC-32 (the IEEE polynomial of gzip and
//! PNG) over everything a load uses, that is the metadata entries in key order and then the
//! tensors in name order (name, dtype, shape and bytes). Each piece is fed with its length in
//! front, so that two different contents never feed the same bytes.
//!
//! CRC-32 catches every burst of up to 32 flipped bits and misses other damage with odds of
//! 1 in 2³²; it is a check against accidents (a flipped bit, a partial copy), not against
//! someone who edits a file and recomputes it.

use std::collections::HashMap;

use safetensors::View;

/// The prefix of the checksum's value, naming the algorithm: `crc32:89abcdef`.
const CRC32_PREFIX: &str = "crc32:";

/// The checksum of a checkpoint's `metadata` (without the checksum's own entry) and `tensors`
/// (in any order), as written in the metadata.
pub(crate) fn checksum<'a>(
    metadata: &HashMap<String, String>,
    tensors: impl IntoIterator<Item = (&'a str, &'a dyn View)>,
) -> String {
    let mut hasher = crc32fast::Hasher::new();
    let mut piece = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    let mut entries: Vec<(&String, &String)> = metadata.iter().collect();
    entries.sort();
    piece(&(entries.len() as u64).to_le_bytes());
    for (key, value) in entries {
        piece(key.as_bytes());
        piece(value.as_bytes());
    }
    let mut tensors: Vec<(&str, &dyn View)> = tensors.into_iter().collect();
    tensors.sort_by_key(|&(name, _)| name);
    for (name, tensor) in tensors {
        piece(name.as_bytes());
        piece(format!("{:?}", tensor.dtype()).as_bytes());
        let shape: Vec<u8> = tensor
            .shape()
            .iter()
            .flat_map(|&dim| (dim as u64).to_le_bytes())
            .collect();
        piece(&shape);
        piece(&tensor.data());
    }
    format!("{CRC32_PREFIX}{:08x}", hasher.finalize())
}

/// Whether `value` has the form of a checksum: how a load recognises a checksum whose key was
/// damaged, rather than take the file for one written before checksums.
pub(crate) fn is_checksum(value: &str) -> bool {
    value.starts_with(CRC32_PREFIX)
}
