//! Thoughts, visibility, replies, tags, mentions, follows and blocks through the server
//! functions, against real PostgreSQL.

use crate::support::TestApp;

/// Posts as `session`; returns the new thought's id or the refused response's JSON body.
async fn post(
    app: &TestApp,
    session: &str,
    content: &str,
    visibility: &str,
    reply_to: Option<&str>,
) -> Result<String, serde_json::Value> {
    let mut form = vec![("content", content), ("visibility", visibility)];
    if let Some(parent) = reply_to {
        form.push(("reply_to", parent));
    }
    let response = app
        .post_form("/api/thoughts/post", &form, Some(session))
        .await;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    if status.is_success() {
        Ok(body.as_str().unwrap().to_owned())
    } else {
        Err(body)
    }
}

fn field(body: &serde_json::Value, name: &str) -> String {
    body["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == name)
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The contents of a timeline page as `session` (or a visitor) sees it.
async fn contents(app: &TestApp, session: Option<&str>, path: &str) -> Vec<String> {
    let response = match session {
        Some(session) => app.get_as(session, path).await,
        None => app.get(path).await,
    };
    assert_eq!(response.status(), 200, "{path}");
    let page: serde_json::Value = response.json().await.unwrap();
    page["thoughts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["content"].as_str().unwrap().to_owned())
        .collect()
}

async fn follow(app: &TestApp, session: &str, username: &str) -> reqwest::Response {
    app.post_form(
        "/api/profiles/follow",
        &[("username", username), ("on", "true")],
        Some(session),
    )
    .await
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
    let error = post(&app, &ana, &"x".repeat(129), "public", None)
        .await
        .unwrap_err();
    assert_eq!(
        field(&error, "content"),
        "use at most 128 characters (this has 129)"
    );
    let error = post(&app, &ana, "hi", "everyone", None).await.unwrap_err();
    assert!(field(&error, "visibility").contains("public"));
    assert!(
        post(&app, &ana, &"👩‍👩‍👧".repeat(128), "public", None)
            .await
            .is_ok(),
        "128 user-perceived characters fit"
    );

    post(
        &app,
        &ana,
        "<b>Bold</b> #Rust and #rust and #Été",
        "public",
        None,
    )
    .await
    .unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT content FROM thoughts WHERE content LIKE '<b>%'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, "<b>Bold</b> #Rust and #rust and #Été");
    let tags: Vec<String> = sqlx::query_scalar("SELECT name FROM tags ORDER BY name")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(tags, ["rust", "été"]);
    assert_eq!(
        contents(&app, None, "/api/timeline/tag?tag=RUST").await,
        ["<b>Bold</b> #Rust and #rust and #Été"]
    );

    let html = app.get("/").await.text().await.unwrap();
    assert!(
        html.contains("&lt;b&gt;Bold&lt;/b&gt;"),
        "escaped on output"
    );
    assert!(
        html.contains("href=\"/tags/rust\""),
        "tags link to their timeline"
    );
}

#[tokio::test]
async fn visibility_is_enforced_in_every_timeline() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    assert!(follow(&app, &bo, "ana").await.status().is_success());

    post(&app, &ana, "for everyone", "public", None)
        .await
        .unwrap();
    post(&app, &ana, "for followers", "followers", None)
        .await
        .unwrap();
    post(&app, &ana, "for me and @cy", "private", None)
        .await
        .unwrap();
    post(&app, &ana, "just for me", "private", None)
        .await
        .unwrap();

    let newest_first = |list: &[&str]| list.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        contents(&app, None, "/api/timeline/profile?username=ana").await,
        ["for everyone"]
    );
    assert_eq!(
        contents(&app, Some(&bo), "/api/timeline/profile?username=ana").await,
        newest_first(&["for everyone", "for followers"])
    );
    assert_eq!(
        contents(&app, Some(&cy), "/api/timeline/profile?username=ana").await,
        newest_first(&["for everyone", "for me and @cy"])
    );
    assert_eq!(
        contents(&app, Some(&ana), "/api/timeline/profile?username=ana")
            .await
            .len(),
        4
    );
    assert_eq!(
        contents(&app, Some(&bo), "/api/timeline/home").await,
        newest_first(&["for everyone", "for followers"])
    );
    assert!(
        contents(&app, Some(&cy), "/api/timeline/home")
            .await
            .is_empty(),
        "cy follows nobody"
    );
    for session in [None, Some(bo.as_str())] {
        assert_eq!(
            contents(&app, session, "/api/timeline/public").await,
            ["for everyone"],
            "the public timeline is public only"
        );
    }
    assert_eq!(
        app.get("/api/timeline/home").await.status(),
        401,
        "visitors have no home timeline"
    );
}

