//! Digits as PNG pictures: grids of generated digits, and single digits read for classification.

use std::path::Path;

use image::codecs::png::PngEncoder;
use image::imageops::{self, FilterType};
use image::{ExtendedColorType, GrayImage, ImageEncoder, ImageReader, Limits};

use crate::data::idx::{PIXELS, SIDE};
use crate::error::LabError;
use crate::files::atomic;

/// Pixels between digits, and around the grid.
const GAP: usize = 2;
/// The widest and tallest picture [`read_digit`] decodes, in pixels.
const MAX_SIDE: u32 = 8192;
/// The most memory [`read_digit`] lets the decoder take (a 4096x4096 RGBA picture): a header
/// announcing more is refused before anything is allocated.
const MAX_DECODED_BYTES: u64 = 64 << 20;

/// Writes digits (784 pixels each, 0 = background) as a PNG grid with `columns` per row, white
/// ink on black as in MNIST, atomically.
pub fn write_grid(path: &Path, pixels: &[u8], columns: usize) -> Result<(), LabError> {
    let count = pixels.len() / PIXELS;
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns);
    let width = columns * (SIDE + GAP) + GAP;
    let height = rows * (SIDE + GAP) + GAP;
    let mut canvas = vec![0u8; width * height];
    for (i, digit) in pixels.chunks_exact(PIXELS).enumerate() {
        let (left, top) = (
            GAP + (i % columns) * (SIDE + GAP),
            GAP + (i / columns) * (SIDE + GAP),
        );
        for (y, row) in digit.chunks_exact(SIDE).enumerate() {
            let start = (top + y) * width + left;
            canvas[start..start + SIDE].copy_from_slice(row);
        }
    }
    atomic::write_with(path, |out| {
        PngEncoder::new(out)
            .write_image(&canvas, width as u32, height as u32, ExtendedColorType::L8)
            .map_err(std::io::Error::other)
    })
}

/// Reads a picture of one digit as 784 pixels in MNIST's convention (0 = background): converted
/// to greyscale, resized to 28x28 if needed, and inverted if it is dark ink on a light background
/// (judged by the mean of its border pixels). Pictures over 8192 pixels a side, or over 64 MiB
/// decoded, are refused before anything is allocated.
pub fn read_digit(path: &Path) -> Result<Vec<u8>, LabError> {
    let image_error = |message: String| LabError::Image {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = ImageReader::open(path).map_err(|e| image_error(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| image_error(e.to_string()))?;
    let mut grey: GrayImage = picture.to_luma8();
    if grey.dimensions() != (SIDE as u32, SIDE as u32) {
        grey = imageops::resize(&grey, SIDE as u32, SIDE as u32, FilterType::Triangle);
    }
    let mut pixels = grey.into_raw();
    let border: Vec<u8> = (0..PIXELS)
        .filter(|i| {
            let (x, y) = (i % SIDE, i / SIDE);
            x == 0 || y == 0 || x == SIDE - 1 || y == SIDE - 1
        })
        .map(|i| pixels[i])
        .collect();
    let border_mean = border.iter().map(|&p| f64::from(p)).sum::<f64>() / border.len() as f64;
    if border_mean > 127.5 {
        pixels.iter_mut().for_each(|p| *p = 255 - *p);
    }
    Ok(pixels)
}
