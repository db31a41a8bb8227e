//! The delivery queue against real PostgreSQL and a real HTTP inbox on loopback: signing,
//! retries with back-off, dead letters and their replay, several workers sharing the queue,
//! and requests that never wait for the network.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use crate::support::{insert_user, TestApp, TestDatabase};
use app::backend::{
    federation::{client::FederationOptions, delivery, keys, outbox, signatures},
    Backend,
};
use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

/// An inbox that records what it receives and answers with scripted statuses (202 once the
/// script runs out). With a gate, it holds every request until the gate opens.
#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    script: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
    gate: Option<Arc<Notify>>,
}

impl Inbox {
    async fn serve(self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/inbox", post(receive))
            .with_state(self);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/inbox")
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

async fn receive(
    State(inbox): State<Inbox>,
    headers: HeaderMap,
    body: Bytes,
) -> (axum::http::StatusCode, &'static str) {
    if let Some(gate) = &inbox.gate {
        gate.notified().await;
    }
    inbox.received.lock().unwrap().push((headers, body));
    let (status, answer) = inbox
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((202, ""));
    (axum::http::StatusCode::from_u16(status).unwrap(), answer)
}

struct Setup {
    db: TestDatabase,
    backend: Backend,
    sender: Uuid,
}

/// A database with a local sender (with keys) and no worker running: the tests drive the queue.
async fn setup() -> Setup {
    let db = TestDatabase::new().await;
    let backend = Backend::new(
        db.pool.clone(),
        "http://ts.test".into(),
        &FederationOptions::for_loopback_tests(),
    )
    .unwrap();
    let sender = insert_user(&db.pool, "ana").await;
    keys::for_user(&db.pool, sender).await.unwrap();
    Setup {
        db,
        backend,
        sender,
    }
}

async fn enqueue(setup: &Setup, inbox: &str, id: &str) {
    let activity = json!({ "@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Create", "actor": "http://ts.test/users/ana" });
    let mut connection = setup.db.pool.acquire().await.unwrap();
    outbox::enqueue(
        &mut connection,
        Some(setup.sender),
        &activity,
        vec![inbox.to_owned()],
    )
    .await
    .unwrap();
}

/// Makes every queued delivery due now (instead of waiting out the back-off).
async fn make_due(setup: &Setup) {
    sqlx::query("UPDATE deliveries SET next_attempt_at = now()")
        .execute(&setup.db.pool)
        .await
        .unwrap();
}

async fn queued(setup: &Setup) -> Vec<(i32, Option<String>, f64)> {
    sqlx::query_as("SELECT attempts, last_error, extract(epoch FROM next_attempt_at - now())::float8 FROM deliveries")
        .fetch_all(&setup.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_delivery_is_signed_and_retried_with_growing_waits_until_it_arrives() {
    let setup = setup().await;
    let inbox = Inbox::default();
    inbox
        .script
        .lock()
        .unwrap()
        .extend([(500, "oops"), (503, "busy")]);
    let url = inbox.clone().serve().await;
    enqueue(&setup, &url, "http://ts.test/activities/1").await;

    assert_eq!(delivery::deliver_due(&setup.backend).await.unwrap(), 1);
    let rows = queued(&setup).await;
    assert_eq!(
        (rows[0].0, rows[0].1.as_deref()),
        (1, Some("HTTP 500: oops"))
    );
    assert!(
        (35.0..=41.0).contains(&rows[0].2),
        "first retry in about 40 s, not {}",
        rows[0].2
    );
    assert_eq!(
        delivery::deliver_due(&setup.backend).await.unwrap(),
        0,
        "nothing is due before then"
    );

    make_due(&setup).await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    let rows = queued(&setup).await;
    assert_eq!(
        (rows[0].0, rows[0].1.as_deref()),
        (2, Some("HTTP 503: busy"))
    );
    assert!(
        (75.0..=81.0).contains(&rows[0].2),
        "then in about 80 s, not {}",
        rows[0].2
    );

    make_due(&setup).await;
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert!(queued(&setup).await.is_empty(), "delivered: off the queue");
    assert_eq!(inbox.count(), 3);

    // Every attempt carried a valid signature by the sender's key over the body.
    let public = keys::public_key(
        &keys::for_user(&setup.db.pool, setup.sender)
            .await
            .unwrap()
            .public_pem,
    )
    .unwrap();
    for (headers, body) in inbox.received.lock().unwrap().iter() {
        let signature = signatures::parse_header(headers).unwrap();
        assert_eq!(signature.key_id, "http://ts.test/users/ana#main-key");
        signatures::check_request(&signature, headers, Some(body), chrono::Utc::now()).unwrap();
        let signed =
            signatures::signing_string(&signature, &http::Method::POST, "/inbox", headers).unwrap();
        assert!(signatures::verify(&public, &signed, &signature.signature));
        assert_eq!(headers["content-type"], "application/activity+json");
    }
}

#[tokio::test]
async fn a_refusal_becomes_a_dead_letter_that_can_be_replayed() {
    let setup = setup().await;
    let inbox = Inbox::default();
    inbox
        .script
        .lock()
        .unwrap()
        .push_back((410, "this account is gone"));
    let url = inbox.clone().serve().await;
    enqueue(&setup, &url, "http://ts.test/activities/2").await;

    delivery::deliver_due(&setup.backend).await.unwrap();
    assert!(queued(&setup).await.is_empty(), "a 4xx is not retried");
    let letters = delivery::dead_letters(&setup.backend).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].error, "HTTP 410: this account is gone");
    assert_eq!(
        (
            letters[0].attempts,
            letters[0].event_type.as_str(),
            letters[0].target_url.as_deref()
        ),
        (1, "Create", Some(url.as_str()))
    );

    assert_eq!(
        delivery::replay(&setup.backend, &[letters[0].id])
            .await
            .unwrap(),
        1
    );
    assert!(delivery::dead_letters(&setup.backend)
        .await
        .unwrap()
        .is_empty());
    delivery::deliver_due(&setup.backend).await.unwrap();
    assert!(queued(&setup).await.is_empty());
    assert_eq!(inbox.count(), 2, "the replay was delivered");
    let (_, body) = inbox.received.lock().unwrap()[1].clone();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"],
        "http://ts.test/activities/2"
    );

    assert_eq!(delivery::purge(&setup.backend, None).await.unwrap(), 0);
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let setup = setup().await;
    let inbox = Inbox::default();
    inbox
        .script
        .lock()
        .unwrap()
        .extend(std::iter::repeat_n((502, "bad gateway"), 20));
    let url = inbox.clone().serve().await;
    enqueue(&setup, &url, "http://ts.test/activities/3").await;
    for attempt in 1..=delivery::MAX_ATTEMPTS {
        make_due(&setup).await;
        delivery::deliver_due(&setup.backend).await.unwrap();
        let left = queued(&setup).await;
        if attempt < delivery::MAX_ATTEMPTS {
            assert_eq!(left[0].0, attempt);
        } else {
            assert!(left.is_empty());
        }
    }
    let letters = delivery::dead_letters(&setup.backend).await.unwrap();
    assert_eq!(
        (letters.len(), letters[0].attempts),
        (1, delivery::MAX_ATTEMPTS)
    );
    assert_eq!(
        delivery::purge(&setup.backend, Some(chrono::Duration::days(1)))
            .await
            .unwrap(),
        0,
        "too young to purge"
    );
    assert_eq!(delivery::purge(&setup.backend, None).await.unwrap(), 1);
}

#[tokio::test]
async fn workers_share_the_queue_and_deliver_each_activity_once() {
    let setup = setup().await;
    let inbox = Inbox::default();
    let url = inbox.clone().serve().await;
    for n in 0..40 {
        enqueue(&setup, &url, &format!("http://ts.test/activities/{n}")).await;
    }
    let worker = |backend: Backend| async move {
        let mut claimed = 0;
        loop {
            match delivery::deliver_due(&backend).await.unwrap() {
                0 => return claimed,
                n => claimed += n,
            }
        }
    };
    let (a, b, c) = tokio::join!(
        worker(setup.backend.clone()),
        worker(setup.backend.clone()),
        worker(setup.backend.clone())
    );
    assert_eq!(a + b + c, 40, "each row claimed once");
    let mut ids: Vec<String> = inbox
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (ids.len(), inbox.count()),
        (40, 40),
        "no activity delivered twice"
    );
}