#[tokio::test]
async fn blocks_hide_thoughts_both_ways_and_stop_follows_and_mentions() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    post(&app, &ana, "ana speaks", "public", None)
        .await
        .unwrap();
    post(&app, &bo, "bo speaks", "public", None).await.unwrap();
    sqlx::query("INSERT INTO blocks (blocker_id, blocked_id) SELECT a.id, b.id FROM users a, users b WHERE a.username = 'ana' AND b.username = 'bo'")
        .execute(&app.db.pool)
        .await
        .unwrap();

    assert_eq!(
        contents(&app, Some(&ana), "/api/timeline/public").await,
        ["ana speaks"],
        "the blocker does not see bo"
    );
    assert_eq!(
        contents(&app, Some(&bo), "/api/timeline/public").await,
        ["bo speaks"],
        "the blocked does not see ana"
    );
    assert_eq!(
        contents(&app, None, "/api/timeline/public").await.len(),
        2,
        "visitors see both"
    );
    assert_eq!(follow(&app, &bo, "ana").await.status(), 403);
    assert_eq!(follow(&app, &ana, "bo").await.status(), 403);

    post(&app, &bo, "hey @ana", "public", None).await.unwrap();
    assert!(
        notifications(&app, "ana").await.is_empty(),
        "no mention notification across a block"
    );
    let ana_thought: String =
        sqlx::query_scalar("SELECT id::text FROM thoughts WHERE content = 'ana speaks'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let error = post(&app, &bo, "reply", "public", Some(&ana_thought))
        .await
        .unwrap_err();
    assert!(field(&error, "reply_to").contains("cannot be replied to"));
}

#[tokio::test]
async fn replies_mentions_and_follows_notify() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let parent = post(&app, &ana, "what do you think, @bo?", "public", None)
        .await
        .unwrap();
    assert!(follow(&app, &bo, "ana").await.status().is_success());
    assert!(
        follow(&app, &bo, "ANA").await.status().is_success(),
        "following twice changes nothing"
    );
    post(&app, &bo, "I think @ana is right", "public", Some(&parent))
        .await
        .unwrap();
    post(&app, &ana, "talking to myself @ana", "public", None)
        .await
        .unwrap();

    assert_eq!(
        notifications(&app, "bo").await,
        [("mention".to_owned(), "ana".to_owned())]
    );
    assert_eq!(
        notifications(&app, "ana").await,
        [
            ("follow".to_owned(), "bo".to_owned()),
            ("reply".to_owned(), "bo".to_owned())
        ],
        "one reply notification even though the reply also mentions ana; none for yourself"
    );

    let error = follow(&app, &ana, "ana").await;
    assert_eq!(error.status(), 422);
    assert_eq!(follow(&app, &ana, "nobody").await.status(), 404);
    assert!(app
        .post_form(
            "/api/profiles/follow",
            &[("username", "ana"), ("on", "false")],
            Some(&bo)
        )
        .await
        .status()
        .is_success());
    let follows: i64 = sqlx::query_scalar("SELECT count(*) FROM follows")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(follows, 0);
}

