//! Local copies of the images profile CSS names (issue #14): no served stylesheet makes a
//! visitor's browser ask another host for anything, so no owner learns who looked, when,
//! from where, or what they hovered.
//!
//! Each https image a sheet names is fetched once per owner, when the sheet is saved or
//! previewed, through the federation client (no private addresses: no SSRF). It must be a
//! PNG, JPEG, GIF or WebP by its content (magic bytes, whatever the server claims), within
//! [`MAX_SIDE`] pixels a side, and is decoded within memory limits and re-encoded in its own
//! format (which drops whatever else the file carried: metadata, trailing data, a script
//! pretending to be a picture). The copy is stored in PostgreSQL under the SHA-256 of its
//! bytes and served at `/media/css/{sha256}.{ext}`, forever the same (immutable). The
//! sanitizer then writes that path in place of the address; an image that cannot be copied
//! is removed, with the reason, like anything else the sanitizer removes.
//!
//! The work of one save or preview is bounded: at most [`MAX_IMAGES`] images, each at most
//! [`MAX_DOWNLOAD_BYTES`] as fetched and [`MAX_TOTAL_BYTES`] together, all within
//! [`FETCH_BUDGET`], two decodings at a time on the whole server, and at most
//! [`MAX_FETCHES_PER_HOUR`] fetches per owner an hour. A preview reuses what an earlier
//! preview or save fetched (refusals for [`REMEMBER_REFUSALS`]); a save retries refusals.
//! Copies that no saved sheet names are let go an hour after they were fetched.

use std::{
    collections::HashMap,
    io::Cursor,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use image::{
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
    },
    AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};
use uuid::Uuid;

use super::{custom_css::LOCAL_COPY_PREFIX, federation::client::Client, Backend};
use crate::error::AppError;

/// Distinct remote images one sheet may name.
pub const MAX_IMAGES: usize = 8;
/// One image as fetched.
pub const MAX_DOWNLOAD_BYTES: usize = 2 * 1024 * 1024;
/// All images of one save or preview, as fetched.
pub const MAX_TOTAL_BYTES: usize = 8 * 1024 * 1024;
/// One image once re-encoded (lossless WebP and PNG may grow).
pub const MAX_STORED_BYTES: usize = 4 * 1024 * 1024;
/// Width and height, in pixels.
pub const MAX_SIDE: u32 = 2048;
/// Frames of an animated GIF, and their pixels together (each frame is decoded whole).
pub const MAX_FRAMES: usize = 200;
pub const MAX_ANIMATION_PIXELS: u64 = 8_000_000;
/// Memory one decoding may allocate.
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;
/// All fetching and decoding of one save or preview.
pub const FETCH_BUDGET: Duration = Duration::from_secs(10);
/// Fetches per owner an hour, refusals included: enough for previews of an address typed
/// a few letters at a time, too few to make this server anyone's fetching proxy.
pub const MAX_FETCHES_PER_HOUR: i64 = 100;
/// How long a preview believes an earlier refusal (a save asks again).
pub const REMEMBER_REFUSALS: Duration = Duration::from_secs(600);
const MAX_URL_BYTES: usize = 2048;
const ACCEPT_IMAGES: &str = "image/png, image/jpeg, image/gif, image/webp";

/// Decodings at a time, on the whole server: each may hold tens of MiB.
static DECODING: Semaphore = Semaphore::const_new(2);

/// Why images are wanted: a preview trusts a recent refusal, a save asks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Save,
    Preview,
}

/// A checked image, re-encoded, named by its SHA-256.
#[derive(Debug, Clone)]
pub struct LocalCopy {
    pub sha256: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl LocalCopy {
    pub fn path(&self) -> String {
        local_path(&self.sha256, self.content_type)
    }
}

/// The extension of a copy of `content_type`.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "png",
    }
}

fn local_path(sha256: &str, content_type: &str) -> String {
    format!("{LOCAL_COPY_PREFIX}{sha256}.{}", extension(content_type))
}

