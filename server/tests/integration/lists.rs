//! What apps offer from their menus, on the client API and the web: bookmarks, lists and
//! their timelines, followed and featured hashtags, preferences, account notes and familiar
//! followers. Each belongs to its owner alone, and every thought it shows passes the
//! visibility rule (after a block, an unfollow or a changed visibility too).

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::TestApp;

/// A member with a session and an API key with every scope.
struct Person {
    session: String,
    key: String,
    id: String,
}

async fn person(app: &TestApp, username: &str) -> Person {
    let session = app.sign_up(username).await;
    let response = app
        .post_form("/api/api_keys/create", &[("name", "app")], Some(&session))
        .await;
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    let key = made["secret"].as_str().unwrap().to_owned();
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    Person {
        session,
        key,
        id: id.to_string(),
    }
}

/// Calls the API as `who` with a JSON body (when given); returns the status and the JSON.
async fn call(
    app: &TestApp,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", app.url)
    };
    let mut request = app.http.request(method, url).bearer_auth(&who.key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// GET, with the `Link` header's `next` address.
async fn page(app: &TestApp, who: &Person, path: &str) -> (Vec<Value>, Option<String>) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", app.url)
    };
    let response = app
        .http
        .get(url)
        .bearer_auth(&who.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let next = response
        .headers()
        .get("link")
        .and_then(|value| value.to_str().ok())
        .and_then(|header| {
            header
                .split(", ")
                .find(|part| part.ends_with("rel=\"next\""))
                .and_then(|part| part.split(['<', '>']).nth(1))
                .map(str::to_owned)
        });
    let items: Vec<Value> = response.json().await.unwrap();
    (items, next)
}