#[tokio::test]
async fn threads_keep_deleted_thoughts_in_place() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let root = post(&app, &ana, "root", "public", None).await.unwrap();
    let middle = post(&app, &bo, "middle", "public", Some(&root))
        .await
        .unwrap();
    let leaf = post(&app, &ana, "leaf", "public", Some(&middle))
        .await
        .unwrap();
    let secret = post(&app, &ana, "secret reply", "private", Some(&middle))
        .await
        .unwrap();

    let thread: serde_json::Value = app
        .get(&format!("/api/thoughts/thread?username=bo&id={middle}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["ancestors"][0]["Shown"]["content"], "root");
    assert_eq!(thread["thought"]["content"], "middle");
    let replies: Vec<&str> = thread["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        replies,
        ["leaf"],
        "the private reply is not shown to a visitor"
    );

    assert_eq!(
        app.post_form("/api/thoughts/delete", &[("id", &middle)], Some(&ana))
            .await
            .status(),
        404,
        "only the author deletes"
    );
    assert!(app
        .post_form("/api/thoughts/delete", &[("id", &middle)], Some(&bo))
        .await
        .status()
        .is_success());
    assert_eq!(
        app.get(&format!("/api/thoughts/thread?username=bo&id={middle}"))
            .await
            .status(),
        410
    );
    assert_eq!(app.get(&format!("/@bo/{middle}")).await.status(), 410);

    let thread: serde_json::Value = app
        .get(&format!("/api/thoughts/thread?username=ana&id={leaf}"))
        .await
        .json()
        .await
        .unwrap();
    let ancestors = thread["ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 2, "the deleted middle keeps its place");
    assert_eq!(ancestors[1], "Deleted");

    let error = post(&app, &ana, "too late", "public", Some(&middle))
        .await
        .unwrap_err();
    assert!(field(&error, "reply_to").contains("deleted"));
    assert_eq!(
        app.get(&format!("/api/thoughts/thread?username=ana&id={secret}"))
            .await
            .status(),
        404,
        "hidden from visitors"
    );
    assert_eq!(
        app.get_as(
            &ana,
            &format!("/api/thoughts/thread?username=ana&id={secret}")
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/thoughts/thread?username=bo&id={leaf}"))
            .await
            .status(),
        404,
        "the address names the author"
    );
    assert_eq!(
        app.get("/api/thoughts/thread?username=ana&id=not-a-uuid")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_form("/api/thoughts/delete", &[("id", "x")], Some(&ana))
            .await
            .status(),
        404
    );
    let error = post(&app, &ana, "to nowhere", "public", Some("not-a-uuid"))
        .await
        .unwrap_err();
    assert!(field(&error, "reply_to").contains("not a thought"));
}

#[tokio::test]
async fn the_thread_page_is_rendered_for_crawlers() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let id = post(&app, &ana, "a thought worth linking #links", "public", None)
        .await
        .unwrap();
    let html = app.get(&format!("/@ana/{id}")).await.text().await.unwrap();
    assert!(
        html.contains("<title>ana: “a thought worth linking #links” · Thoughtspace</title>"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert!(html
        .contains("<meta property=\"og:description\" content=\"a thought worth linking #links\""));
    assert!(html.contains(&format!(
        "<link href=\"{}/@ana/{id}\" rel=\"canonical\"",
        app.url
    )));
    assert_eq!(app.get(&format!("/@bo/{id}")).await.status(), 404);
}

async fn react(
    app: &TestApp,
    session: &str,
    id: &str,
    reaction: &str,
    on: bool,
) -> reqwest::Response {
    app.post_form(
        "/api/thoughts/react",
        &[
            ("id", id),
            ("reaction", reaction),
            ("on", if on { "true" } else { "false" }),
        ],
        Some(session),
    )
    .await
}

#[tokio::test]
async fn likes_and_boosts_count_notify_and_refuse_doing_it_twice() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    let id = post(&app, &ana, "like me", "public", None).await.unwrap();
    let quiet = post(&app, &ana, "followers only", "followers", None)
        .await
        .unwrap();

    assert!(react(&app, &bo, &id, "like", true)
        .await
        .status()
        .is_success());
    let twice = react(&app, &bo, &id, "like", true).await;
    assert_eq!(twice.status(), 422);
    assert!(field(&twice.json().await.unwrap(), "id").contains("already like"));
    assert!(react(&app, &cy, &id, "like", true)
        .await
        .status()
        .is_success());
    assert!(react(&app, &bo, &id, "boost", true)
        .await
        .status()
        .is_success());
    assert_eq!(react(&app, &bo, &id, "boost", true).await.status(), 422);
    let refused = react(&app, &ana, &quiet, "boost", true).await;
    assert_eq!(refused.status(), 422, "only public thoughts are boosted");
    assert_eq!(
        react(&app, &cy, &quiet, "like", true).await.status(),
        404,
        "cy cannot see it"
    );
    assert_eq!(react(&app, &bo, "nope", "like", true).await.status(), 404);
    assert_eq!(react(&app, &bo, &id, "hug", true).await.status(), 422);

    let page: serde_json::Value = app
        .get_as(&bo, "/api/timeline/profile?username=ana")
        .await
        .json()
        .await
        .unwrap();
    let thought = page["thoughts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            thought["like_count"].as_i64(),
            thought["boost_count"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        (thought["liked"].as_bool(), thought["boosted"].as_bool()),
        (Some(true), Some(true))
    );

    let kinds: Vec<String> = notifications(&app, "ana")
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["like", "like", "boost"]);
    assert!(react(&app, &cy, &id, "like", false)
        .await
        .status()
        .is_success());
    assert!(
        react(&app, &cy, &id, "like", false)
            .await
            .status()
            .is_success(),
        "taking back twice is harmless"
    );
    assert_eq!(
        notifications(&app, "ana").await.len(),
        2,
        "the un-like took its notification along"
    );

    // Grouped: "bo and 1 other liked", as one entry.
    assert!(react(&app, &cy, &id, "like", true)
        .await
        .status()
        .is_success());
    let groups: serde_json::Value = app
        .get_as(&ana, "/api/notifications/list")
        .await
        .json()
        .await
        .unwrap();
    let likes: Vec<&serde_json::Value> = groups
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "like")
        .collect();
    assert_eq!(likes.len(), 1);
    assert_eq!(likes[0]["actor_count"], 2);
    assert!(app
        .post_form("/api/notifications/read", &[("ids", "")], Some(&ana))
        .await
        .status()
        .is_success());
    let unread: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE NOT read")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(unread, 0);
}

#[tokio::test]
async fn boosts_bring_thoughts_to_followers_home_timelines() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    assert!(follow(&app, &cy, "bo").await.status().is_success());
    let id = post(&app, &ana, "worth spreading", "public", None)
        .await
        .unwrap();
    assert!(contents(&app, Some(&cy), "/api/timeline/home")
        .await
        .is_empty());
    assert!(react(&app, &bo, &id, "boost", true)
        .await
        .status()
        .is_success());

    let page: serde_json::Value = app
        .get_as(&cy, "/api/timeline/home")
        .await
        .json()
        .await
        .unwrap();
    let thoughts = page["thoughts"].as_array().unwrap();
    assert_eq!(thoughts.len(), 1);
    assert_eq!(thoughts[0]["content"], "worth spreading");
    assert_eq!(thoughts[0]["boosted_by"], "bo");

    assert!(react(&app, &bo, &id, "boost", false)
        .await
        .status()
        .is_success());
    assert!(
        contents(&app, Some(&cy), "/api/timeline/home")
            .await
            .is_empty(),
        "un-boosted, gone again"
    );
}

#[tokio::test]
async fn blocking_ends_follows_and_unblocking_restores_nothing() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    assert!(follow(&app, &ana, "bo").await.status().is_success());
    assert!(follow(&app, &bo, "ana").await.status().is_success());
    let id = post(&app, &bo, "bo's thought", "public", None)
        .await
        .unwrap();
    let block = |session: String, on: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/api/profiles/block",
                &[("username", "bo"), ("on", on)],
                Some(&session),
            )
            .await
        }
    };
    assert!(block(ana.clone(), "true").await.status().is_success());
    let follows: i64 = sqlx::query_scalar("SELECT count(*) FROM follows")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(follows, 0, "follows end both ways");
    assert_eq!(
        react(&app, &ana, &id, "like", true).await.status(),
        404,
        "the blocker no longer sees bo's thoughts"
    );
    let profile: serde_json::Value = app
        .get_as(&ana, "/api/profiles/get?username=bo")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["relationship"]["blocking"], true);

    assert!(block(ana.clone(), "false").await.status().is_success());
    let follows: i64 = sqlx::query_scalar("SELECT count(*) FROM follows")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(follows, 0, "unblocking restores nothing");
    assert!(react(&app, &ana, &id, "like", true)
        .await
        .status()
        .is_success());
    let self_block = app
        .post_form(
            "/api/profiles/block",
            &[("username", "ana"), ("on", "true")],
            Some(&ana),
        )
        .await;
    assert_eq!(self_block.status(), 422);
}

