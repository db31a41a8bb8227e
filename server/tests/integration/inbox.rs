//! The inbox against real PostgreSQL: every activity type it handles, sent HTTP-signed by a
//! remote actor that a small server on loopback publishes (with its key), and the refusals.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::support::TestApp;
use app::backend::{
    federation::{client::FederationOptions, keys, signatures},
    Backend,
};
use axum::{
    body::Bytes,
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

/// Another server with one person, `mia`: it publishes her actor and notes, and records
/// what arrives in her inbox.
#[derive(Clone)]
struct Remote {
    url: String,
    /// (private, public) PEM; replaced to rotate the key.
    keys: Arc<Mutex<(String, String)>>,
    received: Arc<Mutex<Vec<Value>>>,
    notes: Arc<Mutex<HashMap<String, Value>>>,
}

impl Remote {
    async fn start() -> Self {
        let pair = keys::generate().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = Remote {
            url: format!("http://{}", listener.local_addr().unwrap()),
            keys: Arc::new(Mutex::new((pair.private_pem, pair.public_pem))),
            received: Arc::default(),
            notes: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/users/mia", get(actor))
            .route("/users/mia/notes/{id}", get(note))
            .route("/users/mia/inbox", post(receive))
            .route("/inbox", post(receive))
            .with_state(remote.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        remote
    }

    fn actor_id(&self) -> String {
        format!("{}/users/mia", self.url)
    }

    fn id(&self, what: &str) -> String {
        format!("{}/users/mia/{what}", self.url)
    }

    fn handle(&self) -> String {
        format!("mia@{}", self.url.trim_start_matches("http://"))
    }

    /// POSTs `activity` to `inbox`, signed with mia's key; returns the status and body.
    async fn send(&self, inbox: &str, activity: &Value) -> (u16, String) {
        self.send_bytes(inbox, activity.to_string().into_bytes(), chrono::Utc::now())
            .await
    }

    async fn send_bytes(
        &self,
        inbox: &str,
        body: Vec<u8>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> (u16, String) {
        let url = url::Url::parse(inbox).unwrap();
        let key = keys::private_key(&self.keys.lock().unwrap().0).unwrap();
        let mut request = reqwest::Client::new()
            .post(inbox)
            .header("content-type", "application/activity+json");
        for (name, value) in signatures::sign(
            &http::Method::POST,
            &url,
            Some(&body),
            &format!("{}#main-key", self.actor_id()),
            &key,
            at,
        ) {
            request = request.header(name, value);
        }
        let response = request.body(body).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Waits until mia's server has received an activity of `kind`, and returns it.
    async fn wait_for(&self, kind: &str) -> Value {
        for _ in 0..200 {
            if let Some(found) = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|a| a["type"] == kind)
                .cloned()
            {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no {kind} arrived; got {:?}", self.received.lock().unwrap());
    }
}

async fn actor(State(remote): State<Remote>) -> ([(&'static str, &'static str); 1], Json<Value>) {
    let id = remote.actor_id();
    (
        [("content-type", "application/activity+json")],
        Json(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": "mia", "name": "Mia Remote",
            "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"), "followers": format!("{id}/followers"),
            "endpoints": { "sharedInbox": format!("{}/inbox", remote.url) },
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": remote.keys.lock().unwrap().1.clone() },
        })),
    )
}

async fn webfinger(State(remote): State<Remote>) -> Json<Value> {
    Json(json!({ "subject": format!("acct:{}", remote.handle()),
                 "links": [{ "rel": "self", "type": "application/activity+json", "href": remote.actor_id() }] }))
}

async fn note(
    State(remote): State<Remote>,
    Path(id): Path<String>,
) -> Result<Json<Value>, axum::http::StatusCode> {
    remote
        .notes
        .lock()
        .unwrap()
        .get(&remote.id(&format!("notes/{id}")))
        .cloned()
        .map(Json)
        .ok_or(axum::http::StatusCode::NOT_FOUND)
}

async fn receive(State(remote): State<Remote>, body: Bytes) -> axum::http::StatusCode {
    remote
        .received
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    axum::http::StatusCode::ACCEPTED
}

struct World {
    app: TestApp,
    remote: Remote,
    ana_session: String,
    ana: String,
    inbox: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let remote = Remote::start().await;
    World {
        ana: format!("{}/users/ana", app.url),
        inbox: format!("{}/inbox", app.url),
        app,
        remote,
        ana_session,
    }
}

impl World {
    async fn scalar(&self, sql: &str) -> Option<String> {
        sqlx::query_scalar::<_, Option<String>>(sql)
            .fetch_optional(&self.app.db.pool)
            .await
            .unwrap()
            .flatten()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
    }

    async fn post_thought(&self, content: &str) -> String {
        let response = self
            .app
            .post_form(
                "/api/thoughts/post",
                &[("content", content), ("visibility", "public")],
                Some(&self.ana_session),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json::<String>().await.unwrap()
    }

    fn activity(&self, kind: &str, id: &str, object: Value) -> Value {
        json!({ "@context": "https://www.w3.org/ns/activitystreams", "id": self.remote.id(id), "type": kind,
                "actor": self.remote.actor_id(), "object": object })
    }

    async fn deliver(&self, activity: Value) -> (u16, String) {
        self.remote.send(&self.inbox, &activity).await
    }
}

#[tokio::test]
async fn follows_are_accepted_undone_and_rejected_across_a_block() {
    let w = world().await;
    let follow = w.activity("Follow", "follows/1", json!(w.ana));
    assert_eq!(w.deliver(follow.clone()).await.0, 202);
    assert_eq!(
        w.scalar("SELECT state FROM follows").await.as_deref(),
        Some("accepted")
    );
    assert_eq!(
        w.count("SELECT count(*) FROM notifications WHERE type = 'follow'")
            .await,
        1
    );
    let accept = w.remote.wait_for("Accept").await;
    assert_eq!(
        (accept["actor"].as_str(), accept["object"]["id"].as_str()),
        (Some(w.ana.as_str()), follow["id"].as_str())
    );

    // Redelivered: acknowledged, nothing more.
    assert_eq!(w.deliver(follow.clone()).await.0, 202);
    assert_eq!(w.count("SELECT count(*) FROM notifications").await, 1);

    let undo = w.activity("Undo", "undos/1", follow);
    assert_eq!(w.deliver(undo).await.0, 202);
    assert_eq!(w.count("SELECT count(*) FROM follows").await, 0);

    // Ana blocks her (her server hears of it); a new Follow is rejected.
    let block = w
        .app
        .post_form(
            "/api/profiles/block",
            &[("username", &w.remote.handle()), ("on", "true")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(block.status(), 200);
    assert_eq!(
        w.remote.wait_for("Block").await["object"],
        json!(w.remote.actor_id())
    );
    assert_eq!(
        w.deliver(w.activity("Follow", "follows/2", json!(w.ana)))
            .await
            .0,
        202
    );
    assert_eq!(
        w.remote.wait_for("Reject").await["object"]["id"],
        json!(w.remote.id("follows/2"))
    );
    assert_eq!(w.count("SELECT count(*) FROM follows").await, 0);
}

#[tokio::test]
async fn our_follow_requests_are_accepted_or_rejected_by_their_server() {
    let w = world().await;
    // Ana finds mia (her handle is on loopback) and asks to follow.
    let found = w
        .app
        .get_as(
            &w.ana_session,
            &format!("/api/search?q=%40{}", w.remote.handle()),
        )
        .await;
    assert_eq!(
        found.json::<Value>().await.unwrap()["people"][0]["username"],
        json!(w.remote.handle())
    );
    let follow = w
        .app
        .post_form(
            "/api/profiles/follow",
            &[("username", &w.remote.handle()), ("on", "true")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(follow.status(), 200);
    assert_eq!(
        w.scalar("SELECT state FROM follows").await.as_deref(),
        Some("pending")
    );
    let sent = w.remote.wait_for("Follow").await;
    assert_eq!(sent["object"], json!(w.remote.actor_id()));

    // Accept naming the Follow by id only.
    let accept = w.activity("Accept", "accepts/1", sent["id"].clone());
    assert_eq!(w.deliver(accept).await.0, 202);
    assert_eq!(
        w.scalar("SELECT state FROM follows").await.as_deref(),
        Some("accepted")
    );

    // A Reject (with the Follow embedded) ends it.
    let reject = w.activity("Reject", "rejects/1", sent.clone());
    assert_eq!(w.deliver(reject).await.0, 202);
    assert_eq!(w.count("SELECT count(*) FROM follows").await, 0);
}

#[tokio::test]
async fn notes_arrive_change_and_go() {
    let w = world().await;
    let thought = w.post_thought("what do you think?").await;
    let note_id = w.remote.id("notes/1");
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": w.remote.actor_id(),
        "content": "<p>I think <strong>yes</strong> <a href=\"x\" onclick=\"evil()\">#Rust</a><script>alert(1)</script></p>",
        "inReplyTo": format!("{}/thoughts/{thought}", w.ana), "published": "2026-11-27T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [w.ana],
        "tag": [{ "type": "Hashtag", "name": "#Rust" }, { "type": "Mention", "href": w.ana, "name": "@ana" }],
    });
    let create = w.activity("Create", "notes/1/activity", note.clone());
    assert_eq!(w.deliver(create).await.0, 202);
    let stored = w
        .scalar(&format!(
            "SELECT content_html FROM thoughts WHERE ap_id = '{note_id}'"
        ))
        .await
        .unwrap();
    assert_eq!(stored, "<p>I think <strong>yes</strong> <a href=\"x\" rel=\"nofollow noopener noreferrer\">#Rust</a></p>");
    assert_eq!(
        w.scalar(&format!(
            "SELECT reply_to::text FROM thoughts WHERE ap_id = '{note_id}'"
        ))
        .await,
        Some(thought.clone())
    );
    assert_eq!(w.count("SELECT count(*) FROM thought_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = 'rust'").await, 1);
    assert_eq!(
        w.count("SELECT count(*) FROM notifications WHERE type = 'reply'")
            .await,
        1,
        "a reply that mentions notifies once"
    );

    let mut edited = note.clone();
    edited["content"] = json!("<p>I think no</p>");
    assert_eq!(
        w.deliver(w.activity("Update", "updates/1", edited)).await.0,
        202
    );
    assert_eq!(
        w.scalar(&format!(
            "SELECT content FROM thoughts WHERE ap_id = '{note_id}'"
        ))
        .await
        .as_deref(),
        Some("I think no")
    );

    assert_eq!(
        w.deliver(w.activity(
            "Delete",
            "deletes/1",
            json!({ "id": note_id, "type": "Tombstone" })
        ))
        .await
        .0,
        202
    );
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM thoughts WHERE ap_id = '{note_id}' AND deleted_at IS NOT NULL"
        ))
        .await,
        1
    );

    // A note that concerns nobody here is not kept; one claiming another author is refused.
    let stray = json!({ "id": w.remote.id("notes/2"), "type": "Note", "attributedTo": w.remote.actor_id(), "content": "<p>hi</p>",
                        "to": ["https://www.w3.org/ns/activitystreams#Public"] });
    assert_eq!(
        w.deliver(w.activity("Create", "notes/2/activity", stray))
            .await
            .0,
        202
    );
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM thoughts WHERE ap_id = '{}'",
            w.remote.id("notes/2")
        ))
        .await,
        0
    );
    let forged = json!({ "id": w.remote.id("notes/3"), "type": "Note", "attributedTo": "http://elsewhere.test/users/x",
                         "content": "<p>hi</p>", "cc": [w.ana] });
    assert_eq!(
        w.deliver(w.activity("Create", "notes/3/activity", forged))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn our_edits_reach_followers_as_an_update_of_the_note() {
    let w = world().await;
    let follow = w.activity("Follow", "follows/1", json!(w.ana));
    assert_eq!(w.deliver(follow).await.0, 202);
    w.remote.wait_for("Accept").await;
    let thought = w.post_thought("first words #old").await;
    let create = w.remote.wait_for("Create").await;
    let edited = w
        .app
        .post_form(
            "/api/thoughts/edit",
            &[("id", &thought), ("content", "better words #new")],
            Some(&w.ana_session),
        )
        .await;
    assert!(
        edited.status().is_success() || edited.status().is_redirection(),
        "{}",
        edited.status()
    );
    let update = w.remote.wait_for("Update").await;
    let note = &update["object"];
    assert_eq!(update["actor"], json!(w.ana));
    assert_eq!(note["id"], create["object"]["id"], "the same note");
    assert_eq!(note["type"], "Note");
    assert!(
        note["content"].as_str().unwrap().contains("better words"),
        "{note}"
    );
    assert!(note["updated"].is_string(), "{note}");
    assert_eq!(
        (&note["to"], &note["cc"]),
        (&create["object"]["to"], &create["object"]["cc"]),
        "the same audience as the Create"
    );
    assert_ne!(update["id"], create["id"]);
    // The note served at its id is the edited one too.
    let served: Value = w
        .app
        .http
        .get(format!("{}/thoughts/{thought}", w.ana))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["updated"], note["updated"]);
}

#[tokio::test]
async fn remote_edits_keep_history_and_only_the_author_may_edit() {
    let w = world().await;
    let note_id = w.remote.id("notes/1");
    let mut note = json!({
        "id": note_id, "type": "Note", "attributedTo": w.remote.actor_id(),
        "content": "<p>hello <span>@ana</span> #first</p>", "published": "2026-11-27T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [w.ana],
        "tag": [{ "type": "Hashtag", "name": "#first" }, { "type": "Mention", "href": w.ana, "name": "@ana" }],
    });
    assert_eq!(
        w.deliver(w.activity("Create", "notes/1/activity", note.clone()))
            .await
            .0,
        202
    );
    let id = w
        .scalar(&format!(
            "SELECT id::text FROM thoughts WHERE ap_id = '{note_id}'"
        ))
        .await
        .unwrap();
    // Ana boosts it: she hears of the edit.
    let boost = w
        .app
        .post_form(
            "/api/thoughts/react",
            &[("id", &id), ("reaction", "boost"), ("on", "true")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(boost.status(), 200);

    note["content"] = json!("<p>hello again <span>@ana</span> #second</p>");
    note["tag"] = json!([{ "type": "Hashtag", "name": "#second" }, { "type": "Mention", "href": w.ana, "name": "@ana" }]);
    note["updated"] = json!("2026-11-27T11:00:00Z");
    assert_eq!(
        w.deliver(w.activity("Update", "updates/1", note.clone()))
            .await
            .0,
        202
    );
    assert_eq!(
        w.count(&format!(
            "SELECT count(*) FROM thoughts WHERE ap_id = '{note_id}'
                AND content = 'hello again @ana #second' AND edited_at = '2026-11-27T11:00:00Z'"
        ))
        .await,
        1
    );
    assert_eq!(
        w.scalar("SELECT content FROM thought_edits")
            .await
            .as_deref(),
        Some("hello @ana #first"),
        "the earlier version is kept"
    );
    assert_eq!(
        w.scalar(
            "SELECT string_agg(g.name, ',') FROM thought_tags tt JOIN tags g ON g.id = tt.tag_id"
        )
        .await
        .as_deref(),
        Some("second"),
        "tags follow the new text"
    );
    assert_eq!(
        w.count("SELECT count(*) FROM notifications WHERE type = 'update'")
            .await,
        1
    );
    let history: Value = w
        .app
        .get(&format!("/api/v1/statuses/{id}/history"))
        .await
        .json()
        .await
        .unwrap();
    let contents: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "<p>hello <span>@ana</span> #first</p>",
            "<p>hello again <span>@ana</span> #second</p>"
        ]
    );

    // Another person's note on the same server: she may not edit it, by naming its author
    // (refused) or herself (nothing happens).
    sqlx::query(
        "WITH bo AS (INSERT INTO users (username, is_remote, ap_id, inbox_url)
                     VALUES ($1, true, $2, $3) RETURNING id)
         INSERT INTO thoughts (user_id, content, content_html, ap_id) SELECT id, 'bo says', '<p>bo says</p>', $4 FROM bo",
    )
    .bind(format!("bo@{}", w.remote.url.trim_start_matches("http://")))
    .bind(format!("{}/users/bo", w.remote.url))
    .bind(format!("{}/users/bo/inbox", w.remote.url))
    .bind(format!("{}/users/bo/notes/9", w.remote.url))
    .execute(&w.app.db.pool)
    .await
    .unwrap();
    let forged = json!({ "id": format!("{}/users/bo/notes/9", w.remote.url), "type": "Note",
                         "attributedTo": format!("{}/users/bo", w.remote.url), "content": "<p>mia was here</p>" });
    assert_eq!(
        w.deliver(w.activity("Update", "updates/2", forged.clone()))
            .await
            .0,
        403
    );
    let mut claimed = forged;
    claimed["attributedTo"] = json!(w.remote.actor_id());
    assert_eq!(
        w.deliver(w.activity("Update", "updates/3", claimed))
            .await
            .0,
        202
    );
    assert_eq!(
        w.scalar("SELECT content FROM thoughts WHERE content LIKE 'bo%' OR content LIKE 'mia%'")
            .await
            .as_deref(),
        Some("bo says")
    );

    // An Update of a note we never had is acknowledged and stores nothing.
    let unknown = json!({ "id": w.remote.id("notes/404"), "type": "Note", "attributedTo": w.remote.actor_id(),
                          "content": "<p>never seen</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"] });
    assert_eq!(
        w.deliver(w.activity("Update", "updates/4", unknown))
            .await
            .0,
        202
    );
    assert_eq!(
        w.count("SELECT count(*) FROM thoughts WHERE content = 'never seen'")
            .await,
        0
    );
    assert_eq!(w.count("SELECT count(*) FROM thought_edits").await, 1);
}

