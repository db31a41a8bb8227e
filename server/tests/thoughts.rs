//! Thoughts, visibility, replies, tags, mentions, follows and blocks through the server
//! functions, against real PostgreSQL.

mod support;

use support::TestApp;

/// Posts as `session`; returns the new thought's id or the refused response's JSON body.
async fn post(app: &TestApp, session: &str, content: &str, visibility: &str, reply_to: Option<&str>) -> Result<String, serde_json::Value> {
    let mut form = vec![("content", content), ("visibility", visibility)];
    if let Some(parent) = reply_to {
        form.push(("reply_to", parent));
    }
    let response = app.post_form("/api/thoughts/post", &form, Some(session)).await;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    if status.is_success() { Ok(body.as_str().unwrap().to_owned()) } else { Err(body) }
}

fn field(body: &serde_json::Value, name: &str) -> String {
    body["Invalid"].as_array().unwrap().iter().find(|e| e["field"] == name).unwrap()["message"].as_str().unwrap().to_owned()
}

/// The contents of a timeline page as `session` (or a visitor) sees it.
async fn contents(app: &TestApp, session: Option<&str>, path: &str) -> Vec<String> {
    let response = match session {
        Some(session) => app.get_as(session, path).await,
        None => app.get(path).await,
    };
    assert_eq!(response.status(), 200, "{path}");
    let page: serde_json::Value = response.json().await.unwrap();
    page["thoughts"].as_array().unwrap().iter().map(|t| t["content"].as_str().unwrap().to_owned()).collect()
}

async fn follow(app: &TestApp, session: &str, username: &str) -> reqwest::Response {
    app.post_form("/api/profiles/follow", &[("username", username)], Some(session)).await
}

async fn notifications(app: &TestApp, username: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT n.type, a.username FROM notifications n JOIN users u ON u.id = n.user_id JOIN users a ON a.id = n.actor_id
          WHERE u.username = $1 ORDER BY n.created_at, n.type",
    )
    .bind(username)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn thoughts_are_checked_stored_as_typed_and_tagged() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;

    let error = post(&app, &ana, "   ", "public", None).await.unwrap_err();
    assert!(field(&error, "content").contains("write something"));
    let error = post(&app, &ana, &"x".repeat(129), "public", None).await.unwrap_err();
    assert_eq!(field(&error, "content"), "use at most 128 characters (this has 129)");
    let error = post(&app, &ana, "hi", "everyone", None).await.unwrap_err();
    assert!(field(&error, "visibility").contains("public"));
    assert!(post(&app, &ana, &"👩‍👩‍👧".repeat(128), "public", None).await.is_ok(), "128 user-perceived characters fit");

    post(&app, &ana, "<b>Bold</b> #Rust and #rust and #Été", "public", None).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT content FROM thoughts WHERE content LIKE '<b>%'").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, "<b>Bold</b> #Rust and #rust and #Été");
    let tags: Vec<String> = sqlx::query_scalar("SELECT name FROM tags ORDER BY name").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(tags, ["rust", "été"]);
    assert_eq!(contents(&app, None, "/api/timeline/tag?tag=RUST").await, ["<b>Bold</b> #Rust and #rust and #Été"]);

    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("&lt;b&gt;Bold&lt;/b&gt;"), "escaped on output");
    assert!(html.contains("href=\"/tags/rust\""), "tags link to their timeline");
}

#[tokio::test]
async fn visibility_is_enforced_in_every_timeline() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    assert!(follow(&app, &bo, "ana").await.status().is_success());

    post(&app, &ana, "for everyone", "public", None).await.unwrap();
    post(&app, &ana, "for followers", "followers", None).await.unwrap();
    post(&app, &ana, "for me and @cy", "private", None).await.unwrap();
    post(&app, &ana, "just for me", "private", None).await.unwrap();

    let newest_first = |list: &[&str]| list.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(contents(&app, None, "/api/timeline/profile?username=ana").await, ["for everyone"]);
    assert_eq!(contents(&app, Some(&bo), "/api/timeline/profile?username=ana").await, newest_first(&["for everyone", "for followers"]));
    assert_eq!(contents(&app, Some(&cy), "/api/timeline/profile?username=ana").await, newest_first(&["for everyone", "for me and @cy"]));
    assert_eq!(contents(&app, Some(&ana), "/api/timeline/profile?username=ana").await.len(), 4);
    assert_eq!(contents(&app, Some(&bo), "/api/timeline/home").await, newest_first(&["for everyone", "for followers"]));
    assert!(contents(&app, Some(&cy), "/api/timeline/home").await.is_empty(), "cy follows nobody");
    for session in [None, Some(bo.as_str())] {
        assert_eq!(contents(&app, session, "/api/timeline/public").await, ["for everyone"], "the public timeline is public only");
    }
    assert_eq!(app.get("/api/timeline/home").await.status(), 401, "visitors have no home timeline");
}