#[tokio::test]
async fn search_finds_people_tags_and_thoughts_it_may_show() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("anastasia").await;
    let bo = app.sign_up("bo").await;
    post(&app, &ana, "gardening with #tomatoes today", "public", None)
        .await
        .unwrap();
    post(&app, &ana, "secret tomatoes plan", "private", None)
        .await
        .unwrap();
    post(&app, &bo, "100% pure_tomatoes", "public", None)
        .await
        .unwrap();

    let found: serde_json::Value = app
        .get("/api/search?q=tomatoes")
        .await
        .json()
        .await
        .unwrap();
    let thoughts: Vec<&str> = found["thoughts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["content"].as_str().unwrap())
        .collect();
    assert_eq!(thoughts.len(), 2, "{thoughts:?}");
    assert!(
        !thoughts.contains(&"secret tomatoes plan"),
        "private thoughts stay private"
    );
    assert_eq!(found["tags"][0], "tomatoes");

    let found: serde_json::Value = app.get("/api/search?q=anast").await.json().await.unwrap();
    assert_eq!(found["people"][0]["username"], "anastasia");
    let found: serde_json::Value = app.get("/api/search?q=an").await.json().await.unwrap();
    assert_eq!(
        found["people"][0]["username"], "anastasia",
        "two characters match by prefix"
    );
    assert!(found["thoughts"].as_array().unwrap().is_empty());
    let found: serde_json::Value = app.get("/api/search?q=%25").await.json().await.unwrap();
    assert!(
        found["thoughts"].as_array().unwrap().is_empty(),
        "% is searched literally, not as a wildcard"
    );
    let found: serde_json::Value = app.get("/api/search?q=100%25").await.json().await.unwrap();
    assert_eq!(found["thoughts"][0]["content"], "100% pure_tomatoes");
    let too_long = app.get(&format!("/api/search?q={}", "x".repeat(101))).await;
    assert_eq!(too_long.status(), 422);

    let html = app.get("/search?q=tomatoes").await.text().await.unwrap();
    assert!(html.contains("gardening with"));
}

