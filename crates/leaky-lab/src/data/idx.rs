//! The IDX file format of MNIST: a big-endian header (magic number, then one u32 per dimension)
//! followed by the values, here unsigned bytes. Files may be gzip-compressed; the gzip magic
//! bytes decide, not the file name.

use std::fmt;
use std::io::{self, Read};

use flate2::read::GzDecoder;

/// The magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// The magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The side of an MNIST image in pixels.
pub const SIDE: usize = 28;
/// The number of pixels in an MNIST image.
pub const PIXELS: usize = SIDE * SIDE;

/// What is wrong with the bytes of an IDX file.
#[derive(Debug)]
pub enum IdxError {
    /// The gzip stream could not be decompressed.
    Gzip(io::Error),
    /// The file ends before its header does.
    TruncatedHeader {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes in the file.
        found: usize,
    },
    /// The magic number is not the one expected.
    BadMagic {
        /// The magic number read.
        found: u32,
        /// The magic number expected.
        expected: u32,
    },
    /// The images are not 28x28.
    WrongDims {
        /// Rows per image in the header.
        rows: usize,
        /// Columns per image in the header.
        cols: usize,
    },
    /// The data after the header is not as long as the header says.
    LengthMismatch {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// A label is not a digit 0 to 9.
    BadLabel {
        /// Its position in the file.
        index: usize,
        /// Its value.
        value: u8,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Gzip(err) => write!(f, "corrupt gzip data: {err}"),
            IdxError::TruncatedHeader { needed, found } => write!(
                f,
                "truncated: the IDX header needs {needed} bytes, the file has {found}"
            ),
            IdxError::BadMagic { found, expected } => write!(
                f,
                "not the expected IDX file: magic number {found:#010x}, expected {expected:#010x}"
            ),
            IdxError::WrongDims { rows, cols } => {
                write!(f, "images are {rows}x{cols} pixels, expected {SIDE}x{SIDE}")
            }
            IdxError::LengthMismatch { expected, found } if found < expected => write!(
                f,
                "truncated: the header announces {expected} data bytes, the file has {found}"
            ),
            IdxError::LengthMismatch { expected, found } => write!(
                f,
                "length mismatch: the header announces {expected} data bytes, the file has {found}"
            ),
            IdxError::BadLabel { index, value } => {
                write!(f, "label {index} is {value}, not a digit 0 to 9")
            }
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Gzip(err) => Some(err),
            _ => None,
        }
    }
}

/// The pixels of IDX images: `count` images of 28x28 bytes, row-major, 0 = background.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    /// How many images.
    pub count: usize,
    /// `count * 784` bytes.
    pub pixels: Vec<u8>,
}

/// Parses an IDX image file (`*-images-idx3-ubyte`, raw or gzip) of 28x28 images.
pub fn parse_images(bytes: &[u8]) -> Result<Images, IdxError> {
    let data = decompress(bytes)?;
    let (dims, body) = header(&data, IMAGES_MAGIC, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows != SIDE || cols != SIDE {
        return Err(IdxError::WrongDims { rows, cols });
    }
    check_length(body, count * PIXELS)?;
    Ok(Images {
        count,
        pixels: body.to_vec(),
    })
}

/// Parses an IDX label file (`*-labels-idx1-ubyte`, raw or gzip) of digits 0 to 9.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let data = decompress(bytes)?;
    let (dims, body) = header(&data, LABELS_MAGIC, 1)?;
    check_length(body, dims[0])?;
    if let Some(index) = body.iter().position(|&label| label > 9) {
        return Err(IdxError::BadLabel {
            index,
            value: body[index],
        });
    }
    Ok(body.to_vec())
}

/// Encodes images as a raw IDX file: the inverse of [`parse_images`] (for tests and tools).
pub fn encode_images(images: &Images) -> Vec<u8> {
    let mut out = encode_header(IMAGES_MAGIC, &[images.count, SIDE, SIDE]);
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as a raw IDX file: the inverse of [`parse_labels`] (for tests and tools).
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = encode_header(LABELS_MAGIC, &[labels.len()]);
    out.extend_from_slice(labels);
    out
}

fn encode_header(magic: u32, dims: &[usize]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for &dim in dims {
        let dim = u32::try_from(dim).expect("IDX dimensions fit in u32");
        out.extend_from_slice(&dim.to_be_bytes());
    }
    out
}

/// The bytes themselves, or their decompression when they start with the gzip magic bytes.
fn decompress(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, IdxError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(IdxError::Gzip)?;
        Ok(out.into())
    } else {
        Ok(bytes.into())
    }
}

