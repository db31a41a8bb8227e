//! Profile CSS, second pass (issue #14), through the server functions, the pages and the
//! served files: re-saving keeps the style, clearing unlinks it, images are fetched once
//! from a server on loopback, re-encoded, stored and served from here, and what is not a
//! safe image is refused with the reason and never stored.

use std::{
    collections::HashMap,
    io::Cursor,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use image::{codecs::gif::GifEncoder, Delay, Frame, ImageFormat, Rgba, RgbaImage};
use serde_json::{json, Value};

use crate::support::TestApp;

/// Another host on loopback serving files (under whatever type it claims), counting requests.
#[derive(Clone)]
struct Peer {
    url: String,
    files: Arc<HashMap<&'static str, (&'static str, Vec<u8>)>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Peer {
    async fn start(files: Vec<(&'static str, &'static str, Vec<u8>)>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer = Peer {
            url: format!("http://{}", listener.local_addr().unwrap()),
            files: Arc::new(
                files
                    .into_iter()
                    .map(|(name, kind, bytes)| (name, (kind, bytes)))
                    .collect(),
            ),
            hits: Arc::default(),
        };
        let router = Router::new()
            .route("/{name}", get(serve))
            .with_state(peer.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        peer
    }

    fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    fn hits(&self, name: &str) -> usize {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

async fn serve(State(peer): State<Peer>, Path(name): Path<String>) -> Response {
    *peer.hits.lock().unwrap().entry(name.clone()).or_default() += 1;
    match peer.files.get(name.as_str()) {
        Some((kind, bytes)) => ([(header::CONTENT_TYPE, *kind)], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| {
        if (x + y) % 2 == 0 {
            Rgba([255, 105, 180, 255])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

fn blinking_gif() -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        for shade in [0u8, 255] {
            let frame = RgbaImage::from_pixel(8, 8, Rgba([shade, 0, 255, 255]));
            encoder
                .encode_frame(Frame::from_parts(
                    frame,
                    0,
                    0,
                    Delay::from_numer_denom_ms(200, 1),
                ))
                .unwrap();
        }
    }
    bytes
}

/// A PNG declaring 20000×20000 pixels (1.6 GB decoded): a real header with its checksum,
/// then too little data for any of it, which no decoder should ever reach.
fn bomb_png() -> Vec<u8> {
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
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        let body = [kind.as_slice(), data].concat();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }
    let mut header = 20_000u32.to_be_bytes().to_vec();
    header.extend_from_slice(&20_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

async fn save(app: &TestApp, session: &str, css: &str) -> Value {
    let response = app
        .post_form("/api/profiles/css", &[("custom_css", css)], Some(session))
        .await;
    assert_eq!(response.status(), 200, "saving {css:?}");
    response.json().await.unwrap()
}

async fn preview(app: &TestApp, session: &str, css: &str) -> Value {
    let response = app
        .post_form(
            "/api/profiles/css_preview",
            &[("custom_css", css)],
            Some(session),
        )
        .await;
    assert_eq!(response.status(), 200, "previewing {css:?}");
    response.json().await.unwrap()
}

async fn stored(app: &TestApp) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT custom_css, custom_css_source FROM users WHERE username = 'ana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// The profile page's stylesheet link, if any.
async fn stylesheet_link(app: &TestApp) -> Option<String> {
    let page = app.get("/@ana").await.text().await.unwrap();
    let link = page
        .split("<link id=\"profile-css\"")
        .nth(1)?
        .split('>')
        .next()?
        .to_owned();
    Some(
        link.split("href=\"")
            .nth(1)?
            .split('"')
            .next()?
            .replace("&amp;", "&"),
    )
}

fn removed(outcome: &Value) -> Vec<String> {
    outcome["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|why| why.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn saving_the_source_again_keeps_the_same_stylesheet() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let peer = Peer::start(vec![("tile.png", "image/png", png(16, 16))]).await;
    let source = format!(
        "body {{ background: pink url({}) repeat; }}\n\
         h1 {{ color: hotpink; text-shadow: 0 0 4px #fff, 0 0 12px #f0f }}\n\
         .top-friends li:nth-child(2n) a:hover {{ text-decoration: underline }}\n\
         @keyframes blink {{ 50% {{ opacity: 0 }} }}",
        peer.at("tile.png")
    );
    let first = save(&app, &ana, &source).await;
    assert!(removed(&first).is_empty(), "{first}");
    let (css, kept_source) = stored(&app).await;
    let css = css.expect("a sheet is stored");
    assert_eq!(
        kept_source.as_deref(),
        Some(source.as_str()),
        "the source is kept as typed"
    );
    assert_eq!(first["css"].as_str(), Some(css.as_str()));
    assert!(
        css.contains(".ts-profile {") && css.contains("url(\"/media/css/"),
        "{css}"
    );
    assert!(
        !css.contains("127.0.0.1") && !css.contains(".ts-profile .ts-profile"),
        "{css}"
    );

    // The settings show the source, not the output.
    let settings = app.get_as(&ana, "/settings").await.text().await.unwrap();
    assert!(
        settings.contains(&peer.at("tile.png")) && !settings.contains("/media/css/"),
        "the settings show the output"
    );

    // Saving the source again, or (as the settings used to offer) the output, changes nothing;
    // neither does previewing it.
    assert_eq!(
        save(&app, &ana, &source).await["css"].as_str(),
        Some(css.as_str())
    );
    assert_eq!(stored(&app).await.0.as_deref(), Some(css.as_str()));
    assert_eq!(
        preview(&app, &ana, &source).await["css"].as_str(),
        Some(css.as_str())
    );
    let again = save(&app, &ana, &css).await;
    assert_eq!(
        again["css"].as_str(),
        Some(css.as_str()),
        "sanitizing the output again changed it"
    );
    assert!(removed(&again).is_empty(), "{again}");
    let href = stylesheet_link(&app)
        .await
        .expect("the profile links its sheet");
    assert_eq!(app.get(&href).await.text().await.unwrap(), css);

    // Fetched once, for all of that.
    assert_eq!(peer.hits("tile.png"), 1);
}

#[tokio::test]
async fn clearing_the_css_unlinks_the_stylesheet() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    save(&app, &ana, "body { color: red }").await;
    assert!(stylesheet_link(&app).await.is_some());

    for blank in ["", "\n", "  \t\r\n  "] {
        save(&app, &ana, "body { color: red }").await;
        let cleared = save(&app, &ana, blank).await;
        assert_eq!(cleared, json!({ "css": "", "removed": [] }));
        assert_eq!(stored(&app).await, (None, None), "{blank:?}");
        assert_eq!(stylesheet_link(&app).await, None, "{blank:?}");
        assert_eq!(app.get("/@ana/style.css").await.status(), 404);
    }

    // A source that keeps nothing is kept (to edit), but links no sheet.
    let outcome = save(
        &app,
        &ana,
        "/* a note to self */\n@import url(https://x.example/a.css);",
    )
    .await;
    assert_eq!(outcome["css"], "");
    assert_eq!(
        stored(&app).await,
        (
            None,
            Some("/* a note to self */\n@import url(https://x.example/a.css);".to_owned())
        )
    );
    assert_eq!(stylesheet_link(&app).await, None);
}

#[tokio::test]
async fn images_are_fetched_once_re_encoded_and_served_from_here() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let tile = png(16, 16);
    let peer = Peer::start(vec![
        ("tile.png", "image/png", tile.clone()),
        ("blink.gif", "image/gif", blinking_gif()),
    ])
    .await;
    let source = format!(
        "body {{ background: url({}) }}\nh1::before {{ content: url('{}') }}\nh2 {{ background-image: url({}) }}",
        peer.at("tile.png"),
        peer.at("blink.gif"),
        peer.at("tile.png")
    );
    // Previews fetch once and are remembered; the save reuses what they fetched.
    let previewed = preview(&app, &ana, &source).await;
    assert!(removed(&previewed).is_empty(), "{previewed}");
    preview(&app, &ana, &source).await;
    let saved = save(&app, &ana, &source).await;
    assert_eq!(saved, previewed);
    assert_eq!((peer.hits("tile.png"), peer.hits("blink.gif")), (1, 1));

    let href = stylesheet_link(&app).await.unwrap();
    let served = app.get(&href).await.text().await.unwrap();
    assert!(
        !served.contains("127.0.0.1") && !served.contains("http:"),
        "{served}"
    );
    let paths: Vec<String> = served
        .split("url(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(paths.len(), 3, "{served}");
    assert_eq!(paths[0], paths[2], "one copy of one image");
    assert!(
        paths[0].starts_with("/media/css/") && paths[0].ends_with(".png"),
        "{paths:?}"
    );
    assert!(paths[1].ends_with(".gif"), "{paths:?}");

    let response = app.get(&paths[0]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap();
    let sha256 = paths[0]
        .trim_start_matches("/media/css/")
        .trim_end_matches(".png");
    assert_eq!(
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        sha256,
        "named by its content"
    );
    let copy = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        copy.to_rgba8(),
        image::load_from_memory(&tile).unwrap().to_rgba8(),
        "the same picture"
    );
    let gif = app.get(&paths[1]).await;
    assert_eq!(gif.headers()["content-type"], "image/gif");

    let (owner, count): (String, i64) = sqlx::query_as(
        "SELECT u.username, count(DISTINCT i.sha256) FROM css_images i JOIN css_image_sources s ON s.sha256 = i.sha256
           JOIN users u ON u.id = s.owner_id GROUP BY u.username",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((owner.as_str(), count), ("ana", 2), "stored with the owner");

    // Only names this site gave: another extension, another hash or a path are 404.
    for wrong in [
        paths[0].replace(".png", ".gif"),
        format!("/media/css/{}.png", "0".repeat(64)),
        "/media/css/x.png".into(),
        "/media/css/..%2f..%2fetc%2fpasswd".into(),
    ] {
        assert_eq!(app.get(&wrong).await.status(), 404, "{wrong}");
    }
}

#[tokio::test]
async fn what_is_not_a_safe_image_is_refused_with_the_reason_and_not_stored() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec();
    let mut oversized = png(4, 4);
    oversized.resize(3 * 1024 * 1024, 0);
    let peer = Peer::start(vec![
        (
            "page.png",
            "image/png",
            b"<!doctype html><script>alert(1)</script>".to_vec(),
        ),
        ("logo.svg", "image/svg+xml", svg.clone()),
        ("logo-as-png.png", "image/png", svg),
        ("big.png", "image/png", oversized),
        ("bomb.png", "image/png", bomb_png()),
    ])
    .await;
    let names = [
        "page.png",
        "logo.svg",
        "logo-as-png.png",
        "big.png",
        "bomb.png",
        "missing.png",
    ];
    let source: String = names
        .iter()
        .enumerate()
        .map(|(index, name)| format!(".r{index} {{ background: url({}) }}\n", peer.at(name)))
        .chain(["p { color: red }".to_owned()])
        .collect();
    let outcome = save(&app, &ana, &source).await;
    let reasons = removed(&outcome);
    let expected = [
        "it is not a PNG, JPEG, GIF or WebP image",
        "it is not a PNG, JPEG, GIF or WebP image",
        "it is not a PNG, JPEG, GIF or WebP image",
        "it is larger than 2048 KiB",
        "it is 20000×20000 pixels; the limit is 2048×2048",
        "its server answered HTTP 404",
    ];
    assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
    for ((line, name), (reason, why)) in names.iter().enumerate().zip(reasons.iter().zip(expected))
    {
        assert_eq!(
            reason,
            &format!(
                "line {}: removed the image {}: {why}",
                line + 1,
                peer.at(name)
            )
        );
    }
    let (css, _) = stored(&app).await;
    assert_eq!(css.as_deref(), Some(".ts-profile p {\n  color: red;\n}\n"));
    let images: i64 = sqlx::query_scalar("SELECT count(*) FROM css_images")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(images, 0, "nothing refused is stored");

    // A preview believes the refusals for a while; a save asks again.
    preview(&app, &ana, &source).await;
    assert_eq!(peer.hits("bomb.png"), 1);
    save(&app, &ana, &source).await;
    assert_eq!(peer.hits("bomb.png"), 2);
}

#[tokio::test]
async fn a_sheet_saved_before_sources_were_kept_loses_its_remote_images() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let old = ".ts-profile {\n  color: red;\n}\n\n.ts-profile h1 {\n  background: pink url(\"https://img.example/tile.png\");\n}\n";
    sqlx::query("UPDATE users SET custom_css = $1")
        .bind(old)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let href = stylesheet_link(&app).await.unwrap();
    let served = app.get(&href).await.text().await.unwrap();
    assert_eq!(served, ".ts-profile {\n  color: red;\n}\n");
    // The old form becomes the source, so that saving it in the settings copies the image.
    assert_eq!(stored(&app).await, (Some(served), Some(old.to_owned())));
    let settings = app.get_as(&ana, "/settings").await.text().await.unwrap();
    assert!(settings.contains("https://img.example/tile.png"));
}

#[tokio::test]
async fn the_client_api_saves_the_source_and_gives_it_back() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let made: Value = app
        .post_form("/api/api_keys/create", &[("name", "css bot")], Some(&ana))
        .await
        .json()
        .await
        .unwrap();
    let key = made["secret"].as_str().unwrap();
    let source = "body { color: red }\np:has(a) { color: blue }";
    let edited = app
        .http
        .patch(format!("{}/api/v1/accounts/update_credentials", app.url))
        .bearer_auth(key)
        .json(&json!({ "custom_css": source }))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    assert_eq!(
        stored(&app).await,
        (
            Some(".ts-profile {\n  color: red;\n}\n".to_owned()),
            Some(source.to_owned())
        )
    );
    let me: Value = app
        .http
        .get(format!("{}/api/v1/accounts/verify_credentials", app.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["source"]["custom_css"], source);
}