/// The local copy of each of `urls` for `owner` (by normalized address), or why there is
/// none: copies made before are reused, the others fetched now, within the bounds above.
pub async fn copies(
    backend: &Backend,
    owner: Uuid,
    urls: &[url::Url],
    purpose: Purpose,
) -> Result<HashMap<String, Result<String, String>>, AppError> {
    let mut result = HashMap::new();
    let mut wanted = Vec::new();
    for (index, url) in urls.iter().enumerate() {
        let refusal = if index >= MAX_IMAGES {
            Some(format!(
                "only {MAX_IMAGES} images are copied for one style sheet"
            ))
        } else if url.scheme() != "https" && !backend.federation.allows_private() {
            Some("only https images are copied".to_owned())
        } else if url.as_str().len() > MAX_URL_BYTES {
            Some(format!("its address is longer than {MAX_URL_BYTES} bytes"))
        } else {
            None
        };
        match refusal {
            Some(why) => {
                result.insert(url.to_string(), Err(why));
            }
            None => wanted.push(url.clone()),
        }
    }
    if wanted.is_empty() {
        return Ok(result);
    }

    /// What became of an address before.
    #[derive(sqlx::FromRow)]
    struct Earlier {
        url: String,
        sha256: Option<String>,
        content_type: Option<String>,
        refusal: Option<String>,
        recent: bool,
    }
    let addresses: Vec<&str> = wanted.iter().map(url::Url::as_str).collect();
    let known: Vec<Earlier> = sqlx::query_as(
        "SELECT s.url, s.sha256, i.content_type, s.refusal, s.fetched_at > now() - make_interval(secs => $3) AS recent
           FROM css_image_sources s LEFT JOIN css_images i ON i.sha256 = s.sha256
          WHERE s.owner_id = $1 AND s.url = ANY($2)",
    )
    .bind(owner)
    .bind(&addresses)
    .bind(REMEMBER_REFUSALS.as_secs_f64())
    .fetch_all(&backend.pool)
    .await?;
    let mut to_fetch = Vec::new();
    for url in wanted {
        let earlier = known.iter().find(|earlier| earlier.url == url.as_str());
        match earlier {
            Some(Earlier {
                sha256: Some(sha256),
                content_type: Some(content_type),
                ..
            }) => {
                result.insert(url.to_string(), Ok(local_path(sha256, content_type)));
            }
            Some(Earlier {
                refusal: Some(refusal),
                recent: true,
                ..
            }) if purpose == Purpose::Preview => {
                result.insert(url.to_string(), Err(refusal.clone()));
            }
            _ => to_fetch.push(url),
        }
    }
    if to_fetch.is_empty() {
        return Ok(result);
    }

    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM css_image_sources WHERE owner_id = $1 AND fetched_at > now() - interval '1 hour'",
    )
    .bind(owner)
    .fetch_one(&backend.pool)
    .await?;
    let allowed = usize::try_from(MAX_FETCHES_PER_HOUR.saturating_sub(recent)).unwrap_or(0);
    if to_fetch.len() > allowed {
        for url in to_fetch.drain(allowed..) {
            let why = format!("{MAX_FETCHES_PER_HOUR} images were fetched for you in the last hour; try again later");
            result.insert(url.to_string(), Err(why));
        }
    }

    let deadline = Instant::now() + FETCH_BUDGET;
    let fetched = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for url in to_fetch {
        let client = backend.federation.clone();
        let fetched = fetched.clone();
        tasks.spawn(async move {
            let outcome =
                tokio::time::timeout_at(deadline, fetch_and_copy(&client, &url, &fetched))
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "fetching it took longer than {} seconds",
                            FETCH_BUDGET.as_secs()
                        ))
                    });
            (url, outcome)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (url, outcome) = match joined {
            Ok(done) => done,
            Err(error) => {
                tracing::error!(%error, "copying an image failed");
                continue;
            }
        };
        let copied = record(&backend.pool, owner, &url, outcome).await?;
        result.insert(url.to_string(), copied);
    }
    Ok(result)
}

