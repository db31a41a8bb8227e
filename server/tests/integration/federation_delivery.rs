//! Sending, second pass (issue #15), against real PostgreSQL and real inboxes on loopback:
//! per-server health (failing, unavailable, dropped, available again).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::support::{insert_thought, insert_user, TestApp, TestDatabase};
use app::backend::{
    federation::{client::FederationOptions, delivery, keys, outbox, servers},
    Backend,
};
use axum::{extract::State, routing::post, Router};
use serde_json::json;
use uuid::Uuid;

/// An inbox answering with scripted statuses (202 once the script runs out), counting requests.
#[derive(Clone, Default)]
struct Inbox {
    script: Arc<Mutex<VecDeque<u16>>>,
    received: Arc<Mutex<usize>>,
}

impl Inbox {
    async fn serve(self, statuses: &[u16]) -> String {
        self.script.lock().unwrap().extend(statuses);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/inbox", post(receive))
            .with_state(self);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/inbox")
    }
}

async fn receive(State(inbox): State<Inbox>) -> axum::http::StatusCode {
    *inbox.received.lock().unwrap() += 1;
    let status = inbox.script.lock().unwrap().pop_front().unwrap_or(202);
    axum::http::StatusCode::from_u16(status).unwrap()
}

struct Setup {
    db: TestDatabase,
    backend: Backend,
    sender: Uuid,
}

async fn setup(unavailable_after: Duration) -> Setup {
    let db = TestDatabase::new().await;
    let options = FederationOptions {
        unavailable_after,
        ..FederationOptions::for_loopback_tests()
    };
    let backend = Backend::new(db.pool.clone(), "http://ts.test".into(), &options).unwrap();
    let sender = insert_user(&db.pool, "ana").await;
    keys::for_user(&db.pool, sender).await.unwrap();
    Setup {
        db,
        backend,
        sender,
    }
}

async fn enqueue(setup: &Setup, inboxes: &[&str], id: &str) {
    let activity = json!({ "id": id, "type": "Create", "actor": "http://ts.test/users/ana" });
    let mut connection = setup.db.pool.acquire().await.unwrap();
    let inboxes = inboxes.iter().map(|inbox| inbox.to_string()).collect();
    outbox::enqueue(&mut connection, Some(setup.sender), &activity, inboxes)
        .await
        .unwrap();
}

async fn make_due(setup: &Setup) {
    sqlx::query("UPDATE deliveries SET next_attempt_at = now()")
        .execute(&setup.db.pool)
        .await
        .unwrap();
}

async fn queued_to(setup: &Setup, inbox: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE inbox_url = $1")
        .bind(inbox)
        .fetch_one(&setup.db.pool)
        .await
        .unwrap()
}

async fn health(setup: &Setup, inbox: &str) -> servers::ServerHealth {
    let host = inbox
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    servers::status(&setup.db.pool)
        .await
        .unwrap()
        .into_iter()
        .find(|server| server.host == host)
        .unwrap_or_else(|| panic!("{host} is not in the status"))
}

#[tokio::test]
async fn a_server_failing_past_the_span_is_unavailable_gets_nothing_and_is_back_when_it_writes() {
    let setup = setup(Duration::ZERO).await;
    let down = Inbox::default();
    let down_url = down.clone().serve(&[503, 503]).await;
    let fine_url = Inbox::default().serve(&[]).await;

    enqueue(&setup, &[&down_url], "http://ts.test/activities/1").await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    let first = health(&setup, &down_url).await;
    assert!(first.failing_since.is_some() && first.unavailable_since.is_none());
    assert_eq!(
        (first.failures, first.queued),
        (1, 1),
        "retried: still queued"
    );

    // The second failure comes after the (zero) span: unavailable, and given up at once.
    make_due(&setup).await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    let second = health(&setup, &down_url).await;
    assert!(second.unavailable_since.is_some());
    assert_eq!((second.failures, second.queued, second.dead), (2, 0, 1));
    let letters = delivery::dead_letters(&setup.backend).await.unwrap();
    assert_eq!(
        letters[0].error,
        "HTTP 503: ; its server is marked unavailable"
    );

    // While it is down nothing is queued for it (counted); other servers are not affected.
    enqueue(
        &setup,
        &[&down_url, &fine_url],
        "http://ts.test/activities/2",
    )
    .await;
    assert_eq!(queued_to(&setup, &down_url).await, 0);
    assert_eq!(queued_to(&setup, &fine_url).await, 1);
    assert_eq!(health(&setup, &down_url).await.dropped, 1);
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert!(health(&setup, &fine_url).await.last_success_at.is_some());

    // Something already queued when it went down is not sent either: it waits as a dead letter.
    sqlx::query("INSERT INTO deliveries (activity_id, activity_type, sender_id, inbox_url, payload) VALUES ('http://ts.test/activities/3', 'Create', $1, $2, '{}')")
        .bind(setup.sender)
        .bind(&down_url)
        .execute(&setup.db.pool)
        .await
        .unwrap();
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert_eq!(*down.received.lock().unwrap(), 2, "never tried");
    assert_eq!(health(&setup, &down_url).await.dead, 2);

    // It sends us an activity (one of its actors): available again, and deliveries flow.
    let actor = down_url.replace("/inbox", "/users/someone");
    servers::heard_from(&setup.backend, &actor).await.unwrap();
    let back = health(&setup, &down_url).await;
    assert!(back.unavailable_since.is_none() && back.failing_since.is_none());
    assert_eq!(back.failures, 0);
    enqueue(&setup, &[&down_url], "http://ts.test/activities/4").await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert_eq!(*down.received.lock().unwrap(), 3);
    assert!(health(&setup, &down_url).await.last_success_at.is_some());
}