fn contents(statuses: &[Value]) -> Vec<String> {
    statuses
        .iter()
        .map(|status| status["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn post(app: &TestApp, who: &Person, text: &str, visibility: &str) -> String {
    post_reply(app, who, text, visibility, None).await
}

async fn post_reply(
    app: &TestApp,
    who: &Person,
    text: &str,
    visibility: &str,
    reply_to: Option<&str>,
) -> String {
    let mut body = json!({ "status": text, "visibility": visibility });
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = json!(parent);
    }
    let (status, made) = call(app, who, Method::POST, "/api/v1/statuses", Some(body)).await;
    assert_eq!(status, 200, "posting {text}: {made}");
    made["id"].as_str().unwrap().to_owned()
}

async fn follow(app: &TestApp, who: &Person, whom: &Person, on: bool) {
    let verb = if on { "follow" } else { "unfollow" };
    let (status, _) = call(
        app,
        who,
        Method::POST,
        &format!("/api/v1/accounts/{}/{verb}", whom.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

async fn block(app: &TestApp, who: &Person, whom: &Person) {
    let (status, _) = call(
        app,
        who,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", whom.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

async fn home(app: &TestApp, who: &Person) -> Vec<String> {
    contents(&page(app, who, "/api/v1/timelines/home?limit=40").await.0)
}

/// A plain HTML form post (no JavaScript), as a browser sends it.
async fn form_post(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(format!("{}{path}", app.url))
        .header("origin", &app.url)
        .header("referer", format!("{}/", app.url))
        .header("accept", "text/html")
        .header("cookie", format!("ts_session={session}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn web_page(app: &TestApp, session: &str, path: &str) -> String {
    let response = app.get_as(session, path).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn bookmarks_are_the_owners_alone_newest_first_paged_and_only_what_they_may_see() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    let cy = person(&app, "cy").await;
    follow(&app, &bo, &ana, true).await;
    let first = post(&app, &ana, "first thought", "public").await;
    let second = post(&app, &ana, "second thought", "public").await;
    let third = post(&app, &ana, "third thought", "public").await;
    let for_followers = post(&app, &ana, "for followers", "private").await;
    let cys = post(&app, &cy, "cy in public", "public").await;

    for id in [&first, &third, &second, &for_followers, &cys] {
        let (status, status_entity) = call(
            &app,
            &bo,
            Method::POST,
            &format!("/api/v1/statuses/{id}/bookmark"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(status_entity["bookmarked"], true);
    }
    // Twice is no error; a thought bo may not see cannot be bookmarked (nor told apart).
    let (status, _) = call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/statuses/{first}/bookmark"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let direct = post(&app, &ana, "only for me", "direct").await;
    let (status, _) = call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/statuses/{direct}/bookmark"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Newest bookmark first, two at a time along the Link header.
    let (one, next) = page(&app, &bo, "/api/v1/bookmarks?limit=2").await;
    assert_eq!(contents(&one), ["cy in public", "for followers"]);
    let (two, next) = page(&app, &bo, &next.expect("a second page")).await;
    assert_eq!(contents(&two), ["second thought", "third thought"]);
    let (three, next) = page(&app, &bo, &next.expect("a third page")).await;
    assert_eq!(contents(&three), ["first thought"]);
    assert!(three.iter().all(|status| status["bookmarked"] == true));
    assert_eq!(next, None);

    // Another person sees none of them, and their statuses say "not bookmarked".
    assert!(page(&app, &cy, "/api/v1/bookmarks").await.0.is_empty());
    let (_, seen_by_cy) = call(
        &app,
        &cy,
        Method::GET,
        &format!("/api/v1/statuses/{first}"),
        None,
    )
    .await;
    assert_eq!(seen_by_cy["bookmarked"], false);

    // A thought bo can no longer see leaves his bookmarks: an unfollow (followers-only),
    // a changed visibility, a block.
    follow(&app, &bo, &ana, false).await;
    sqlx::query("UPDATE thoughts SET visibility = 'private' WHERE id = $1::uuid")
        .bind(&second)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (left, _) = page(&app, &bo, "/api/v1/bookmarks").await;
    assert_eq!(
        contents(&left),
        ["cy in public", "third thought", "first thought"]
    );
    block(&app, &cy, &bo).await;
    let (left, _) = page(&app, &bo, "/api/v1/bookmarks").await;
    assert_eq!(contents(&left), ["third thought", "first thought"]);

    let (status, unbookmarked) = call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/statuses/{third}/unbookmark"),
        None,
    )
    .await;
    assert_eq!((status, &unbookmarked["bookmarked"]), (200, &json!(false)));
    assert_eq!(
        contents(&page(&app, &bo, "/api/v1/bookmarks").await.0),
        ["first thought"]
    );

    // The web: a bookmark button on each thought, and the Bookmarks page.
    let thought_page = app.get_as(&bo.session, &format!("/@ana/{second}")).await;
    assert_eq!(thought_page.status(), 404, "hidden now");
    let response = form_post(
        &app,
        &bo.session,
        "/api/thoughts/bookmark",
        &[("id", &third), ("on", "true")],
    )
    .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let bookmarks = web_page(&app, &bo.session, "/bookmarks").await;
    assert!(
        bookmarks.contains("third thought") && bookmarks.contains("first thought"),
        "{bookmarks}"
    );
    assert!(bookmarks.contains(">Bookmarked<"), "the button says so");
    let cys_page = web_page(&app, &cy.session, "/bookmarks").await;
    assert!(!cys_page.contains("third thought") && cys_page.contains("No bookmarks yet"));
    // Visitors are sent to log in.
    let visitor = app.get("/bookmarks").await;
    assert!(
        visitor.status().is_redirection() || visitor.text().await.unwrap().contains("/login"),
        "a visitor has no bookmarks"
    );
}

#[tokio::test]
async fn lists_are_made_edited_and_read_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    let cy = person(&app, "cy").await;

    let (status, error) = call(
        &app,
        &bo,
        Method::POST,
        "/api/v1/lists",
        Some(json!({ "title": "  " })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        error["error"].as_str().unwrap().contains("title"),
        "{error}"
    );
    let (status, error) = call(
        &app,
        &bo,
        Method::POST,
        "/api/v1/lists",
        Some(json!({ "title": "Friends", "replies_policy": "everyone" })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        error["error"].as_str().unwrap().contains("replies_policy"),
        "{error}"
    );

    let (status, list) = call(
        &app,
        &bo,
        Method::POST,
        "/api/v1/lists",
        Some(json!({ "title": "Friends" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&list["title"], &list["replies_policy"], &list["exclusive"]),
        (&json!("Friends"), &json!("list"), &json!(false))
    );
    let id = list["id"].as_str().unwrap().to_owned();
    let (status, edited) = call(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/lists/{id}"),
        Some(json!({ "title": "Close friends", "replies_policy": "none", "exclusive": true })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &edited["title"],
            &edited["replies_policy"],
            &edited["exclusive"]
        ),
        (&json!("Close friends"), &json!("none"), &json!(true))
    );
    let (_, all) = call(&app, &bo, Method::GET, "/api/v1/lists", None).await;
    assert_eq!(all, json!([edited]));

    // Only people bo follows can be added.
    let (status, error) = call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/lists/{id}/accounts"),
        Some(json!({ "account_ids": [ana.id] })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("account_ids"));
    follow(&app, &bo, &ana, true).await;
    let (status, _) = call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/lists/{id}/accounts"),
        Some(json!({ "account_ids": [ana.id] })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, members) = call(
        &app,
        &bo,
        Method::GET,
        &format!("/api/v1/lists/{id}/accounts"),
        None,
    )
    .await;
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["username"], "ana");
    let (_, holding) = call(
        &app,
        &bo,
        Method::GET,
        &format!("/api/v1/accounts/{}/lists", ana.id),
        None,
    )
    .await;
    assert_eq!(holding[0]["id"], json!(id));

    // Nobody else reads, changes, fills or deletes it: to them it does not exist.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/lists/{id}"), None),
        (
            Method::PUT,
            format!("/api/v1/lists/{id}"),
            Some(json!({ "title": "mine now" })),
        ),
        (Method::GET, format!("/api/v1/lists/{id}/accounts"), None),
        (
            Method::DELETE,
            format!("/api/v1/lists/{id}/accounts"),
            Some(json!({ "account_ids": [ana.id] })),
        ),
        (Method::GET, format!("/api/v1/timelines/list/{id}"), None),
        (Method::DELETE, format!("/api/v1/lists/{id}"), None),
    ] {
        let (status, _) = call(&app, &cy, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    assert_eq!(
        call(&app, &cy, Method::GET, "/api/v1/lists", None).await.1,
        json!([])
    );
    let (_, cys_view) = call(
        &app,
        &cy,
        Method::GET,
        &format!("/api/v1/accounts/{}/lists", ana.id),
        None,
    )
    .await;
    assert_eq!(cys_view, json!([]));
    let (_, still) = call(&app, &bo, Method::GET, &format!("/api/v1/lists/{id}"), None).await;
    assert_eq!(still["title"], "Close friends");

    // An unfollow takes ana off bo's list; deleting the list removes it.
    follow(&app, &bo, &ana, false).await;
    let (_, members) = call(
        &app,
        &bo,
        Method::GET,
        &format!("/api/v1/lists/{id}/accounts"),
        None,
    )
    .await;
    assert_eq!(members, json!([]));
    let (status, _) = call(
        &app,
        &bo,
        Method::DELETE,
        &format!("/api/v1/lists/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, &bo, Method::GET, &format!("/api/v1/lists/{id}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_list_timeline_shows_its_members_thoughts_and_replies_by_its_policy() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    let cy = person(&app, "cy").await;
    let dan = person(&app, "dan").await;
    let eve = person(&app, "eve").await;
    for whom in [&ana, &cy, &dan] {
        follow(&app, &bo, whom, true).await;
    }
    let (_, list) = call(
        &app,
        &bo,
        Method::POST,
        "/api/v1/lists",
        Some(json!({ "title": "Writers" })),
    )
    .await;
    let id = list["id"].as_str().unwrap().to_owned();
    call(
        &app,
        &bo,
        Method::POST,
        &format!("/api/v1/lists/{id}/accounts"),
        Some(json!({ "account_ids": [ana.id, cy.id] })),
    )
    .await;

    let bos = post(&app, &bo, "bo asks", "public").await;
    let cys = post(&app, &cy, "cy asks", "public").await;
    let dans = post(&app, &dan, "dan asks", "public").await;
    let eves = post(&app, &eve, "eve asks", "public").await;
    let anas = post(&app, &ana, "ana writes", "public").await;
    post_reply(&app, &ana, "ana to herself", "public", Some(&anas)).await;
    post_reply(&app, &ana, "ana to bo", "public", Some(&bos)).await;
    post_reply(&app, &ana, "ana to cy", "public", Some(&cys)).await;
    post_reply(&app, &ana, "ana to dan", "public", Some(&dans)).await;
    post_reply(&app, &ana, "ana to eve", "public", Some(&eves)).await;
    post(&app, &ana, "ana for followers", "private").await;
    post(&app, &ana, "ana alone", "direct").await;
    post(&app, &dan, "dan not listed", "public").await;

    let timeline = |policy: &'static str| {
        let (app, bo, id) = (&app, &bo, id.clone());
        async move {
            call(
                app,
                bo,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                Some(json!({ "replies_policy": policy })),
            )
            .await;
            contents(
                &page(app, bo, &format!("/api/v1/timelines/list/{id}?limit=40"))
                    .await
                    .0,
            )
        }
    };
    assert_eq!(
        timeline("list").await,
        [
            "ana for followers",
            "ana to cy",
            "ana to bo",
            "ana to herself",
            "ana writes",
            "cy asks"
        ]
    );
    assert_eq!(
        timeline("followed").await,
        [
            "ana for followers",
            "ana to dan",
            "ana to cy",
            "ana to bo",
            "ana to herself",
            "ana writes",
            "cy asks"
        ]
    );
    assert_eq!(
        timeline("none").await,
        [
            "ana for followers",
            "ana to bo",
            "ana to herself",
            "ana writes",
            "cy asks"
        ]
    );

    // Paged along the Link header.
    let (one, next) = page(&app, &bo, &format!("/api/v1/timelines/list/{id}?limit=3")).await;
    assert_eq!(
        contents(&one),
        ["ana for followers", "ana to bo", "ana to herself"]
    );
    let (two, next) = page(&app, &bo, &next.expect("a next page")).await;
    assert_eq!(contents(&two), ["ana writes", "cy asks"]);
    assert_eq!(next, None);

    // Exclusive: ana and cy leave bo's home, dan stays.
    assert!(home(&app, &bo).await.contains(&"ana writes".to_owned()));
    call(
        &app,
        &bo,
        Method::PUT,
        &format!("/api/v1/lists/{id}"),
        Some(json!({ "exclusive": true })),
    )
    .await;
    let home_now = home(&app, &bo).await;
    assert!(
        !home_now
            .iter()
            .any(|text| text.starts_with("ana") || text.starts_with("cy")),
        "{home_now:?}"
    );
    assert!(home_now.contains(&"dan asks".to_owned()) && home_now.contains(&"bo asks".to_owned()));

    // A block and a changed visibility hide thoughts from the list as everywhere.
    block(&app, &cy, &bo).await;
    sqlx::query("UPDATE thoughts SET visibility = 'private' WHERE content = 'ana writes'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let now = timeline("none").await;
    assert_eq!(now, ["ana for followers", "ana to bo", "ana to herself"]);

    // The web page: make a list, add someone, read its timeline; nobody else's.
    let made = form_post(
        &app,
        &bo.session,
        "/api/lists/create",
        &[("title", "Web list")],
    )
    .await;
    assert!(made.status().is_redirection(), "{}", made.status());
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let web_id = location.trim_start_matches("/lists/").to_owned();
    assert!(uuid::Uuid::try_parse(&web_id).is_ok(), "{location}");
    let added = form_post(
        &app,
        &bo.session,
        "/api/lists/member",
        &[("id", &web_id), ("username", "dan"), ("on", "true")],
    )
    .await;
    assert!(added.status().is_redirection(), "{}", added.status());
    let refused = app
        .post_form(
            "/api/lists/member",
            &[("id", &web_id), ("username", "eve"), ("on", "true")],
            Some(&bo.session),
        )
        .await;
    assert_eq!(refused.status(), 422, "eve is not followed");
    let shown = web_page(&app, &bo.session, &location).await;
    assert!(
        shown.contains("Web list")
            && shown.contains("dan not listed")
            && shown.contains("href=\"/@dan\""),
        "{shown}"
    );
    let renamed = form_post(
        &app,
        &bo.session,
        "/api/lists/update",
        &[
            ("id", &web_id),
            ("title", "Renamed"),
            ("replies_policy", "followed"),
        ],
    )
    .await;
    assert!(renamed.status().is_redirection());
    let lists_page = web_page(&app, &bo.session, "/lists").await;
    assert!(lists_page.contains("Renamed") && lists_page.contains("Writers"));
    let renamed_page = web_page(&app, &bo.session, &location).await;
    assert!(
        renamed_page.contains("Renamed") && renamed_page.contains("dan not listed"),
        "{renamed_page}"
    );
    // The list made through the API has its page too (exclusive, replies to nobody but bo).
    let writers = web_page(&app, &bo.session, &format!("/lists/{id}")).await;
    assert!(
        writers.contains("Writers")
            && writers.contains("ana to bo")
            && !writers.contains("ana to dan"),
        "{writers}"
    );
    // Anyone else is told the list does not exist, with the status that says so.
    let others = app.get_as(&cy.session, &location).await;
    assert_eq!(others.status(), 404);
    let others = others.text().await.unwrap();
    assert!(
        others.contains("List not found") && !others.contains("dan not listed"),
        "{others}"
    );
    let deleted = form_post(&app, &bo.session, "/api/lists/delete", &[("id", &web_id)]).await;
    assert_eq!(deleted.headers()["location"], "/lists");
    assert!(!web_page(&app, &bo.session, "/lists")
        .await
        .contains("Renamed"));
}

#[tokio::test]
async fn followed_hashtags_bring_public_thoughts_home() {
    let app = TestApp::spawn().await;
    let bo = person(&app, "bo").await;
    let eve = person(&app, "eve").await;
    let (status, tag) = call(&app, &bo, Method::GET, "/api/v1/tags/Rust", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&tag["name"], &tag["following"]),
        (&json!("rust"), &json!(false))
    );
    let (status, tag) = call(&app, &bo, Method::POST, "/api/v1/tags/rust/follow", None).await;
    assert_eq!((status, &tag["following"]), (200, &json!(true)));
    call(&app, &bo, Method::POST, "/api/v1/tags/cats/follow", None).await;
    let (status, _) = call(&app, &bo, Method::POST, "/api/v1/tags/no-tag!/follow", None).await;
    assert_eq!(status, 404);
    let (followed, _) = page(&app, &bo, "/api/v1/followed_tags").await;
    let names: Vec<&str> = followed
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cats", "rust"]);
    let (first, next) = page(&app, &bo, "/api/v1/followed_tags?limit=1").await;
    assert_eq!(first[0]["name"], "cats");
    let (second, _) = page(&app, &bo, &next.expect("a next page")).await;
    assert_eq!(second[0]["name"], "rust");

    post(&app, &eve, "learning #Rust today", "public").await;
    post(&app, &eve, "#rust and #cats at once", "public").await;
    post(&app, &eve, "#rust for followers", "private").await;
    post(&app, &eve, "no tag here", "public").await;
    let home_now = home(&app, &bo).await;
    assert_eq!(
        home_now,
        ["#rust and #cats at once", "learning #Rust today"],
        "once each, and only public ones"
    );
    // Someone who follows nothing sees none of it; a block keeps it out.
    let cy = person(&app, "cy").await;
    assert!(home(&app, &cy).await.is_empty());
    block(&app, &eve, &bo).await;
    assert!(home(&app, &bo).await.is_empty());
    call(
        &app,
        &eve,
        Method::POST,
        &format!("/api/v1/accounts/{}/unblock", bo.id),
        None,
    )
    .await;
    call(&app, &bo, Method::POST, "/api/v1/tags/rust/unfollow", None).await;
    assert_eq!(home(&app, &bo).await, ["#rust and #cats at once"]);

    // The web: the tag page's button follows and unfollows for a member, not a visitor.
    let tag_page = web_page(&app, &bo.session, "/tags/rust").await;
    assert!(tag_page.contains("Follow tag"), "{tag_page}");
    assert!(!app
        .get("/tags/rust")
        .await
        .text()
        .await
        .unwrap()
        .contains("Follow tag"));
    let followed = form_post(
        &app,
        &bo.session,
        "/api/tags/follow",
        &[("tag", "rust"), ("on", "true")],
    )
    .await;
    assert!(followed.status().is_redirection());
    assert!(web_page(&app, &bo.session, "/tags/rust")
        .await
        .contains("Unfollow tag"));
    assert_eq!(home(&app, &bo).await.len(), 2);
}

#[tokio::test]
async fn featured_tags_count_public_use_and_belong_to_their_owner() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    post(&app, &ana, "a #garden thought", "public").await;
    post(&app, &ana, "more #garden", "public").await;
    post(&app, &ana, "#garden secrets", "private").await;
    post(&app, &ana, "#books too", "public").await;

    let (_, suggestions) = call(
        &app,
        &ana,
        Method::GET,
        "/api/v1/featured_tags/suggestions",
        None,
    )
    .await;
    let names: Vec<&str> = suggestions
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["garden", "books"]);

    let (status, featured) = call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/featured_tags",
        Some(json!({ "name": "#Garden" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&featured["name"], &featured["statuses_count"]),
        (&json!("garden"), &json!("2")),
        "only public use is counted, as a string (Mastodon's)"
    );
    assert!(featured["last_status_at"].as_str().unwrap().len() == 10);
    let (status, error) = call(
        &app,
        &ana,
        Method::POST,
        "/api/v1/featured_tags",
        Some(json!({ "name": "not a tag" })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("name"));

    let (_, mine) = call(&app, &ana, Method::GET, "/api/v1/featured_tags", None).await;
    assert_eq!(mine, json!([featured.clone()]));
    let (_, theirs) = call(
        &app,
        &bo,
        Method::GET,
        &format!("/api/v1/accounts/{}/featured_tags", ana.id),
        None,
    )
    .await;
    assert_eq!(theirs, json!([featured.clone()]));
    let (_, suggestions) = call(
        &app,
        &ana,
        Method::GET,
        "/api/v1/featured_tags/suggestions",
        None,
    )
    .await;
    assert_eq!(
        suggestions[0]["name"], "books",
        "featured ones are not suggested"
    );

    let featured_id = featured["id"].as_str().unwrap();
    let path = format!("/api/v1/featured_tags/{featured_id}");
    assert_eq!(call(&app, &bo, Method::DELETE, &path, None).await.0, 404);
    assert_eq!(call(&app, &ana, Method::DELETE, &path, None).await.0, 200);
    assert_eq!(
        call(&app, &ana, Method::GET, "/api/v1/featured_tags", None)
            .await
            .1,
        json!([])
    );
}

/// `who`'s note on `whom`, as their Relationship says.
async fn note_on(app: &TestApp, who: &Person, whom: &Person) -> Value {
    let path = format!("/api/v1/accounts/relationships?id[]={}", whom.id);
    call(app, who, Method::GET, &path, None).await.1[0]["note"].clone()
}

#[tokio::test]
async fn preferences_notes_familiar_followers_and_what_is_not_there_yet() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    let cy = person(&app, "cy").await;
    let dan = person(&app, "dan").await;

    let (status, preferences) = call(&app, &ana, Method::GET, "/api/v1/preferences", None).await;
    assert_eq!(status, 200);
    assert_eq!(preferences["posting:default:visibility"], "public");
    assert_eq!(preferences["reading:expand:spoilers"], false);

    // A note is seen by its writer only.
    let (status, relationship) = call(
        &app,
        &ana,
        Method::POST,
        &format!("/api/v1/accounts/{}/note", bo.id),
        Some(json!({ "comment": "met at the fair" })),
    )
    .await;
    assert_eq!(
        (status, &relationship["note"]),
        (200, &json!("met at the fair"))
    );
    assert_eq!(note_on(&app, &ana, &bo).await, "met at the fair");
    assert_eq!(note_on(&app, &cy, &bo).await, "");
    let (status, error) = call(
        &app,
        &ana,
        Method::POST,
        &format!("/api/v1/accounts/{}/note", bo.id),
        Some(json!({ "comment": "x".repeat(2001) })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("comment"));
    call(
        &app,
        &ana,
        Method::POST,
        &format!("/api/v1/accounts/{}/note", bo.id),
        Some(json!({ "comment": "" })),
    )
    .await;
    assert_eq!(note_on(&app, &ana, &bo).await, "");

    // Familiar followers: those ana follows who follow dan (a blocked one left out).
    follow(&app, &ana, &bo, true).await;
    follow(&app, &ana, &cy, true).await;
    follow(&app, &bo, &dan, true).await;
    follow(&app, &cy, &dan, true).await;
    let path = format!("/api/v1/accounts/familiar_followers?id[]={}", dan.id);
    let (status, familiar) = call(&app, &ana, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(familiar[0]["id"], json!(dan.id));
    let mut names: Vec<&str> = familiar[0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bo", "cy"]);
    block(&app, &cy, &ana).await;
    let (_, familiar) = call(&app, &ana, Method::GET, &path, None).await;
    assert_eq!(familiar[0]["accounts"].as_array().unwrap().len(), 1);

    for path in [
        "/api/v1/custom_emojis",
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        "/api/v1/announcements",
        "/api/v1/suggestions",
        "/api/v2/suggestions",
        "/api/v1/directory",
    ] {
        assert_eq!(
            call(&app, &ana, Method::GET, path, None).await,
            (200, json!([])),
            "{path}"
        );
    }
}