async fn fetch_and_copy(
    client: &Client,
    url: &url::Url,
    fetched: &AtomicUsize,
) -> Result<LocalCopy, String> {
    let bytes = client
        .get_bytes(
            url.as_str(),
            ACCEPT_IMAGES,
            MAX_DOWNLOAD_BYTES,
            FETCH_BUDGET,
        )
        .await?;
    let total = fetched.fetch_add(bytes.len(), Ordering::Relaxed) + bytes.len();
    if total > MAX_TOTAL_BYTES {
        return Err(format!(
            "the images together are larger than {} MiB",
            MAX_TOTAL_BYTES / (1024 * 1024)
        ));
    }
    // The permit goes with the decoding: a caller that gave up does not free it early.
    let permit = DECODING
        .acquire()
        .await
        .map_err(|_| "the server is shutting down".to_owned())?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        process(&bytes)
    })
    .await
    .unwrap_or_else(|_| Err("it could not be read as an image".into()))
}

/// Stores what became of `url` for `owner`; the copy's path, or why there is none.
async fn record(
    pool: &PgPool,
    owner: Uuid,
    url: &url::Url,
    outcome: Result<LocalCopy, String>,
) -> Result<Result<String, String>, AppError> {
    let mut transaction = pool.begin().await?;
    let (sha256, refusal) = match &outcome {
        Ok(copy) => {
            sqlx::query(
                "INSERT INTO css_images (sha256, content_type, bytes, width, height) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&copy.sha256)
            .bind(copy.content_type)
            .bind(&copy.bytes)
            .bind(i32::try_from(copy.width).unwrap_or(i32::MAX))
            .bind(i32::try_from(copy.height).unwrap_or(i32::MAX))
            .execute(&mut *transaction)
            .await?;
            (Some(copy.sha256.as_str()), None)
        }
        Err(why) => (None, Some(why.as_str())),
    };
    sqlx::query(
        "INSERT INTO css_image_sources (owner_id, url, sha256, refusal) VALUES ($1, $2, $3, $4)
         ON CONFLICT (owner_id, url) DO UPDATE SET sha256 = EXCLUDED.sha256, refusal = EXCLUDED.refusal, fetched_at = now()",
    )
    .bind(owner)
    .bind(url.as_str())
    .bind(sha256)
    .bind(refusal)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(outcome.map(|copy| copy.path()))
}

/// After a save: the copies `in_use` (the saved sheet's addresses) are kept for as long as
/// the sheet names them; the owner's other addresses, and copies nobody names any more, are
/// let go an hour after they were fetched. After a preview (`in_use` is `None`), only the
/// letting go.
pub async fn tidy(pool: &PgPool, owner: Uuid, in_use: Option<&[String]>) -> Result<(), AppError> {
    let mut transaction = pool.begin().await?;
    if let Some(in_use) = in_use {
        sqlx::query("UPDATE css_image_sources SET in_use = (url = ANY($2)) WHERE owner_id = $1")
            .bind(owner)
            .bind(in_use)
            .execute(&mut *transaction)
            .await?;
    }
    sqlx::query("DELETE FROM css_image_sources WHERE owner_id = $1 AND NOT in_use AND fetched_at < now() - interval '1 hour'")
        .bind(owner)
        .execute(&mut *transaction)
        .await?;
    // Also those of deleted accounts. An hour old at least: a copy is stored with its first
    // source row, in one transaction, so a younger one is never without.
    sqlx::query(
        "DELETE FROM css_images i
          WHERE i.created_at < now() - interval '1 hour'
            AND NOT EXISTS (SELECT 1 FROM css_image_sources s WHERE s.sha256 = i.sha256)",
    )
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The copy served at `/media/css/{name}`: its content type and bytes.
pub async fn load(pool: &PgPool, name: &str) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let path = format!("{LOCAL_COPY_PREFIX}{name}");
    if !super::custom_css::is_local_copy(&path) {
        return Ok(None);
    }
    let Some((sha256, _)) = name.split_once('.') else {
        return Ok(None);
    };
    let found: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT content_type, bytes FROM css_images WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(pool)
            .await?;
    // Only under the name it was given: `{sha}.png` is not the GIF `{sha}.gif`.
    Ok(found.filter(|(content_type, _)| local_path(sha256, content_type) == path))
}

/// Checks that `bytes` are a PNG, JPEG, GIF or WebP image within the limits, by content,
/// and re-encodes it in its own format (a WebP losslessly; a GIF with all its frames).
pub fn process(bytes: &[u8]) -> Result<LocalCopy, String> {
    let format =
        sniff(bytes).ok_or_else(|| "it is not a PNG, JPEG, GIF or WebP image".to_owned())?;
    let (encoded, width, height) = match format {
        ImageFormat::Gif => reencode_gif(bytes)?,
        other => reencode_still(bytes, other)?,
    };
    if encoded.len() > MAX_STORED_BYTES {
        return Err(format!(
            "it is larger than {} MiB once re-encoded",
            MAX_STORED_BYTES / (1024 * 1024)
        ));
    }
    let content_type = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Gif => "image/gif",
        ImageFormat::WebP => "image/webp",
        _ => "image/png",
    };
    let sha256 = format!("{:x}", Sha256::digest(&encoded));
    Ok(LocalCopy {
        sha256,
        content_type,
        bytes: encoded,
        width,
        height,
    })
}