/// Checks the magic number and returns the dimensions and the bytes after the header.
fn header(data: &[u8], magic: u32, rank: usize) -> Result<(Vec<usize>, &[u8]), IdxError> {
    let needed = 4 * (1 + rank);
    if data.len() < 4 {
        return Err(IdxError::TruncatedHeader {
            needed,
            found: data.len(),
        });
    }
    let found = read_u32(&data[..4]);
    if found != magic {
        return Err(IdxError::BadMagic {
            found,
            expected: magic,
        });
    }
    if data.len() < needed {
        return Err(IdxError::TruncatedHeader {
            needed,
            found: data.len(),
        });
    }
    let dims = data[4..needed]
        .chunks_exact(4)
        .map(|chunk| read_u32(chunk) as usize)
        .collect();
    Ok((dims, &data[needed..]))
}

fn check_length(body: &[u8], expected: usize) -> Result<(), IdxError> {
    if body.len() == expected {
        Ok(())
    } else {
        Err(IdxError::LengthMismatch {
            expected,
            found: body.len(),
        })
    }
}

fn read_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("four bytes"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn sample_images(count: usize) -> Images {
        Images {
            count,
            pixels: (0..count * PIXELS).map(|i| (i % 251) as u8).collect(),
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_raw_and_gzip_images() {
        let images = sample_images(3);
        let raw = encode_images(&images);
        assert_eq!(raw.len(), 16 + 3 * PIXELS);
        assert_eq!(parse_images(&raw).unwrap(), images);
        assert_eq!(parse_images(&gzip(&raw)).unwrap(), images);
    }

    #[test]
    fn reads_raw_and_gzip_labels() {
        let labels = vec![5, 0, 4, 1, 9];
        let raw = encode_labels(&labels);
        assert_eq!(parse_labels(&raw).unwrap(), labels);
        assert_eq!(parse_labels(&gzip(&raw)).unwrap(), labels);
    }

    #[test]
    fn rejects_truncated_data() {
        let raw = encode_images(&sample_images(2));
        let err = parse_images(&raw[..raw.len() - 1]).unwrap_err();
        assert!(matches!(
            err,
            IdxError::LengthMismatch { expected, found } if expected == 2 * PIXELS && found == 2 * PIXELS - 1
        ));
        assert!(err.to_string().starts_with("truncated"), "{err}");
        let err = parse_images(&raw[..10]).unwrap_err();
        assert!(matches!(
            err,
            IdxError::TruncatedHeader {
                needed: 16,
                found: 10
            }
        ));
        let err = parse_labels(&[]).unwrap_err();
        assert!(matches!(err, IdxError::TruncatedHeader { found: 0, .. }));
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut raw = encode_labels(&[1, 2, 3]);
        raw.push(4);
        let err = parse_labels(&raw).unwrap_err();
        assert!(matches!(
            err,
            IdxError::LengthMismatch {
                expected: 3,
                found: 4
            }
        ));
        assert!(err.to_string().starts_with("length mismatch"), "{err}");
    }

    #[test]
    fn rejects_bad_magic() {
        // Labels where images are expected, and images where labels are expected.
        let labels = encode_labels(&[1, 2, 3]);
        let err = parse_images(&labels).unwrap_err();
        assert!(matches!(
            err,
            IdxError::BadMagic {
                found: LABELS_MAGIC,
                expected: IMAGES_MAGIC
            }
        ));
        assert!(err.to_string().contains("0x00000801"), "{err}");
        let images = encode_images(&sample_images(1));
        assert!(matches!(
            parse_labels(&images).unwrap_err(),
            IdxError::BadMagic { .. }
        ));
        assert!(matches!(
            parse_labels(b"PNG not an IDX file").unwrap_err(),
            IdxError::BadMagic { .. }
        ));
    }

    #[test]
    fn rejects_wrong_dims() {
        let mut raw = encode_images(&sample_images(1));
        raw[8..12].copy_from_slice(&32u32.to_be_bytes());
        let err = parse_images(&raw).unwrap_err();
        assert!(matches!(err, IdxError::WrongDims { rows: 32, cols: 28 }));
    }

    #[test]
    fn rejects_labels_that_are_not_digits() {
        let err = parse_labels(&encode_labels(&[3, 10, 2])).unwrap_err();
        assert!(matches!(
            err,
            IdxError::BadLabel {
                index: 1,
                value: 10
            }
        ));
    }

    #[test]
    fn rejects_corrupt_gzip() {
        let mut gz = gzip(&encode_labels(&[1, 2, 3, 4, 5, 6, 7, 8]));
        let middle = gz.len() / 2;
        gz.truncate(middle);
        assert!(matches!(parse_labels(&gz).unwrap_err(), IdxError::Gzip(_)));
    }
}