#[tokio::test]
async fn failures_within_the_span_only_retry_and_an_answer_clears_them() {
    let setup = setup(Duration::from_secs(7 * 24 * 3600)).await;
    let inbox = Inbox::default();
    let url = inbox.clone().serve(&[500, 500, 500, 404]).await;
    enqueue(&setup, &[&url], "http://ts.test/activities/1").await;
    for _ in 0..3 {
        make_due(&setup).await;
        delivery::deliver_due(&setup.backend).await.unwrap();
    }
    let failing = health(&setup, &url).await;
    assert!(failing.unavailable_since.is_none(), "a week has not passed");
    assert_eq!((failing.failures, failing.queued), (3, 1));

    // A refusal (404) is an answer: the server is up, though the delivery is given up.
    make_due(&setup).await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    let answered = health(&setup, &url).await;
    assert!(answered.failing_since.is_none());
    assert_eq!(
        (answered.failures, answered.queued, answered.dead),
        (0, 0, 1)
    );

    // Replaying a dead letter to a server marked unavailable gives it another chance.
    sqlx::query("UPDATE federation_servers SET unavailable_since = now(), failing_since = now()")
        .execute(&setup.db.pool)
        .await
        .unwrap();
    assert_eq!(delivery::replay(&setup.backend, &[]).await.unwrap(), 1);
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert_eq!(*inbox.received.lock().unwrap(), 5, "the replay was sent");
    assert!(health(&setup, &url).await.unavailable_since.is_none());
}

#[tokio::test]
async fn servers_are_told_apart_by_the_authority_of_their_addresses() {
    let db = TestDatabase::new().await;
    for (url, host) in [
        ("https://Mastodon.Example/inbox", Some("mastodon.example")),
        (
            "http://user@127.0.0.1:8443/users/x/inbox?a=b",
            Some("127.0.0.1:8443"),
        ),
        ("https://m.example#frag", Some("m.example")),
        ("not a url", None),
    ] {
        let found: Option<String> = sqlx::query_scalar("SELECT url_authority($1)")
            .bind(url)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(found.as_deref(), host, "{url}");
    }
}

#[tokio::test]
async fn a_remote_status_in_the_client_api_carries_its_own_ids_mentions_and_parent_author() {
    let app = TestApp::spawn().await;
    let pool = &app.db.pool;
    app.sign_up("ana").await;
    let ana: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(pool)
        .await
        .unwrap();
    let rem: Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, is_remote, ap_id, inbox_url)
         VALUES ('rem@remote.example', true, 'https://remote.example/users/rem', 'https://remote.example/inbox') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO remote_actors (ap_url, username, inbox_url, user_id, profile_url) VALUES ('https://remote.example/users/rem', 'rem', 'https://remote.example/inbox', $1, 'https://remote.example/@rem')")
        .bind(rem)
        .execute(pool)
        .await
        .unwrap();
    let parent = insert_thought(pool, ana, "a question", "public", chrono::Utc::now()).await;
    let reply: Uuid = sqlx::query_scalar(
        "INSERT INTO thoughts (user_id, content, content_html, visibility, reply_to, ap_id, url)
         VALUES ($1, '@ana an answer', '<p>@ana an answer</p>', 'public', $2,
                 'https://remote.example/notes/1', 'https://remote.example/@rem/1') RETURNING id",
    )
    .bind(rem)
    .bind(parent)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO thought_mentions (thought_id, user_id) VALUES ($1, $2)")
        .bind(reply)
        .bind(ana)
        .execute(pool)
        .await
        .unwrap();

    let key = app.api_key("ana", "read").await;
    let status: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/statuses/{reply}", app.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["uri"], "https://remote.example/notes/1", "{status}");
    assert_eq!(status["url"], "https://remote.example/@rem/1");
    assert_eq!(status["in_reply_to_id"], parent.to_string());
    assert_eq!(status["in_reply_to_account_id"], ana.to_string());
    assert_eq!(status["mentions"][0]["acct"], "ana");
    assert_eq!(status["mentions"][0]["id"], ana.to_string());
    assert_eq!(status["account"]["acct"], "rem@remote.example");
    assert_eq!(status["account"]["username"], "rem");
    assert_eq!(status["account"]["url"], "https://remote.example/@rem");
    assert_eq!(status["account"]["uri"], "https://remote.example/users/rem");
}