#[tokio::test]
async fn home_pagination_is_exact_with_equal_timestamps() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let ana_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let instant = chrono::Utc::now();
    for i in 0..45 {
        crate::support::insert_thought(&app.db.pool, ana_id, &format!("t{i}"), "public", instant)
            .await;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut before = String::new();
    loop {
        let page: serde_json::Value = app
            .get_as(&ana, &format!("/api/timeline/home?before={before}"))
            .await
            .json()
            .await
            .unwrap();
        for thought in page["thoughts"].as_array().unwrap() {
            assert!(
                seen.insert(thought["id"].as_str().unwrap().to_owned()),
                "a thought came twice"
            );
        }
        match page["next"].as_object() {
            Some(next) => {
                let cursor = app::model::Cursor {
                    created_at: next["created_at"].as_str().unwrap().parse().unwrap(),
                    id: next["id"].as_str().unwrap().parse().unwrap(),
                };
                before = cursor.token();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 45);
}

#[tokio::test]
async fn followers_and_following_lists() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    app.sign_up("cy").await;
    assert!(follow(&app, &ana, "bo").await.status().is_success());
    assert!(follow(&app, &ana, "cy").await.status().is_success());
    assert!(follow(&app, &bo, "ana").await.status().is_success());

    let names = |value: serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let following = app
        .get("/api/profiles/follows?username=ana&direction=following")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(following), ["cy", "bo"], "newest first");
    let followers = app
        .get("/api/profiles/follows?username=ana&direction=followers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(followers), ["bo"]);

    let html = app.get("/@ana/following").await.text().await.unwrap();
    assert!(html.contains("href=\"/@cy\"") && html.contains("href=\"/@bo\""));
    assert_eq!(app.get("/@nobody/followers").await.status(), 404);
    let profile = app.get("/@ana").await.text().await.unwrap();
    assert!(profile.contains("href=\"/@ana/followers\""));
}
