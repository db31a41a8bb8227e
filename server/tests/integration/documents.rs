//! The documents other servers read from us (issue #15): JSON-LD contexts that define the
//! terms used, `featured` as pinned thoughts (with Add/Remove on pin and unpin), the Top
//! Friends as their own featured collection, paged outbox/followers/following, and
//! followers-only notes served to signed fetches of those who may see them.

use std::sync::{Arc, Mutex};

use crate::support::{insert_thought, TestApp};
use app::backend::federation::{keys, signatures};
use axum::{
    body::Bytes,
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

/// Another server on loopback with people (`mia`, `zed`) who share one key: it publishes
/// their actors and records what reaches its inboxes.
#[derive(Clone)]
struct Remote {
    url: String,
    /// (private, public) PEM.
    keys: Arc<(String, String)>,
    received: Arc<Mutex<Vec<Value>>>,
}

impl Remote {
    async fn start() -> Self {
        let pair = keys::generate().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = Remote {
            url: format!("http://{}", listener.local_addr().unwrap()),
            keys: Arc::new((pair.private_pem, pair.public_pem)),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/users/{name}", get(remote_actor))
            .route("/users/{name}/inbox", post(remote_receive))
            .route("/inbox", post(remote_receive))
            .with_state(remote.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        remote
    }

    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.url)
    }

    /// A request to `url` signed as `name` (a GET when `body` is None).
    async fn signed(&self, name: &str, url: &str, body: Option<&Value>) -> reqwest::Response {
        let parsed = url::Url::parse(url).unwrap();
        let key = keys::private_key(&self.keys.0).unwrap();
        let bytes = body.map(|body| body.to_string().into_bytes());
        let method = if body.is_some() {
            http::Method::POST
        } else {
            http::Method::GET
        };
        let client = reqwest::Client::new();
        let mut request = match &bytes {
            Some(bytes) => client
                .post(url)
                .header("content-type", "application/activity+json")
                .body(bytes.clone()),
            None => client
                .get(url)
                .header("accept", "application/activity+json"),
        };
        for (name, value) in signatures::sign(
            &method,
            &parsed,
            bytes.as_deref(),
            &format!("{}#main-key", self.actor(name)),
            &key,
            chrono::Utc::now(),
        ) {
            request = request.header(name, value);
        }
        request.send().await.unwrap()
    }

    /// Waits until an activity of `kind` has arrived, and returns it.
    async fn wait_for(&self, kind: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|a| a["type"] == kind)
                .cloned();
            if let Some(found) = found {
                return found;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {kind} arrived; got {:?}",
                self.received.lock().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

async fn remote_actor(
    State(remote): State<Remote>,
    Path(name): Path<String>,
) -> ([(&'static str, &'static str); 1], Json<Value>) {
    let id = remote.actor(&name);
    (
        [("content-type", "application/activity+json")],
        Json(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": name,
            "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
            "endpoints": { "sharedInbox": format!("{}/inbox", remote.url) },
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": remote.keys.1.clone() },
            "attachment": [
                { "type": "PropertyValue", "name": "Site", "value": "<a href=\"https://mia.example\" rel=\"me\" onclick=\"evil()\">mia.example</a><script>x()</script>" },
                { "type": "PropertyValue", "name": "Pronouns\u{7}", "value": "she/her" },
            ],
        })),
    )
}

async fn remote_receive(State(remote): State<Remote>, body: Bytes) -> axum::http::StatusCode {
    remote
        .received
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    axum::http::StatusCode::ACCEPTED
}

/// A GET asking for ActivityPub JSON; the status and the parsed body (Null if not JSON).
async fn fetch(app: &TestApp, url: &str) -> (u16, Value) {
    let response = app
        .http
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn user_id(app: &TestApp, name: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(name)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// `mia` on `remote` follows ana (signed Follow to her inbox; she accepts at once).
async fn remote_follows(app: &TestApp, remote: &Remote, name: &str, ana: &str) {
    let follow = json!({ "@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/follows/{name}", remote.url),
                         "type": "Follow", "actor": remote.actor(name), "object": ana });
    let response = remote
        .signed(name, &format!("{}/inbox", app.url), Some(&follow))
        .await;
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
}

#[tokio::test]
async fn notes_and_actors_carry_contexts_that_define_their_terms() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let posted = app
        .post_form(
            "/api/thoughts/post",
            &[
                ("content", "hello #Rust"),
                ("visibility", "public"),
                ("summary", "a warning"),
            ],
            Some(&ana),
        )
        .await;
    assert_eq!(posted.status(), 200);
    let id: String = posted.json().await.unwrap();
    let (status, note) = fetch(&app, &format!("{}/users/ana/thoughts/{id}", app.url)).await;
    assert_eq!(status, 200);
    assert_eq!(note["@context"][0], "https://www.w3.org/ns/activitystreams");
    for (term, iri) in [
        ("Hashtag", "as:Hashtag"),
        ("sensitive", "as:sensitive"),
        ("toot", "http://joinmastodon.org/ns#"),
    ] {
        assert_eq!(note["@context"][1][term], iri, "{term} in {note}");
    }
    assert_eq!(note["tag"][0]["type"], "Hashtag");

    let (_, actor) = fetch(&app, &format!("{}/users/ana", app.url)).await;
    let terms = &actor["@context"][2];
    for (term, iri) in [
        (
            "manuallyApprovesFollowers",
            json!("as:manuallyApprovesFollowers"),
        ),
        ("discoverable", json!("toot:discoverable")),
        ("indexable", json!("toot:indexable")),
        (
            "featured",
            json!({ "@id": "toot:featured", "@type": "@id" }),
        ),
        ("PropertyValue", json!("schema:PropertyValue")),
        ("value", json!("schema:value")),
        (
            "featuredCollections",
            json!({ "@id": "fep7aa9:featuredCollections", "@type": "@id" }),
        ),
    ] {
        assert_eq!(terms[term], iri, "{term} in {actor}");
    }
    assert_eq!(actor["@context"][1], "https://w3id.org/security/v1");
    assert_eq!(
        actor["featuredCollections"],
        format!("{}/users/ana/collections", app.url)
    );
}

#[tokio::test]
async fn outbox_followers_and_following_are_paged_newest_first() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let ana = user_id(&app, "ana").await;
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    for n in 0..45 {
        insert_thought(
            &app.db.pool,
            ana,
            &format!("thought {n}"),
            if n % 2 == 0 { "public" } else { "unlisted" },
            start + chrono::Duration::seconds(n),
        )
        .await;
    }
    // Neither followers-only nor private thoughts are listed.
    insert_thought(&app.db.pool, ana, "for followers", "followers", start).await;
    insert_thought(&app.db.pool, ana, "private", "private", start).await;

    let outbox = format!("{}/users/ana/outbox", app.url);
    let (_, collection) = fetch(&app, &outbox).await;
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 45);
    assert_eq!(collection["first"], format!("{outbox}?page=1"));
    assert_eq!(collection["last"], format!("{outbox}?page=3"));
    assert!(collection.get("orderedItems").is_none());

    let mut seen = Vec::new();
    let mut next = collection["first"].as_str().map(str::to_owned);
    let mut pages = 0;
    while let Some(url) = next {
        let (status, page) = fetch(&app, &url).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["partOf"], outbox);
        pages += 1;
        if pages > 1 {
            assert_eq!(page["prev"], format!("{outbox}?page={}", pages - 1));
        } else {
            assert!(page.get("prev").is_none());
        }
        for item in page["orderedItems"].as_array().unwrap() {
            assert_eq!(item["type"], "Create");
            assert!(item.get("@context").is_none(), "embedded without context");
            seen.push(
                item["object"]["source"]["content"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..45).rev().map(|n| format!("thought {n}")).collect();
    assert_eq!(seen, expected, "every public item once, newest first");
    // Mastodon's `?page=true` is the first page; past the last, or nonsense, is refused.
    let (_, first) = fetch(&app, &format!("{outbox}?page=true")).await;
    assert_eq!(first["id"], format!("{outbox}?page=1"));
    assert_eq!(fetch(&app, &format!("{outbox}?page=4")).await.0, 404);
    assert_eq!(fetch(&app, &format!("{outbox}?page=x")).await.0, 400);

    // Followers: 23 local people follow ana, paged the same way.
    for n in 0..23 {
        let follower = crate::support::insert_user(&app.db.pool, &format!("fan{n:02}")).await;
        sqlx::query(
            "INSERT INTO follows (follower_id, following_id, state, created_at) VALUES ($1, $2, 'accepted', now() + make_interval(secs => $3))",
        )
        .bind(follower)
        .bind(ana)
        .bind(f64::from(n))
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let followers = format!("{}/users/ana/followers", app.url);
    let (_, collection) = fetch(&app, &followers).await;
    assert_eq!(collection["totalItems"], 23);
    let (_, page) = fetch(&app, &format!("{followers}?page=1")).await;
    assert_eq!(page["orderedItems"].as_array().unwrap().len(), 20);
    assert_eq!(page["orderedItems"][0], format!("{}/users/fan22", app.url));
    let (_, page) = fetch(&app, &format!("{followers}?page=2")).await;
    assert_eq!(
        page["orderedItems"],
        json!([
            format!("{}/users/fan02", app.url),
            format!("{}/users/fan01", app.url),
            format!("{}/users/fan00", app.url)
        ])
    );
    let (_, following) = fetch(&app, &format!("{}/users/fan00/following", app.url)).await;
    assert_eq!(following["totalItems"], 1);

    // Hidden follows: only the sizes are shown.
    sqlx::query("UPDATE users SET hide_collections = true WHERE id = $1")
        .bind(ana)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, collection) = fetch(&app, &followers).await;
    assert_eq!(collection["totalItems"], 23);
    assert!(collection.get("first").is_none(), "{collection}");
    assert_eq!(fetch(&app, &format!("{followers}?page=1")).await.0, 404);
    assert_eq!(
        fetch(&app, &format!("{outbox}?page=1")).await.0,
        200,
        "the outbox is not a follow list"
    );
}

#[tokio::test]
async fn featured_lists_pinned_thoughts_and_pins_are_announced_to_followers() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let remote = Remote::start().await;
    let ana_actor = format!("{}/users/ana", app.url);
    remote_follows(&app, &remote, "mia", &ana_actor).await;
    remote.wait_for("Accept").await;

    let mut ids = Vec::new();
    for content in ["first", "second"] {
        let posted = app
            .post_form(
                "/api/thoughts/post",
                &[("content", content), ("visibility", "public")],
                Some(&session),
            )
            .await;
        ids.push(posted.json::<String>().await.unwrap());
    }
    let key = app.api_key("ana", "write:accounts").await;
    for id in &ids {
        let pinned = app
            .http
            .post(format!("{}/api/v1/statuses/{id}/pin", app.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(pinned.status(), 200);
    }
    let featured = format!("{ana_actor}/featured");
    let (_, collection) = fetch(&app, &featured).await;
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 2);
    let notes: Vec<&str> = collection["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["id"].as_str().unwrap())
        .collect();
    let note_id = |id: &str| format!("{ana_actor}/thoughts/{id}");
    assert_eq!(
        notes,
        [note_id(&ids[1]), note_id(&ids[0])],
        "the latest pin first"
    );
    assert_eq!(collection["orderedItems"][0]["type"], "Note");

    let add = remote.wait_for("Add").await;
    assert_eq!(add["actor"], ana_actor);
    assert_eq!(add["target"], featured);
    assert!(
        [note_id(&ids[0]), note_id(&ids[1])].contains(&add["object"].as_str().unwrap().to_owned())
    );

    let unpinned = app
        .http
        .post(format!("{}/api/v1/statuses/{}/unpin", app.url, ids[0]))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(unpinned.status(), 200);
    let remove = remote.wait_for("Remove").await;
    assert_eq!(
        (remove["object"].as_str(), remove["target"].as_str()),
        (Some(note_id(&ids[0]).as_str()), Some(featured.as_str()))
    );
    let (_, collection) = fetch(&app, &featured).await;
    assert_eq!(collection["totalItems"], 1);
    // Unpinning what is not pinned sends nothing more.
    let again = app
        .http
        .post(format!("{}/api/v1/statuses/{}/unpin", app.url, ids[0]))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    // Pinning it again is announced again; by the time that Add arrives, a second Remove
    // queued before it would have too.
    let repinned = app
        .http
        .post(format!("{}/api/v1/statuses/{}/pin", app.url, ids[0]))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(repinned.status(), 200);
    let count = |kind: &str| {
        remote
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == kind)
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count("Add") < 3 {
        assert!(std::time::Instant::now() < deadline, "the third Add");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(count("Remove"), 1);
}

#[tokio::test]
async fn top_friends_are_their_own_featured_collection() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    app.sign_up("bo").await;
    app.sign_up("cy").await;
    let saved = app
        .post_form(
            "/api/profiles/top_friends",
            &[
                ("friend_1", "cy"),
                ("friend_2", "bo"),
                ("friend_3", ""),
                ("friend_4", ""),
                ("friend_5", ""),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(saved.status(), 200, "{:?}", saved.text().await);
    let ana_actor = format!("{}/users/ana", app.url);
    let (_, collections) = fetch(&app, &format!("{ana_actor}/collections")).await;
    assert_eq!(collections["type"], "OrderedCollection");
    assert_eq!(collections["totalItems"], 1);
    let top = &collections["orderedItems"][0];
    assert_eq!(top["type"], "FeaturedCollection");
    assert_eq!(top["attributedTo"], ana_actor);
    let friends: Vec<&str> = top["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert_eq!(item["type"], "FeaturedItem");
            item["featuredObject"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        friends,
        [
            format!("{}/users/cy", app.url),
            format!("{}/users/bo", app.url)
        ],
        "in the owner's order"
    );
    let (status, alone) = fetch(&app, top["id"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(alone["orderedItems"], top["orderedItems"]);
    // featured is no longer the Top Friends.
    let (_, featured) = fetch(&app, &format!("{ana_actor}/featured")).await;
    assert_eq!(featured["totalItems"], 0);
}

#[tokio::test]
async fn followers_only_notes_are_served_to_signed_fetches_of_those_who_may_see_them() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let remote = Remote::start().await;
    let ana_actor = format!("{}/users/ana", app.url);
    remote_follows(&app, &remote, "mia", &ana_actor).await;
    let post = |content: &'static str, visibility: &'static str| {
        let app = &app;
        let session = &session;
        async move {
            app.post_form(
                "/api/thoughts/post",
                &[("content", content), ("visibility", visibility)],
                Some(session),
            )
            .await
            .json::<String>()
            .await
            .unwrap()
        }
    };
    let private = format!(
        "{ana_actor}/thoughts/{}",
        post("for followers", "followers").await
    );
    let public = format!("{ana_actor}/thoughts/{}", post("for all", "public").await);

    assert_eq!(fetch(&app, &private).await.0, 404, "unsigned");
    let as_mia = remote.signed("mia", &private, None).await;
    assert_eq!(as_mia.status(), 200);
    let note: Value = as_mia.json().await.unwrap();
    assert_eq!(note["content"], "<p>for followers</p>");
    assert_eq!(note["to"], json!([format!("{ana_actor}/followers")]));
    // The same note at its page address, for servers.
    let page = private.replace("/users/ana/thoughts/", "/@ana/");
    assert_eq!(remote.signed("mia", &page, None).await.status(), 200);
    let elsewhere = Remote::start().await;
    assert_eq!(
        elsewhere.signed("zed", &private, None).await.status(),
        404,
        "a signed fetch by someone on a server where nobody follows ana"
    );
    // Mia's server may fetch it as anyone there (its instance actor, say): it holds all
    // their keys, and gets the note delivered for her anyway.
    assert_eq!(remote.signed("zed", &private, None).await.status(), 200);
    assert_eq!(fetch(&app, &public).await.0, 200, "public stays unsigned");

    // A forged signature (right key id, wrong key) is treated as unsigned.
    let other = keys::generate().await.unwrap();
    let key = keys::private_key(&other.private_pem).unwrap();
    let mut request = app
        .http
        .get(&private)
        .header("accept", "application/activity+json");
    for (name, value) in signatures::sign(
        &http::Method::GET,
        &url::Url::parse(&private).unwrap(),
        None,
        &format!("{}#main-key", remote.actor("mia")),
        &key,
        chrono::Utc::now(),
    ) {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 404);

    // Once mia no longer follows, she is refused too.
    sqlx::query("DELETE FROM follows")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(remote.signed("mia", &private, None).await.status(), 404);
}

/// A client API call with a bearer key; the status and parsed body.
async fn call(app: &TestApp, key: &str, method: reqwest::Method, path: &str) -> (u16, Value) {
    let response = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn endorsements_are_the_top_friends_in_the_client_api() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    for name in ["bo", "cy", "di", "ed", "flo", "gus"] {
        app.sign_up(name).await;
    }
    let key = app.api_key("ana", "read write").await;
    let id = |name: &'static str| {
        let app = &app;
        async move { user_id(app, name).await.to_string() }
    };
    let names = |accounts: &Value| -> Vec<String> {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    let (status, relationship) = call(
        &app,
        &key,
        post.clone(),
        &format!("/api/v1/accounts/{}/endorse", id("cy").await),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(relationship["endorsed"], true);
    // The older alias, and twice changes nothing.
    for name in ["bo", "bo"] {
        let (status, _) = call(
            &app,
            &key,
            post.clone(),
            &format!("/api/v1/accounts/{}/pin", id(name).await),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (_, mine) = call(&app, &key, get.clone(), "/api/v1/endorsements").await;
    assert_eq!(names(&mine), ["cy", "bo"], "in the Top Friends order");
    let top: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM top_friends t JOIN users u ON u.id = t.friend_id ORDER BY t.position",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(top, ["cy", "bo"], "the same Top Friends the profile shows");
    let (_, theirs) = app
        .http
        .get(format!(
            "{}/api/v1/accounts/{}/endorsements",
            app.url,
            id("ana").await
        ))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(names(&theirs.json::<Value>().await.unwrap()), ["cy", "bo"]);
    let (_, relationships) = call(
        &app,
        &key,
        get.clone(),
        &format!(
            "/api/v1/accounts/relationships?id[]={}&id[]={}",
            id("bo").await,
            id("di").await
        ),
    )
    .await;
    assert_eq!(
        (&relationships[0]["endorsed"], &relationships[1]["endorsed"]),
        (&json!(true), &json!(false))
    );

    // Five at most: the sixth is refused naming the rule.
    for name in ["di", "ed", "flo"] {
        let path = format!("/api/v1/accounts/{}/endorse", id(name).await);
        assert_eq!(call(&app, &key, post.clone(), &path).await.0, 200);
    }
    let (status, error) = call(
        &app,
        &key,
        post.clone(),
        &format!("/api/v1/accounts/{}/endorse", id("gus").await),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(error.to_string().contains("top_friends"), "{error}");

    // Unendorsing closes the gap; the profile page shows the same order.
    let (status, relationship) = call(
        &app,
        &key,
        post.clone(),
        &format!("/api/v1/accounts/{}/unendorse", id("bo").await),
    )
    .await;
    assert_eq!((status, &relationship["endorsed"]), (200, &json!(false)));
    let (_, mine) = call(&app, &key, get.clone(), "/api/v1/endorsements").await;
    assert_eq!(names(&mine), ["cy", "di", "ed", "flo"]);
    let page = app.get_as(&session, "/@ana").await.text().await.unwrap();
    let positions: Vec<usize> = ["cy", "di", "ed", "flo"]
        .iter()
        .map(|name| {
            page.find(&format!("href=\"/@{name}\""))
                .unwrap_or(usize::MAX)
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );

    // Someone who cannot be a Top Friend (a block stands between them) is refused.
    let gus = app.api_key("gus", "write").await;
    let (status, _) = call(
        &app,
        &gus,
        post.clone(),
        &format!("/api/v1/accounts/{}/block", id("ana").await),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        &key,
        post.clone(),
        &format!("/api/v1/accounts/{}/unendorse", id("flo").await),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        &key,
        post,
        &format!("/api/v1/accounts/{}/endorse", id("gus").await),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn profile_fields_both_ways() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = app.api_key("ana", "read write").await;

    // The client API: fields_attributes replaces them; the Account shows them.
    let response = app
        .http
        .patch(format!("{}/api/v1/accounts/update_credentials", app.url))
        .bearer_auth(&key)
        .json(&json!({ "fields_attributes": [
            { "name": "Site", "value": "https://ana.example/about" },
            { "name": "Likes", "value": "<b>tea</b>" },
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let account: Value = response.json().await.unwrap();
    assert_eq!(account["fields"][0]["name"], "Site");
    assert_eq!(
        account["fields"][0]["value"],
        "<a href=\"https://ana.example/about\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">https://ana.example/about</a>"
    );
    assert_eq!(account["fields"][1]["value"], "&lt;b&gt;tea&lt;/b&gt;");
    let (_, me) = call(
        &app,
        &key,
        reqwest::Method::GET,
        "/api/v1/accounts/verify_credentials",
    )
    .await;
    assert_eq!(
        me["source"]["fields"],
        json!([{ "name": "Site", "value": "https://ana.example/about", "verified_at": null },
               { "name": "Likes", "value": "<b>tea</b>", "verified_at": null }])
    );
    // Five, or a value without a name, are refused naming the parameter; nothing changes.
    let five: Vec<Value> = (0..5)
        .map(|n| json!({ "name": format!("n{n}"), "value": "v" }))
        .collect();
    for fields in [json!(five), json!([{ "name": "", "value": "orphan" }])] {
        let response = app
            .http
            .patch(format!("{}/api/v1/accounts/update_credentials", app.url))
            .bearer_auth(&key)
            .json(&json!({ "fields_attributes": fields }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains("fields_attributes"));
    }

    // The actor carries them as PropertyValue attachments.
    let (_, actor) = fetch(&app, &format!("{}/users/ana", app.url)).await;
    assert_eq!(
        actor["attachment"][0],
        json!({ "type": "PropertyValue", "name": "Site", "value": account["fields"][0]["value"] })
    );
    assert_eq!(actor["attachment"].as_array().unwrap().len(), 2);

    // The settings form (a plain form post) edits them; the profile page shows them.
    let saved = app
        .post_form(
            "/api/profiles/update",
            &[
                ("display_name", "Ana"),
                ("bio", ""),
                ("avatar_url", ""),
                ("header_url", ""),
                ("field_name_1", "Blog"),
                ("field_value_1", "https://blog.example"),
                ("field_name_2", ""),
                ("field_value_2", ""),
                ("field_name_3", "Town"),
                ("field_value_3", "Lyon"),
                ("field_name_4", ""),
                ("field_value_4", ""),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(saved.status(), 200, "{:?}", saved.text().await);
    let fields: Vec<(String, String)> =
        sqlx::query_as("SELECT name, value FROM profile_fields ORDER BY position")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        fields,
        [
            ("Blog".to_owned(), "https://blog.example".to_owned()),
            ("Town".to_owned(), "Lyon".to_owned())
        ]
    );
    let settings = app
        .get_as(&session, "/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        settings.contains("value=\"https://blog.example\""),
        "the settings form shows them"
    );
    let page = app.get("/@ana").await.text().await.unwrap();
    assert!(page.contains("<dt>Blog</dt>"), "{page}");
    assert!(
        page.contains("<a href=\"https://blog.example\" rel=\"me nofollow noopener noreferrer\"")
    );

    // Incoming: a remote actor's fields are stored cleaned and shown.
    let remote = Remote::start().await;
    remote_follows(&app, &remote, "mia", &format!("{}/users/ana", app.url)).await;
    let mia = remote.actor("mia");
    let (id, handle): (uuid::Uuid, String) =
        sqlx::query_as("SELECT id, username FROM users WHERE ap_id = $1")
            .bind(&mia)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let (_, account) = call(
        &app,
        &key,
        reqwest::Method::GET,
        &format!("/api/v1/accounts/{id}"),
    )
    .await;
    let fields = account["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[1]["name"], "Pronouns", "control characters removed");
    let site = fields[0]["value"].as_str().unwrap();
    assert!(
        site.contains("href=\"https://mia.example\"")
            && !site.contains("onclick")
            && !site.contains("script"),
        "{site}"
    );
    let page = app
        .get_as(&session, &format!("/@{handle}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<dt>Pronouns</dt><dd>she/her</dd>"), "{page}");
}