#[tokio::test]
async fn likes_and_boosts_come_and_go_with_their_undos() {
    let w = world().await;
    let thought = w.post_thought("like me").await;
    let object = json!(format!("{}/thoughts/{thought}", w.ana));
    let count = |table: &'static str| format!("SELECT count(*) FROM {table}");

    let like = w.activity("Like", "likes/1", object.clone());
    assert_eq!(w.deliver(like.clone()).await.0, 202);
    assert_eq!(
        (
            w.count(&count("likes")).await,
            w.count("SELECT count(*) FROM notifications WHERE type = 'like'")
                .await
        ),
        (1, 1)
    );
    // Undo naming the Like by id only.
    assert_eq!(
        w.deliver(w.activity("Undo", "undos/like", like["id"].clone()))
            .await
            .0,
        202
    );
    assert_eq!(
        (
            w.count(&count("likes")).await,
            w.count("SELECT count(*) FROM notifications").await
        ),
        (0, 0)
    );

    let announce = w.activity("Announce", "announces/1", object);
    assert_eq!(w.deliver(announce.clone()).await.0, 202);
    assert_eq!(w.count(&count("boosts")).await, 1);
    assert_eq!(
        w.deliver(w.activity("Undo", "undos/announce", announce))
            .await
            .0,
        202
    );
    assert_eq!(w.count(&count("boosts")).await, 0);

    // A like of a thought she may not see does nothing.
    let private = w
        .app
        .post_form(
            "/api/thoughts/post",
            &[("content", "secret"), ("visibility", "private")],
            Some(&w.ana_session),
        )
        .await;
    let private: String = private.json().await.unwrap();
    let hidden = w.activity(
        "Like",
        "likes/2",
        json!(format!("{}/thoughts/{private}", w.ana)),
    );
    assert_eq!(w.deliver(hidden).await.0, 202);
    assert_eq!(w.count(&count("likes")).await, 0);
}

