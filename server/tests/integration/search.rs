//! `v2/search` as apps use it: `resolve=true` turns our own and other servers' status and
//! account URLs into results (other servers' fetched through the federation client, whose
//! address checks apply), and blocks let the blocker find the blocked (to unblock them)
//! while the blocked never find the blocker.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use axum::{extract::State, routing::get, Json, Router};
use serde_json::{json, Value};

use crate::support::{TestApp, TestDatabase};

/// A member with an API key with every scope.
struct Person {
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
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    Person {
        key: made["secret"].as_str().unwrap().to_owned(),
        id: id.to_string(),
    }
}

/// `v2/search?q=…&resolve=…` as `who` (a visitor when `None`).
async fn search(app: &TestApp, who: Option<&Person>, q: &str, resolve: bool) -> Value {
    let mut request = app
        .http
        .get(format!("{}/api/v2/search", app.url))
        .query(&[("q", q), ("resolve", &resolve.to_string())]);
    if let Some(who) = who {
        request = request.bearer_auth(&who.key);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "searching {q}");
    response.json().await.unwrap()
}

fn usernames(results: &Value) -> Vec<&str> {
    results["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["acct"].as_str().unwrap())
        .collect()
}

fn status_ids(results: &Value) -> Vec<&str> {
    results["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| status["id"].as_str().unwrap())
        .collect()
}

async fn post(app: &TestApp, who: &Person, text: &str, visibility: &str) -> String {
    let response = app
        .http
        .post(format!("{}/api/v1/statuses", app.url))
        .bearer_auth(&who.key)
        .json(&json!({ "status": text, "visibility": visibility }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    made["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn resolve_finds_our_own_status_and_account_urls_as_the_viewer_may_see_them() {
    let app = TestApp::spawn().await;
    let ana = person(&app, "ana").await;
    let bo = person(&app, "bo").await;
    let public = post(&app, &ana, "ana in public", "public").await;
    let direct = post(&app, &ana, "ana to herself", "direct").await;

    for url in [
        format!("{}/@ana/{public}", app.url),
        format!("{}/users/ana/thoughts/{public}", app.url),
    ] {
        let found = search(&app, Some(&bo), &url, true).await;
        assert_eq!(status_ids(&found), [public.as_str()], "{url}");
        assert!(usernames(&found).is_empty(), "{url}: {found}");
    }
    for url in [
        format!("{}/@ana", app.url),
        format!("{}/users/ana", app.url),
    ] {
        let found = search(&app, Some(&bo), &url, true).await;
        assert_eq!(usernames(&found), ["ana"], "{url}");
        assert_eq!(found["accounts"][0]["id"], ana.id.as_str());
    }
    // What bo may not see stays unseen, by its address too; its author finds it.
    let hidden = format!("{}/@ana/{direct}", app.url);
    assert!(status_ids(&search(&app, Some(&bo), &hidden, true).await).is_empty());
    assert_eq!(
        status_ids(&search(&app, Some(&ana), &hidden, true).await),
        [direct.as_str()]
    );
    // Without resolve, an address is searched as text: no status is looked up by it.
    let unresolved = search(
        &app,
        Some(&bo),
        &format!("{}/@ana/{public}", app.url),
        false,
    )
    .await;
    assert!(status_ids(&unresolved).is_empty(), "{unresolved}");
}

/// Another server with one person, `mia`, a public note and a followers-only one; it counts
/// the requests it is sent.
#[derive(Clone)]
struct Remote {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Remote {
    async fn start() -> Self {
        let pair = app::backend::federation::keys::generate().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = Remote {
            url: format!("http://{}", listener.local_addr().unwrap()),
            requests: Arc::default(),
        };
        let actor = {
            let id = format!("{}/users/mia", remote.url);
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id, "type": "Person", "preferredUsername": "mia", "name": "Mia Remote",
                "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"), "followers": format!("{id}/followers"),
                "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pair.public_pem },
            })
        };
        let note = |number: u32, text: &str, to: &str| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": remote.note(number), "type": "Note", "attributedTo": remote.actor(),
                "content": format!("<p>{text}</p>"), "published": "2026-01-01T00:00:00Z",
                "to": [to], "cc": [],
            })
        };
        let public = note(
            1,
            "mia says hello",
            "https://www.w3.org/ns/activitystreams#Public",
        );
        let followers = note(
            2,
            "mia to her followers",
            &format!("{}/followers", remote.actor()),
        );
        let document = |value: Value| {
            move |State(remote): State<Remote>| {
                let value = value.clone();
                async move {
                    remote.requests.fetch_add(1, Ordering::SeqCst);
                    ([("content-type", "application/activity+json")], Json(value))
                }
            }
        };
        let app = Router::new()
            .route("/users/mia", get(document(actor)))
            .route("/users/mia/notes/1", get(document(public)))
            .route("/users/mia/notes/2", get(document(followers)))
            .with_state(remote.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        remote
    }

    fn actor(&self) -> String {
        format!("{}/users/mia", self.url)
    }

    fn note(&self, number: u32) -> String {
        format!("{}/users/mia/notes/{number}", self.url)
    }

    fn handle(&self) -> String {
        format!("mia@{}", self.url.trim_start_matches("http://"))
    }
}

#[tokio::test]
async fn resolve_fetches_another_servers_status_and_account_for_a_logged_in_person() {
    let app = TestApp::spawn().await;
    let bo = person(&app, "bo").await;
    let remote = Remote::start().await;

    // A visitor cannot make the server fetch, nor can a search without resolve.
    assert!(status_ids(&search(&app, None, &remote.note(1), true).await).is_empty());
    assert!(status_ids(&search(&app, Some(&bo), &remote.note(1), false).await).is_empty());
    assert_eq!(remote.requests.load(Ordering::SeqCst), 0);

    let found = search(&app, Some(&bo), &remote.note(1), true).await;
    let statuses = found["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), 1, "{found}");
    assert!(
        statuses[0]["content"]
            .as_str()
            .unwrap()
            .contains("mia says hello"),
        "{found}"
    );
    assert_eq!(statuses[0]["account"]["acct"], remote.handle().as_str());
    // Stored: found again without asking the other server.
    let asked = remote.requests.load(Ordering::SeqCst);
    let again = search(&app, Some(&bo), &remote.note(1), true).await;
    assert_eq!(status_ids(&again), status_ids(&found));
    assert_eq!(remote.requests.load(Ordering::SeqCst), asked);

    let account = search(&app, Some(&bo), &remote.actor(), true).await;
    assert_eq!(usernames(&account), [remote.handle().as_str()], "{account}");

    // Only public posts are fetched by their address.
    let followers_only = search(&app, Some(&bo), &remote.note(2), true).await;
    assert!(status_ids(&followers_only).is_empty(), "{followers_only}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM thoughts WHERE ap_id = $1")
        .bind(remote.note(2))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn resolve_never_fetches_what_the_federation_address_checks_refuse() {
    // As in production: loopback and plain http are off limits.
    let app = TestApp::spawn_with(
        TestDatabase::new().await,
        None,
        &[("ALLOW_PRIVATE_ADDRESSES", "false")],
    )
    .await;
    let bo = person(&app, "bo").await;
    let remote = Remote::start().await;
    for url in [remote.note(1), remote.actor()] {
        let found = search(&app, Some(&bo), &url, true).await;
        assert!(
            status_ids(&found).is_empty() && usernames(&found).is_empty(),
            "{found}"
        );
    }
    assert_eq!(
        remote.requests.load(Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_blocker_finds_the_blocked_by_name_and_the_blocked_never_find_the_blocker() {
    let app = TestApp::spawn().await;
    let bo = person(&app, "bo").await;
    let eve = person(&app, "evelyn").await;
    let response = app
        .http
        .post(format!("{}/api/v1/accounts/{}/block", app.url, eve.id))
        .bearer_auth(&bo.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // bo finds evelyn (by name and by address), and can unblock from her account.
    let found = search(&app, Some(&bo), "evelyn", false).await;
    assert_eq!(usernames(&found), ["evelyn"], "{found}");
    assert_eq!(found["accounts"][0]["id"], eve.id.as_str());
    let by_address = search(&app, Some(&bo), &format!("{}/@evelyn", app.url), true).await;
    assert_eq!(usernames(&by_address), ["evelyn"]);
    // evelyn never finds bo, by name or by address.
    assert!(usernames(&search(&app, Some(&eve), "bo", false).await).is_empty());
    assert!(
        usernames(&search(&app, Some(&eve), &format!("{}/@bo", app.url), true).await).is_empty()
    );
    let unblocked = app
        .http
        .post(format!("{}/api/v1/accounts/{}/unblock", app.url, eve.id))
        .bearer_auth(&bo.key)
        .send()
        .await
        .unwrap();
    assert_eq!(unblocked.status(), 200);
    assert_eq!(
        usernames(&search(&app, Some(&eve), "bo", false).await),
        ["bo"]
    );
}
