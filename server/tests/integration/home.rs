//! The vertical slice: the home page is rendered on the server from a database query made
//! in a server function, pages are keyset-paged, and unknown URLs get a real 404.

use crate::support::{insert_thought, insert_user, TestApp};
use chrono::{Duration, TimeZone, Utc};

#[tokio::test]
async fn home_page_renders_the_newest_public_thoughts_on_the_server() {
    let app = TestApp::spawn().await;
    let ana = insert_user(&app.db.pool, "ana").await;
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    for i in 0..25 {
        insert_thought(
            &app.db.pool,
            ana,
            &format!("public thought {i}"),
            "public",
            start + Duration::minutes(i),
        )
        .await;
    }
    insert_thought(
        &app.db.pool,
        ana,
        "secret for followers",
        "followers",
        start + Duration::hours(1),
    )
    .await;
    insert_thought(
        &app.db.pool,
        ana,
        "private <b>note</b>",
        "private",
        start + Duration::hours(2),
    )
    .await;

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();

    assert_eq!(
        html.matches("class=\"thought\"").count(),
        20,
        "one page of 20"
    );
    assert!(html.contains("public thought 24"), "the newest first");
    assert!(
        !html.contains("public thought 4<"),
        "older ones are on the next page"
    );
    assert!(
        !html.contains("secret for followers") && !html.contains("private"),
        "only public thoughts"
    );
    assert!(html.contains("<title>Thoughtspace</title>"));
    assert!(html.contains("name=\"description\""));
    assert!(
        html.contains("/pkg/thoughtspace.js"),
        "the page loads the hydration bundle"
    );

    // Without JavaScript, "Load more" is a link to the next page.
    let href = link_href(&html, "load-more").expect("a load-more link");
    let next = app.get(&href).await.text().await.unwrap();
    assert_eq!(next.matches("class=\"thought\"").count(), 5);
    assert!(next.contains("public thought 4<") && next.contains("public thought 0<"));
    assert!(
        !next.contains("class=\"load-more\""),
        "the last page has no further link"
    );
}

#[tokio::test]
async fn the_timeline_server_function_pages_by_keyset_through_equal_timestamps() {
    let app = TestApp::spawn().await;
    let ana = insert_user(&app.db.pool, "ana").await;
    let same_instant = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
    let mut ids = Vec::new();
    for i in 0..45 {
        ids.push(insert_thought(&app.db.pool, ana, &format!("t{i}"), "public", same_instant).await);
    }

    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    for _ in 0..10 {
        let mut url = format!("{}/api/timeline/public", app.url);
        if let Some(token) = &before {
            url.push_str(&format!("?before={token}"));
        }
        let response = app.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let page: serde_json::Value = response.json().await.unwrap();
        for thought in page["thoughts"].as_array().unwrap() {
            seen.push(
                thought["id"]
                    .as_str()
                    .unwrap()
                    .parse::<uuid::Uuid>()
                    .unwrap(),
            );
        }
        match page["next"].as_object() {
            Some(next) => {
                let created_at: chrono::DateTime<Utc> =
                    next["created_at"].as_str().unwrap().parse().unwrap();
                let id: uuid::Uuid = next["id"].as_str().unwrap().parse().unwrap();
                before = Some(app::model::Cursor { created_at, id }.token());
            }
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        seen, expected,
        "every thought exactly once, newest (then highest id) first"
    );
}

#[tokio::test]
async fn a_malformed_cursor_is_refused_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/timeline/public?before=yesterday").await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "before", "{body}");

    let page = app.get("/?before=garbage").await;
    assert_eq!(
        page.status(),
        422,
        "the page rendering the refused call carries its status"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("before: is not a timeline position"));
}

#[tokio::test]
async fn an_empty_timeline_says_so() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("No thoughts yet."));
    assert!(!html.contains("class=\"load-more\""));
}

#[tokio::test]
async fn unknown_pages_are_a_real_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Nothing here"));
    assert!(html.contains("<title>Not found · Thoughtspace</title>"));
}

#[tokio::test]
async fn thought_text_is_escaped_never_rendered_as_html() {
    let app = TestApp::spawn().await;
    let ana = insert_user(&app.db.pool, "ana").await;
    insert_thought(
        &app.db.pool,
        ana,
        "<script>alert(1)</script> & <b>bold</b>",
        "public",
        Utc::now(),
    )
    .await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"));
    assert!(!html.contains("<script>alert(1)"));
}

#[tokio::test]
async fn responses_carry_baseline_security_headers() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(
        response.headers()["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
}

/// The href of the first `<a>` with the given class.
fn link_href(html: &str, class: &str) -> Option<String> {
    let at = html.find(&format!("class=\"{class}\""))?;
    let start = html[..at].rfind("<a ")?;
    let tag = &html[start..start + html[start..].find('>')?];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

#[tokio::test]
async fn pages_and_server_functions_are_compressed_for_browsers_that_accept_it() {
    let app = TestApp::spawn().await;
    let ana = insert_user(&app.db.pool, "ana").await;
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    for i in 0..20 {
        insert_thought(
            &app.db.pool,
            ana,
            &format!("public thought {i}"),
            "public",
            start + Duration::minutes(i),
        )
        .await;
    }
    let plain = app.get("/").await;
    assert!(
        plain.headers().get("content-encoding").is_none(),
        "nothing compressed for a client that did not ask"
    );
    let plain_size = plain.bytes().await.unwrap().len();

    for path in ["/", "/api/timeline/public"] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-encoding"], "gzip", "{path}");
        if path == "/" {
            let compressed = response.bytes().await.unwrap().len();
            assert!(
                compressed * 3 < plain_size,
                "{compressed} bytes gzip against {plain_size}"
            );
        }
    }
}
