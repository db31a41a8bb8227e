//! Checking and re-encoding images, without the network or a database.

use std::io::Cursor;

use image::{codecs::gif::GifEncoder, Delay, Frame, ImageFormat, Rgba, RgbaImage};

use super::*;

fn encoded(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    let image = DynamicImage::ImageRgba8(image.clone());
    let image = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        image
    };
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn checkerboard(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        if (x + y) % 2 == 0 {
            Rgba([255, 105, 180, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    })
}

/// An animated GIF of `frames` frames.
pub fn animated_gif(width: u32, height: u32, frames: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for index in 0..frames {
            let shade = u8::try_from(index % 256).unwrap();
            let image = RgbaImage::from_pixel(width, height, Rgba([shade, 0, 255 - shade, 255]));
            encoder
                .encode_frame(Frame::from_parts(
                    image,
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
        }
    }
    bytes
}

/// A PNG whose header declares `width`×`height` (a decompression bomb when large): only the
/// header is real, with its checksum, so a decoder believes it.
pub fn declared_png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&[kind.as_slice(), data].concat());
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    // An empty zlib stream: far too little data, which no decoder reaches.
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// CRC-32 (IEEE), bit by bit: PNG chunks carry one.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn each_format_is_re_encoded_in_its_own() {
    let image = checkerboard(31, 17);
    for (format, content_type, extension) in [
        (ImageFormat::Png, "image/png", "png"),
        (ImageFormat::Jpeg, "image/jpeg", "jpg"),
        (ImageFormat::Gif, "image/gif", "gif"),
        (ImageFormat::WebP, "image/webp", "webp"),
    ] {
        let copy =
            process(&encoded(&image, format)).unwrap_or_else(|why| panic!("{format:?}: {why}"));
        assert_eq!(
            (copy.content_type, copy.width, copy.height),
            (content_type, 31, 17),
            "{format:?}"
        );
        assert_eq!(image::guess_format(&copy.bytes).unwrap(), format);
        assert_eq!(copy.sha256, format!("{:x}", Sha256::digest(&copy.bytes)));
        assert!(
            copy.path().starts_with("/media/css/")
                && copy.path().ends_with(&format!(".{extension}")),
            "{}",
            copy.path()
        );
        assert!(crate::backend::custom_css::is_local_copy(&copy.path()));
        // The same picture gives the same copy: content-addressed.
        assert_eq!(
            process(&encoded(&image, format)).unwrap().sha256,
            copy.sha256
        );
    }
    let png = process(&encoded(&image, ImageFormat::Png)).unwrap();
    assert_eq!(
        image::load_from_memory(&png.bytes).unwrap().to_rgba8(),
        image,
        "PNG is lossless"
    );
}

#[test]
fn animated_gifs_keep_their_frames() {
    let copy = process(&animated_gif(8, 8, 5)).unwrap();
    assert_eq!(
        (copy.content_type, copy.width, copy.height),
        ("image/gif", 8, 8)
    );
    let frames = GifDecoder::new(Cursor::new(&copy.bytes))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[1].delay().numer_denom_ms(), (100, 1));

    let why = process(&animated_gif(1, 1, MAX_FRAMES + 1)).unwrap_err();
    assert_eq!(why, format!("it has more than {MAX_FRAMES} frames"));
    let why = process(&animated_gif(2000, 2000, 3)).unwrap_err();
    assert!(why.contains("frames hold more than"), "{why}");
}

#[test]
fn what_is_not_a_raster_image_is_refused_by_its_content() {
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><rect width='10' height='10'/></svg>";
    for (bytes, why) in [
        (svg.as_slice(), "it is not a PNG, JPEG, GIF or WebP image"),
        (
            b"<!doctype html><p>hi".as_slice(),
            "it is not a PNG, JPEG, GIF or WebP image",
        ),
        (b"".as_slice(), "it is not a PNG, JPEG, GIF or WebP image"),
        (
            b"BM\x00\x00".as_slice(),
            "it is not a PNG, JPEG, GIF or WebP image",
        ),
        (
            b"\x89PNG\r\n\x1a\nnot really".as_slice(),
            "it could not be read as an image",
        ),
        (
            b"RIFF\x00\x00\x00\x00WEBPVP8 ".as_slice(),
            "it could not be read as an image",
        ),
    ] {
        assert_eq!(
            process(bytes).unwrap_err(),
            why,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // A truncated file is not half a picture.
    let png = encoded(&checkerboard(64, 64), ImageFormat::Png);
    assert_eq!(
        process(&png[..png.len() / 2]).unwrap_err(),
        "it could not be read as an image"
    );
}

#[test]
fn decompression_bombs_are_refused_before_decoding() {
    assert_eq!(
        process(&declared_png(20_000, 20_000)).unwrap_err(),
        "it is 20000×20000 pixels; the limit is 2048×2048"
    );
    assert_eq!(
        process(&declared_png(2049, 1)).unwrap_err(),
        "it is 2049×1 pixels; the limit is 2048×2048"
    );
    // Within the limits, the same forged header is a broken file, not a 2048×2048 picture.
    assert_eq!(
        process(&declared_png(2048, 2048)).unwrap_err(),
        "it could not be read as an image"
    );
}

#[test]
fn what_rides_along_in_the_file_is_dropped() {
    // A picture with a script after its end (a polyglot) and text chunks: only pixels stay.
    let mut polyglot = encoded(&checkerboard(4, 4), ImageFormat::Png);
    polyglot.extend_from_slice(b"<script>alert(1)</script>");
    let copy = process(&polyglot).unwrap();
    assert!(
        !copy.bytes.windows(7).any(|window| window == b"<script"),
        "the trailing script survived"
    );
    assert_eq!(
        copy.bytes,
        process(&encoded(&checkerboard(4, 4), ImageFormat::Png))
            .unwrap()
            .bytes
    );
}