#[tokio::test]
async fn posting_never_waits_for_the_followers_servers() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let gate = Arc::new(Notify::new());
    let inbox = Inbox {
        gate: Some(gate.clone()),
        ..Inbox::default()
    };
    let url = inbox.clone().serve().await;
    // A remote follower whose server holds every request until the gate opens.
    sqlx::query(
        "WITH bob AS (INSERT INTO users (username, is_remote, ap_id, inbox_url)
                      VALUES ('bob@peer.test', true, 'http://peer.test/users/bob', $1) RETURNING id)
         INSERT INTO follows (follower_id, following_id, state)
         SELECT bob.id, u.id, 'accepted' FROM bob, users u WHERE u.username = 'ana'",
    )
    .bind(&url)
    .execute(&app.db.pool)
    .await
    .unwrap();

    let response = app
        .post_form(
            "/api/thoughts/post",
            &[("content", "hello"), ("visibility", "public")],
            Some(&session),
        )
        .await;
    assert_eq!(
        response.status(),
        200,
        "the post is answered while the delivery is still held"
    );
    assert_eq!(inbox.count(), 0);
    // Now let the delivery through: the worker finishes it in the background.
    for _ in 0..200 {
        gate.notify_waiters();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if left == 0 && inbox.count() == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the held delivery never completed");
}