/// The format by the file's first bytes; what the server said it was does not count.
fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if bytes.get(..4) == Some(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("it has no pixels".into());
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "it is {width}×{height} pixels; the limit is {MAX_SIDE}×{MAX_SIDE}"
        ));
    }
    Ok(())
}

fn unreadable(error: image::ImageError) -> String {
    match error {
        image::ImageError::Limits(_) => "it needs too much memory to decode".into(),
        _ => "it could not be read as an image".into(),
    }
}

fn reencode_still(bytes: &[u8], format: ImageFormat) -> Result<(Vec<u8>, u32, u32), String> {
    // The header first, so a decompression bomb is refused before anything is decoded.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(unreadable)?;
    check_size(width, height)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let image = reader.decode().map_err(unreadable)?;
    let mut encoded = Cursor::new(Vec::new());
    let written = match format {
        ImageFormat::Jpeg => {
            JpegEncoder::new_with_quality(&mut encoded, 90).encode_image(&image.to_rgb8())
        }
        // The WebP encoder takes 8-bit RGB(A) only, and writes it losslessly.
        ImageFormat::WebP => {
            DynamicImage::ImageRgba8(image.to_rgba8()).write_to(&mut encoded, ImageFormat::WebP)
        }
        _ => image.write_to(&mut encoded, ImageFormat::Png),
    };
    written.map_err(|_| "it could not be re-encoded".to_owned())?;
    Ok((encoded.into_inner(), image.width(), image.height()))
}

fn reencode_gif(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), String> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    decoder.set_limits(limits()).map_err(unreadable)?;
    let per_frame = u64::from(width) * u64::from(height);
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        let frame = frame.map_err(unreadable)?;
        if frames.len() >= MAX_FRAMES {
            return Err(format!("it has more than {MAX_FRAMES} frames"));
        }
        if per_frame * (frames.len() as u64 + 1) > MAX_ANIMATION_PIXELS {
            return Err(format!(
                "its frames hold more than {MAX_ANIMATION_PIXELS} pixels together"
            ));
        }
        frames.push(frame);
    }
    if frames.is_empty() {
        return Err("it has no frames".into());
    }
    let mut encoded = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut encoded, 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| "it could not be re-encoded".to_owned())?;
        encoder
            .encode_frames(frames)
            .map_err(|_| "it could not be re-encoded".to_owned())?;
    }
    Ok((encoded, width, height))
}

#[cfg(test)]
mod tests;