#[tokio::test]
async fn actors_update_and_delete_only_themselves_and_blocks_come_and_go() {
    let w = world().await;
    let thought = w.post_thought("hello").await;
    assert_eq!(
        w.deliver(w.activity(
            "Like",
            "likes/1",
            json!(format!("{}/thoughts/{thought}", w.ana))
        ))
        .await
        .0,
        202
    );

    let mut person = json!({ "id": w.remote.actor_id(), "type": "Person", "preferredUsername": "mia", "name": "Mia Renamed",
                             "inbox": w.remote.id("inbox"), "publicKey": { "id": format!("{}#main-key", w.remote.actor_id()),
                             "owner": w.remote.actor_id(), "publicKeyPem": w.remote.keys.lock().unwrap().1.clone() } });
    assert_eq!(
        w.deliver(w.activity("Update", "updates/1", person.clone()))
            .await
            .0,
        202
    );
    assert_eq!(
        w.scalar("SELECT display_name FROM users WHERE is_remote")
            .await
            .as_deref(),
        Some("Mia Renamed")
    );
    person["id"] = json!(format!("{}/users/someone-else", w.remote.url));
    assert_eq!(
        w.deliver(w.activity("Update", "updates/2", person)).await.0,
        403
    );

    let block = w.activity("Block", "blocks/1", json!(w.ana));
    assert_eq!(w.deliver(block.clone()).await.0, 202);
    assert_eq!(w.count("SELECT count(*) FROM blocks").await, 1);
    assert_eq!(
        w.deliver(w.activity("Undo", "undos/block", block)).await.0,
        202
    );
    assert_eq!(w.count("SELECT count(*) FROM blocks").await, 0);

    assert_eq!(
        w.deliver(w.activity("Delete", "deletes/me", json!(w.remote.actor_id())))
            .await
            .0,
        202
    );
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE is_remote").await,
        0
    );
    assert_eq!(
        w.count("SELECT count(*) FROM likes").await,
        0,
        "her likes went with her"
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_and_a_forged_one_still_fails() {
    let w = world().await;
    let first = w.post_thought("one").await;
    let second = w.post_thought("two").await;
    let like = |id: &str, thought: &str| {
        w.activity("Like", id, json!(format!("{}/thoughts/{thought}", w.ana)))
    };
    assert_eq!(
        w.deliver(like("likes/1", &first)).await.0,
        202,
        "the key is fetched and cached"
    );

    // Mia's server rotates her key: the cached one no longer verifies, so it is fetched again.
    let fresh = keys::generate().await.unwrap();
    *w.remote.keys.lock().unwrap() = (fresh.private_pem, fresh.public_pem.clone());
    assert_eq!(w.deliver(like("likes/2", &second)).await.0, 202);
    assert_eq!(w.count("SELECT count(*) FROM likes").await, 2);
    assert_eq!(
        w.scalar("SELECT public_key_pem FROM remote_actors").await,
        Some(fresh.public_pem)
    );

    // Signed with a key her server does not publish: refused even after fetching again.
    let stolen = keys::generate().await.unwrap();
    let published = w.remote.keys.lock().unwrap().1.clone();
    *w.remote.keys.lock().unwrap() = (stolen.private_pem, published);
    let (status, body) = w.deliver(like("likes/3", &first)).await;
    assert_eq!(
        (status, body.as_str()),
        (401, "signature: the signature does not verify")
    );
}

#[tokio::test]
async fn bad_deliveries_get_clear_refusals() {
    let w = world().await;
    let like = w.activity("Like", "likes/x", json!(w.ana));

    let unsigned = reqwest::Client::new()
        .post(&w.inbox)
        .body(like.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert!(unsigned.text().await.unwrap().contains("not signed"));

    let stale = w
        .remote
        .send_bytes(
            &w.inbox,
            like.to_string().into_bytes(),
            chrono::Utc::now() - chrono::Duration::hours(14),
        )
        .await;
    assert_eq!(stale.0, 401);
    assert!(stale.1.contains("12 hours"), "{}", stale.1);

    let malformed = w
        .remote
        .send_bytes(&w.inbox, b"{not json".to_vec(), chrono::Utc::now())
        .await;
    assert_eq!(malformed.0, 400);

    let huge =
        json!({ "id": w.remote.id("big"), "type": "Note", "content": "x".repeat(300 * 1024) });
    assert_eq!(w.remote.send(&w.inbox, &huge).await.0, 413);

    let mut elsewhere = like.clone();
    elsewhere["id"] = json!("http://elsewhere.test/activities/1");
    assert_eq!(
        w.deliver(elsewhere).await.0,
        403,
        "an activity id on another server"
    );

    assert_eq!(
        w.deliver(w.activity("Arrive", "arrivals/1", json!(w.ana)))
            .await
            .0,
        202,
        "unknown types are accepted"
    );
    assert_eq!(w.count("SELECT count(*) FROM likes").await, 0);

    // Our database away: 503, so that the sender tries again later. (A second server over
    // its own pool, which is then closed; the first keeps its delivery worker's connection.)
    let pool = sqlx::PgPool::connect(&w.app.db.url()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let backend = Backend::new(
        pool.clone(),
        format!("http://{addr}"),
        &FederationOptions::for_loopback_tests(),
    )
    .unwrap();
    let site_root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let router = server::http::router(backend, server::http::leptos_options(&site_root, addr));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    pool.close().await;
    let (status, body) = w
        .remote
        .send(
            &format!("http://{addr}/inbox"),
            &w.activity("Like", "likes/later", json!(w.ana)),
        )
        .await;
    assert_eq!(
        (status, body.as_str()),
        (503, "temporarily unavailable; try again later")
    );
}

/// POSTs `activity` to `inbox`, signed with mia's key as if for `signed_url`, whose Host it
/// sends (written by hand: an HTTP client would send the inbox's own Host).
async fn send_signed_for(
    remote: &Remote,
    inbox: &str,
    signed_url: &str,
    key_id: &str,
    activity: &Value,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = activity.to_string();
    let signed = url::Url::parse(signed_url).unwrap();
    let target = url::Url::parse(inbox).unwrap();
    let key = keys::private_key(&remote.keys.lock().unwrap().0).unwrap();
    let host = match signed.port() {
        Some(port) => format!("{}:{port}", signed.host_str().unwrap()),
        None => signed.host_str().unwrap().to_owned(),
    };
    let mut request = format!(
        "POST {} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/activity+json\r\ncontent-length: {}\r\nconnection: close\r\n",
        signed.path(),
        body.len()
    );
    for (name, value) in signatures::sign(
        &http::Method::POST,
        &signed,
        Some(body.as_bytes()),
        key_id,
        &key,
        chrono::Utc::now(),
    ) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    let mut stream =
        tokio::net::TcpStream::connect((target.host_str().unwrap(), target.port().unwrap()))
            .await
            .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    // The body may come chunked: keep only its text.
    let text = if head.to_lowercase().contains("transfer-encoding: chunked") {
        body.split("\r\n")
            .skip(1)
            .step_by(2)
            .collect::<Vec<_>>()
            .join("")
    } else {
        body.to_owned()
    };
    (status, text)
}

#[tokio::test]
async fn a_request_signed_for_another_host_is_refused() {
    let w = world().await;
    let follow = w.activity("Follow", "follows/elsewhere", json!(w.ana));
    // Signed (validly, by mia) for another server's inbox, then replayed here.
    let (status, body) = send_signed_for(
        &w.remote,
        &w.inbox,
        "http://other.example/inbox",
        &format!("{}#main-key", w.remote.actor_id()),
        &follow,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("signed for"), "{body}");
    assert_eq!(w.count("SELECT count(*) FROM follows").await, 0);
    // The same activity signed for this host is fine.
    assert_eq!(w.deliver(follow).await.0, 202);
}

#[tokio::test]
async fn a_key_naming_one_of_our_own_people_makes_no_phantom_account() {
    let w = world().await;
    let follow = w.activity("Follow", "follows/phantom", json!(w.ana));
    let (status, _) = send_signed_for(
        &w.remote,
        &w.inbox,
        &w.inbox,
        &format!("{}#main-key", w.ana),
        &follow,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE is_remote").await,
        0,
        "ana's own actor was not stored as a remote copy"
    );
    assert_eq!(w.count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn a_refused_key_says_nothing_of_the_network() {
    let w = world().await;
    // A key on a port nothing listens on: the fetch fails with a connection error.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let key_id = format!("http://127.0.0.1:{closed}/users/ghost#main-key");
    let follow = json!({ "@context": "https://www.w3.org/ns/activitystreams", "id": format!("http://127.0.0.1:{closed}/follows/1"),
                          "type": "Follow", "actor": format!("http://127.0.0.1:{closed}/users/ghost"), "object": w.ana });
    let (status, body) = send_signed_for(&w.remote, &w.inbox, &w.inbox, &key_id, &follow).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        format!("signature: the key {key_id} could not be fetched or used")
    );
    for leak in ["connect", "refused", "error", "tcp"] {
        assert!(!body.to_lowercase().contains(leak), "{body}");
    }
}

/// A locked account (local): a remote Follow waits; accepting sends the Accept, rejecting
/// the Reject; the actor document says followers are approved by hand.
#[tokio::test]
async fn a_follow_of_a_locked_account_waits_for_its_owner() {
    let w = world().await;
    let locked = w
        .app
        .post_form(
            "/api/safety/locked",
            &[("locked", "on")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(locked.status(), 200);
    let actor: Value = w
        .app
        .http
        .get(&w.ana)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["manuallyApprovesFollowers"], json!(true));

    let follow = w.activity("Follow", "follows/1", json!(w.ana));
    assert_eq!(w.deliver(follow.clone()).await.0, 202);
    assert_eq!(
        w.scalar("SELECT state FROM follows").await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        w.count("SELECT count(*) FROM notifications WHERE type = 'follow_request'")
            .await,
        1
    );
    // Nothing answers the Follow until ana does.
    assert_eq!(
        w.count("SELECT count(*) FROM deliveries WHERE activity_type IN ('Accept', 'Reject')")
            .await,
        0
    );
    assert!(w.remote.received.lock().unwrap().is_empty());
    let page = w
        .app
        .get_as(&w.ana_session, "/follow_requests")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&w.remote.handle()), "{page}");

    let answer = w
        .app
        .post_form(
            "/api/safety/follow_requests/answer",
            &[("username", &w.remote.handle()), ("accept", "true")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        w.scalar("SELECT state FROM follows").await.as_deref(),
        Some("accepted")
    );
    let accept = w.remote.wait_for("Accept").await;
    assert_eq!(
        (accept["actor"].as_str(), accept["object"]["id"].as_str()),
        (Some(w.ana.as_str()), follow["id"].as_str())
    );
    assert_eq!(accept["object"]["actor"], json!(w.remote.actor_id()));

    // Undone, then asked again: rejected this time.
    assert_eq!(
        w.deliver(w.activity("Undo", "undos/1", follow)).await.0,
        202
    );
    let again = w.activity("Follow", "follows/2", json!(w.ana));
    assert_eq!(w.deliver(again.clone()).await.0, 202);
    let answer = w
        .app
        .post_form(
            "/api/safety/follow_requests/answer",
            &[("username", &w.remote.handle()), ("accept", "false")],
            Some(&w.ana_session),
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(w.count("SELECT count(*) FROM follows").await, 0);
    assert_eq!(
        w.remote.wait_for("Reject").await["object"]["id"],
        again["id"]
    );
    assert_eq!(
        w.count("SELECT count(*) FROM notifications WHERE type = 'follow_request'")
            .await,
        0,
        "an answered request leaves the notifications"
    );
}

/// A remote actor with `manuallyApprovesFollowers` shows as locked.
#[tokio::test]
async fn a_remote_locked_actor_is_locked_here() {
    let w = world().await;
    let document = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": w.remote.actor_id(), "type": "Person", "preferredUsername": "mia",
        "inbox": format!("{}/inbox", w.remote.actor_id()),
        "manuallyApprovesFollowers": true,
    });
    app::backend::federation::remote::store_actor(
        &Backend::new(
            w.app.db.pool.clone(),
            w.app.url.clone(),
            &FederationOptions::for_loopback_tests(),
        )
        .unwrap(),
        &w.remote.actor_id(),
        &document,
    )
    .await
    .unwrap();
    assert_eq!(
        w.count("SELECT count(*) FROM users WHERE is_remote AND locked")
            .await,
        1
    );
}

#[tokio::test]
async fn content_warnings_arrive_and_change_with_their_notes() {
    let w = world().await;
    let note_id = w.remote.id("notes/cw");
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": w.remote.actor_id(),
        "content": "<p>the ending of the film</p>", "published": "2026-11-27T10:00:00Z",
        "summary": "film spoilers\u{7}", "sensitive": true,
        // Addressed to Ana, so that the inbox keeps it (it follows nobody here).
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [w.ana],
        "tag": [{ "type": "Mention", "href": w.ana, "name": "@ana" }],
    });
    assert_eq!(
        w.deliver(w.activity("Create", "notes/cw/activity", note.clone()))
            .await
            .0,
        202
    );
    let stored = |what: &'static str| {
        let note_id = note_id.clone();
        let w = &w;
        async move {
            w.scalar(&format!(
                "SELECT {what}::text FROM thoughts WHERE ap_id = '{note_id}'"
            ))
            .await
        }
    };
    // Kept without the control character, and shown collapsed behind it.
    assert_eq!(stored("summary").await.as_deref(), Some("film spoilers"));
    assert_eq!(stored("sensitive").await.as_deref(), Some("true"));
    let id = stored("id").await.unwrap();
    let page = w
        .app
        .get(&format!("/@{}/{id}", w.remote.handle()))
        .await
        .text()
        .await
        .unwrap();
    let warning = page
        .find("<details class=\"content-warning\">")
        .expect("the note is collapsed");
    assert!(page[warning..].contains("film spoilers"));
    assert!(page[warning..].contains("the ending of the film"));

    // An Update changes the warning (here: takes it away) with the text.
    let mut edited = note.clone();
    edited["summary"] = Value::Null;
    edited["sensitive"] = json!(false);
    assert_eq!(
        w.deliver(w.activity("Update", "updates/cw", edited))
            .await
            .0,
        202
    );
    assert_eq!(stored("summary").await, None);
    assert_eq!(stored("sensitive").await.as_deref(), Some("false"));
}