#[tokio::test]
async fn blocks_hide_thoughts_both_ways_and_stop_follows_and_mentions() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    post(&app, &ana, "ana speaks", "public", None).await.unwrap();
    post(&app, &bo, "bo speaks", "public", None).await.unwrap();
    sqlx::query("INSERT INTO blocks (blocker_id, blocked_id) SELECT a.id, b.id FROM users a, users b WHERE a.username = 'ana' AND b.username = 'bo'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    assert_eq!(contents(&app, Some(&ana), "/api/timeline/public").await, ["ana speaks"], "the blocker does not see bo");
    assert_eq!(contents(&app, Some(&bo), "/api/timeline/public").await, ["bo speaks"], "the blocked does not see ana");
    assert_eq!(contents(&app, None, "/api/timeline/public").await.len(), 2, "visitors see both");
    assert_eq!(follow(&app, &bo, "ana").await.status(), 403);
    assert_eq!(follow(&app, &ana, "bo").await.status(), 403);

    post(&app, &bo, "hey @ana", "public", None).await.unwrap();
    assert!(notifications(&app, "ana").await.is_empty(), "no mention notification across a block");
    let ana_thought: String = sqlx::query_scalar("SELECT id::text FROM thoughts WHERE content = 'ana speaks'").fetch_one(&app.db.pool).await.unwrap();
    let error = post(&app, &bo, "reply", "public", Some(&ana_thought)).await.unwrap_err();
    assert!(field(&error, "reply_to").contains("cannot be replied to"));
}

#[tokio::test]
async fn replies_mentions_and_follows_notify() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let parent = post(&app, &ana, "what do you think, @bo?", "public", None).await.unwrap();
    assert!(follow(&app, &bo, "ana").await.status().is_success());
    assert!(follow(&app, &bo, "ANA").await.status().is_success(), "following twice changes nothing");
    post(&app, &bo, "I think @ana is right", "public", Some(&parent)).await.unwrap();
    post(&app, &ana, "talking to myself @ana", "public", None).await.unwrap();

    assert_eq!(notifications(&app, "bo").await, [("mention".to_owned(), "ana".to_owned())]);
    assert_eq!(
        notifications(&app, "ana").await,
        [("follow".to_owned(), "bo".to_owned()), ("reply".to_owned(), "bo".to_owned())],
        "one reply notification even though the reply also mentions ana; none for yourself"
    );

    let error = follow(&app, &ana, "ana").await;
    assert_eq!(error.status(), 422);
    assert_eq!(follow(&app, &ana, "nobody").await.status(), 404);
    assert!(app.post_form("/api/profiles/unfollow", &[("username", "ana")], Some(&bo)).await.status().is_success());
    let follows: i64 = sqlx::query_scalar("SELECT count(*) FROM follows").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(follows, 0);
}

#[tokio::test]
async fn threads_keep_deleted_thoughts_in_place() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let root = post(&app, &ana, "root", "public", None).await.unwrap();
    let middle = post(&app, &bo, "middle", "public", Some(&root)).await.unwrap();
    let leaf = post(&app, &ana, "leaf", "public", Some(&middle)).await.unwrap();
    let secret = post(&app, &ana, "secret reply", "private", Some(&middle)).await.unwrap();

    let thread: serde_json::Value = app.get(&format!("/api/thoughts/thread?username=bo&id={middle}")).await.json().await.unwrap();
    assert_eq!(thread["ancestors"][0]["content"], "root");
    assert_eq!(thread["thought"]["content"], "middle");
    let replies: Vec<&str> = thread["replies"].as_array().unwrap().iter().map(|r| r["content"].as_str().unwrap()).collect();
    assert_eq!(replies, ["leaf"], "the private reply is not shown to a visitor");

    assert_eq!(app.post_form("/api/thoughts/delete", &[("id", &middle)], Some(&ana)).await.status(), 404, "only the author deletes");
    assert!(app.post_form("/api/thoughts/delete", &[("id", &middle)], Some(&bo)).await.status().is_success());
    assert_eq!(app.get(&format!("/api/thoughts/thread?username=bo&id={middle}")).await.status(), 410);
    assert_eq!(app.get(&format!("/@bo/{middle}")).await.status(), 410);

    let thread: serde_json::Value = app.get(&format!("/api/thoughts/thread?username=ana&id={leaf}")).await.json().await.unwrap();
    let ancestors = thread["ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 2, "the deleted middle keeps its place");
    assert_eq!(ancestors[1]["deleted"], true);
    assert_eq!(ancestors[1]["content"], "");

    let error = post(&app, &ana, "too late", "public", Some(&middle)).await.unwrap_err();
    assert!(field(&error, "reply_to").contains("deleted"));
    assert_eq!(app.get(&format!("/api/thoughts/thread?username=ana&id={secret}")).await.status(), 404, "hidden from visitors");
    assert_eq!(app.get_as(&ana, &format!("/api/thoughts/thread?username=ana&id={secret}")).await.status(), 200);
    assert_eq!(app.get(&format!("/api/thoughts/thread?username=bo&id={leaf}")).await.status(), 404, "the address names the author");
    assert_eq!(app.get("/api/thoughts/thread?username=ana&id=not-a-uuid").await.status(), 404);
    assert_eq!(app.post_form("/api/thoughts/delete", &[("id", "x")], Some(&ana)).await.status(), 404);
    let error = post(&app, &ana, "to nowhere", "public", Some("not-a-uuid")).await.unwrap_err();
    assert!(field(&error, "reply_to").contains("not a thought"));
}

#[tokio::test]
async fn the_thread_page_is_rendered_for_crawlers() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let id = post(&app, &ana, "a thought worth linking #links", "public", None).await.unwrap();
    let html = app.get(&format!("/@ana/{id}")).await.text().await.unwrap();
    assert!(html.contains("<title>ana: “a thought worth linking #links” · Thoughtspace</title>"), "{}", &html[..html.len().min(3000)]);
    assert!(html.contains("<meta property=\"og:description\" content=\"a thought worth linking #links\""));
    assert!(html.contains(&format!("<link href=\"{}/@ana/{id}\" rel=\"canonical\"", app.url)));
    assert_eq!(app.get(&format!("/@bo/{id}")).await.status(), 404);
}
