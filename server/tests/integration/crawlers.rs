//! What crawlers and feed readers get: robots.txt, the sitemap, Atom feeds; never anything
//! that is not public.

use crate::support::TestApp;

async fn text(app: &TestApp, path: &str) -> (u16, String, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn robots_sitemap_and_feeds_list_only_public_things() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    for (content, visibility) in [
        ("hello <world> & #Sunny day", "public"),
        ("for followers #secret", "followers"),
        ("just me #hidden", "private"),
    ] {
        let response = app
            .post_form(
                "/api/thoughts/post",
                &[("content", content), ("visibility", visibility)],
                Some(&session),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    sqlx::query("INSERT INTO users (username, is_remote, ap_id, inbox_url) VALUES ('far@elsewhere.example', true, 'https://elsewhere.example/u/far', 'https://elsewhere.example/inbox')")
        .execute(&app.db.pool)
        .await
        .unwrap();

    let (status, kind, robots) = text(&app, "/robots.txt").await;
    assert_eq!((status, kind.as_str()), (200, "text/plain; charset=utf-8"));
    assert!(
        robots.contains(&format!("Sitemap: {}/sitemap.xml", app.url))
            && robots.contains("Disallow: /api/")
    );

    let (status, kind, sitemap) = text(&app, "/sitemap.xml").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/xml; charset=utf-8")
    );
    assert!(sitemap.contains(&format!("<loc>{}/@ana</loc>", app.url)));
    assert!(sitemap.contains(&format!("<loc>{}/tags/sunny</loc>", app.url)));
    assert!(
        !sitemap.contains("secret") && !sitemap.contains("hidden"),
        "tags of non-public thoughts are not listed"
    );
    assert!(!sitemap.contains("far@"), "remote people are not listed");

    let (status, kind, feed) = text(&app, "/@ana/feed.atom").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/atom+xml; charset=utf-8")
    );
    assert!(
        feed.contains("<title>hello &lt;world&gt; &amp; #Sunny day</title>"),
        "{feed}"
    );
    assert!(!feed.contains("for followers") && !feed.contains("just me"));
    assert_eq!(feed.matches("<entry>").count(), 1);
    let (_, _, tag_feed) = text(&app, "/tags/Sunny/feed.atom").await;
    assert_eq!(tag_feed.matches("<entry>").count(), 1);
    let (_, _, secret_feed) = text(&app, "/tags/secret/feed.atom").await;
    assert_eq!(secret_feed.matches("<entry>").count(), 0);
    assert_eq!(text(&app, "/@nobody/feed.atom").await.0, 404);

    // Pages point to their feeds.
    let (_, _, profile) = text(&app, "/@ana").await;
    assert!(
        profile.contains("type=\"application/atom+xml\"") && profile.contains("/@ana/feed.atom")
    );
    let (_, _, tag) = text(&app, "/tags/sunny").await;
    assert!(tag.contains("/tags/sunny/feed.atom"));
}

#[tokio::test]
async fn every_public_page_type_carries_its_meta_tags_and_no_private_content() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let mut ids = Vec::new();
    for (content, visibility) in [
        ("a public #sunny thought", "public"),
        ("followers-eyes-only #sunny", "followers"),
        ("secret-diary #sunny", "private"),
    ] {
        let response = app
            .post_form(
                "/api/thoughts/post",
                &[("content", content), ("visibility", visibility)],
                Some(&session),
            )
            .await;
        ids.push(response.json::<String>().await.unwrap());
    }
    let pages = [
        ("/".to_owned(), "website"),
        ("/public".to_owned(), "website"),
        ("/tags/sunny".to_owned(), "website"),
        ("/@ana".to_owned(), "profile"),
        (format!("/@ana/{}", ids[0]), "article"),
    ];
    for (path, kind) in pages {
        let (status, _, html) = text(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<html lang=\"en\">"), "{path}: lang");
        let has = |needle: &str| html.contains(needle);
        assert!(
            has("<title>") && has("name=\"description\""),
            "{path}: title and description"
        );
        assert!(
            has("rel=\"canonical\"") && has(&format!("content=\"{kind}\"")),
            "{path}: canonical and og:type {kind}"
        );
        for tag in ["og:title", "og:description", "og:url", "twitter:card"] {
            assert!(has(&format!("\"{tag}\"")), "{path}: {tag}");
        }
        assert!(
            !has("followers-eyes-only") && !has("secret-diary"),
            "{path}: nothing that is not public, for a visitor"
        );
    }
    // The thoughts that are not public are not found by a visitor at all.
    for id in &ids[1..] {
        assert_eq!(text(&app, &format!("/@ana/{id}")).await.0, 404);
    }
}
