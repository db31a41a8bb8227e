//! The client API's streaming (`/api/v1/streaming`): Mastodon's streams and events over
//! server-sent events and WebSocket, the three ways to send a token, scopes, and that each
//! event reaches only those who may see it.

use std::time::Duration;

use app::backend::{
    api_keys::{self, Scopes},
    thoughts::{self, RemoteThought, Visibility},
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

use crate::support::{TestApp, TestDatabase};

/// How long an expected event may take under a loaded machine.
const WAIT: Duration = Duration::from_secs(20);
/// How long to listen for an event that must not come (after events that must, so the
/// order of the stream already proves most absences).
const QUIET: Duration = Duration::from_millis(700);

/// A person with a key of `scopes`; returns (account id, secret).
async fn person(app: &TestApp, username: &str, scopes: &str) -> (String, String) {
    app.sign_up(username).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    (id.to_string(), key(app, id, scopes).await)
}

async fn key(app: &TestApp, user: uuid::Uuid, scopes: &str) -> String {
    api_keys::create(
        &app.db.pool,
        Some(user),
        "stream",
        &Scopes::parse(scopes).unwrap(),
        None,
    )
    .await
    .unwrap()
    .1
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, key: &str) -> Value {
    let response = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// Posts a status; returns its id.
async fn post(app: &TestApp, key: &str, text: &str, visibility: &str) -> String {
    let response = app
        .http
        .post(format!("{}/api/v1/statuses", app.url))
        .bearer_auth(key)
        .form(&[("status", text), ("visibility", visibility)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.unwrap();
    status["id"].as_str().unwrap().to_owned()
}

/// An open event stream, read event by event.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
    comments: Vec<String>,
}

impl EventStream {
    async fn open(app: &TestApp, path: &str, key: &str) -> EventStream {
        let response = EventStream::request(app, path, Some(key)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert!(response.headers().get("content-encoding").is_none());
        EventStream {
            response,
            buffer: String::new(),
            comments: Vec::new(),
        }
    }

    async fn request(app: &TestApp, path: &str, key: Option<&str>) -> reqwest::Response {
        // A client without the request timeout of the harness: a stream lasts.
        let client = reqwest::Client::new();
        let mut request = client
            .get(format!("{}{path}", app.url))
            .header("accept-encoding", "gzip, br");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.unwrap()
    }

    /// The next event as (name, data); `None` if nothing comes within `wait`, or the stream
    /// ended (see [`EventStream::ended`]).
    async fn next_within(&mut self, wait: Duration) -> Option<(String, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = None;
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        self.comments.push(comment.trim().to_owned());
                    } else if let Some(value) = line.strip_prefix("event:") {
                        name = Some(value.trim().to_owned());
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.trim().to_owned());
                    }
                }
                match name {
                    Some(name) => return Some((name, data.join("\n"))),
                    None => continue,
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn next(&mut self) -> (String, String) {
        self.next_within(WAIT).await.expect("an event in time")
    }

    /// The next `update` (or `status.update`) as (event, status).
    async fn next_status(&mut self) -> (String, Value) {
        let (name, data) = self.next().await;
        assert!(
            name == "update" || name == "status.update",
            "{name}: {data}"
        );
        (name, serde_json::from_str(&data).unwrap())
    }

    /// Whether the server ended the stream (within `wait`), skipping any events still coming.
    async fn ended(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
            }
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/api/v1/streaming` (with `query`), adding `headers`; returns the socket and the
/// protocol the server chose.
async fn websocket(
    app: &TestApp,
    query: &str,
    headers: &[(&'static str, &str)],
) -> Result<(Socket, Option<String>), tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "{}/api/v1/streaming{query}",
        app.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).unwrap());
    }
    let (socket, response) = tokio_tungstenite::connect_async(request).await?;
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|value| value.to_str().unwrap().to_owned());
    Ok((socket, protocol))
}

/// The next text message as JSON (answering nothing: pings are answered by the library).
async fn message_within(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
        {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn message(socket: &mut Socket) -> Value {
    message_within(socket, WAIT)
        .await
        .expect("a message in time")
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// A WebSocket event's (stream, event, payload as JSON or, for `delete`, the id).
fn event(message: &Value) -> (Value, String, Value) {
    let payload = message["payload"]
        .as_str()
        .unwrap_or_else(|| panic!("the payload is a string: {message}"));
    let payload =
        serde_json::from_str(payload).unwrap_or_else(|_| Value::String(payload.to_owned()));
    (
        message["stream"].clone(),
        message["event"].as_str().unwrap().to_owned(),
        payload,
    )
}

#[tokio::test]
async fn health_answers_ok_and_the_instance_advertises_the_streaming_url() {
    let app = TestApp::spawn().await;
    let health = app.get("/api/v1/streaming/health").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "OK");

    let streaming = app.url.replace("http://", "ws://");
    let v1: Value = app.get("/api/v1/instance").await.json().await.unwrap();
    assert_eq!(v1["urls"]["streaming_api"], json!(streaming));
    let v2: Value = app.get("/api/v2/instance").await.json().await.unwrap();
    assert_eq!(v2["configuration"]["urls"]["streaming"], json!(streaming));
}

#[tokio::test]
async fn the_user_stream_carries_home_updates_notifications_and_deletions() {
    let app = TestApp::spawn().await;
    let (ana_id, ana) = person(&app, "ana", "read write follow").await;
    let (_, bo) = person(&app, "bo", "read write follow").await;
    let (_, carl) = person(&app, "carl", "read write").await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &bo,
    )
    .await;
    let mut stream = EventStream::open(&app, "/api/v1/streaming/user", &bo).await;

    let public = post(&app, &ana, "hello followers and all", "public").await;
    let (name, status) = stream.next_status().await;
    assert_eq!(name, "update");
    assert_eq!(status["id"], json!(public));
    assert_eq!(status["account"]["username"], json!("ana"));
    assert!(status["content"]
        .as_str()
        .unwrap()
        .contains("hello followers"));

    // For followers: Bo follows Ana. Carl's thought is not on Bo's home (he is not followed).
    let for_followers = post(&app, &ana, "only for my followers", "private").await;
    post(&app, &carl, "nobody follows me", "public").await;
    let (_, status) = stream.next_status().await;
    assert_eq!(
        (status["id"].clone(), status["visibility"].clone()),
        (json!(for_followers), json!("private"))
    );

    // Bo's own thought is on his home; Ana favourites it: a notification.
    let own = post(&app, &bo, "my own", "public").await;
    assert_eq!(stream.next_status().await.1["id"], json!(own));
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{own}/favourite"),
        &ana,
    )
    .await;
    let (name, data) = stream.next().await;
    assert_eq!(name, "notification", "Carl's thought came first: {data}");
    let notification: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(notification["type"], json!("favourite"));
    assert_eq!(notification["account"]["username"], json!("ana"));
    assert_eq!(notification["status"]["id"], json!(own));

    // Ana deletes her thought: the id, as Mastodon sends it.
    call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/statuses/{public}"),
        &ana,
    )
    .await;
    assert_eq!(stream.next().await, ("delete".into(), public.clone()));
    assert_eq!(stream.next_within(QUIET).await, None);
    assert!(
        stream.comments.iter().any(|comment| comment == ")"),
        "the stream opens with Mastodon's comment: {:?}",
        stream.comments
    );
}

#[tokio::test]
async fn the_notification_stream_takes_the_token_from_the_query_and_carries_only_notifications() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "read write").await;
    let (_, bo) = person(&app, "bo", "read:notifications").await;
    let bos_thought = {
        let bo_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'bo'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        post(&app, &key(&app, bo_id, "write").await, "mine", "public").await
    };
    let path = format!("/api/v1/streaming/user/notification?access_token={bo}");
    let response = EventStream::request(&app, &path, None).await;
    assert_eq!(response.status(), 200);
    let mut stream = EventStream {
        response,
        buffer: String::new(),
        comments: Vec::new(),
    };
    // Bo's own new thought is no notification; Ana's favourite is.
    post(&app, &ana, "not a notification", "public").await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{bos_thought}/favourite"),
        &ana,
    )
    .await;
    let (name, data) = stream.next().await;
    assert_eq!(name, "notification");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["type"],
        json!("favourite")
    );
    assert_eq!(stream.next_within(QUIET).await, None);
}

#[tokio::test]
async fn streams_need_a_token_acting_for_a_person_and_the_scopes_mastodon_asks() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "read write").await;
    let ana_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let paths = [
        "/api/v1/streaming/user",
        "/api/v1/streaming/user/notification",
        "/api/v1/streaming/public",
        "/api/v1/streaming/public/local",
        "/api/v1/streaming/hashtag?tag=rust",
        "/api/v1/streaming/hashtag/local?tag=rust",
    ];
    for path in paths {
        let refused = EventStream::request(&app, path, None).await;
        assert_eq!(refused.status(), 401, "{path} without a token");
        let refused = EventStream::request(&app, path, Some("tsk_not_a_key")).await;
        assert_eq!(refused.status(), 401, "{path} with a wrong token");
    }
    assert!(matches!(
        websocket(&app, "?stream=user", &[]).await,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401
    ));

    // A write-only key reads no home or notifications, but the public streams need no scope.
    let write_only = key(&app, ana_id, "write").await;
    for path in [
        "/api/v1/streaming/user",
        "/api/v1/streaming/user/notification",
    ] {
        let refused = EventStream::request(&app, path, Some(&write_only)).await;
        assert_eq!(refused.status(), 403, "{path} with a write-only key");
    }
    EventStream::open(&app, "/api/v1/streaming/public", &write_only).await;
    let missing_tag = EventStream::request(&app, "/api/v1/streaming/hashtag", Some(&ana)).await;
    assert_eq!(missing_tag.status(), 400);
    let media =
        EventStream::request(&app, "/api/v1/streaming/public?only_media=true", Some(&ana)).await;
    assert_eq!(media.status(), 422);

    // `read:statuses` opens the user stream without notifications.
    let statuses_only = key(&app, ana_id, "read:statuses").await;
    let mut stream = EventStream::open(&app, "/api/v1/streaming/user", &statuses_only).await;
    let (_, bo) = person(&app, "bo", "read write").await;
    let anas = post(&app, &ana, "favourite me", "public").await;
    assert_eq!(stream.next_status().await.1["id"], json!(anas));
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{anas}/favourite"),
        &bo,
    )
    .await;
    let later = post(&app, &ana, "after the favourite", "public").await;
    assert_eq!(
        stream.next_status().await.1["id"],
        json!(later),
        "no notification without read:notifications"
    );

    // A revoked key's stream ends.
    let key_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE scopes = 'read:statuses'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    api_keys::revoke(&app.db.pool, ana_id, key_id)
        .await
        .unwrap();
    assert!(stream.ended(WAIT).await, "the stream ends with its key");
}

#[tokio::test]
async fn public_streams_carry_only_what_the_listener_may_see() {
    let app = TestApp::spawn().await;
    let (ana_id, ana) = person(&app, "ana", "read write follow").await;
    let (_, bo) = person(&app, "bo", "read write follow").await;
    let (_, carl) = person(&app, "carl", "read write follow").await;
    // Bo follows Ana; Carl does not. Ana blocks Carl's friend Dee.
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &bo,
    )
    .await;
    let (dee_id, dee) = person(&app, "dee", "read").await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{dee_id}/block"),
        &ana,
    )
    .await;

    let mut carls_public = EventStream::open(&app, "/api/v1/streaming/public", &carl).await;
    let mut bos_public = EventStream::open(&app, "/api/v1/streaming/public", &bo).await;
    let mut dees_public = EventStream::open(&app, "/api/v1/streaming/public", &dee).await;
    let mut carls_local = EventStream::open(&app, "/api/v1/streaming/public/local", &carl).await;
    let mut carls_tag = EventStream::open(&app, "/api/v1/streaming/hashtag?tag=Rust", &carl).await;
    let mut carls_local_tag =
        EventStream::open(&app, "/api/v1/streaming/hashtag/local?tag=%23rust", &carl).await;

    post(&app, &ana, "for my followers #rust", "private").await;
    post(&app, &ana, "unlisted #rust", "unlisted").await;
    post(&app, &ana, "only the mentioned", "direct").await;
    let public = post(&app, &ana, "for everyone #rust", "public").await;
    // A remote person's public thought, tagged: on `public` and `hashtag`, not the local ones.
    let remote_author: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, is_remote, ap_id, inbox_url)
         VALUES ('far@remote.example', true, 'https://remote.example/users/far', 'https://remote.example/inbox') RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let remote_note = RemoteThought {
        ap_id: "https://remote.example/notes/1".into(),
        author: remote_author,
        text: "from afar #rust".into(),
        html: "<p>from afar #rust</p>".into(),
        url: None,
        visibility: Visibility::Public,
        created_at: chrono::Utc::now(),
        reply_to: None,
        tags: vec!["rust".into()],
        mentions: Vec::new(),
        summary: thoughts::ContentWarning::from_remote(None),
        sensitive: false,
    };
    let remote = thoughts::store_remote(&app.db.pool, remote_note.clone())
        .await
        .unwrap()
        .to_string();
    let last = post(&app, &carl, "the end", "public").await;

    // The follower-only, unlisted and direct thoughts are on no public stream, not even for
    // a follower (as Mastodon's public timeline).
    for stream in [&mut carls_public, &mut bos_public] {
        assert_eq!(stream.next_status().await.1["id"], json!(public));
        assert_eq!(stream.next_status().await.1["id"], json!(remote));
        assert_eq!(stream.next_status().await.1["id"], json!(last));
    }
    // Dee is blocked by Ana: none of hers.
    assert_eq!(dees_public.next_status().await.1["id"], json!(remote));
    assert_eq!(dees_public.next_status().await.1["id"], json!(last));
    assert_eq!(carls_local.next_status().await.1["id"], json!(public));
    assert_eq!(carls_local.next_status().await.1["id"], json!(last));
    assert_eq!(carls_tag.next_status().await.1["id"], json!(public));
    assert_eq!(carls_tag.next_status().await.1["id"], json!(remote));
    assert_eq!(carls_local_tag.next_status().await.1["id"], json!(public));

    // The remote author edits: `status.update` where the thought was streamed.
    thoughts::update_remote(
        &app.db.pool,
        &RemoteThought {
            text: "from afar, edited #rust".into(),
            html: "<p>from afar, edited #rust</p>".into(),
            ..remote_note
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let (name, status) = carls_public.next_status().await;
    assert_eq!(
        (name.as_str(), status["id"].clone()),
        ("status.update", json!(remote))
    );
    assert!(status["content"].as_str().unwrap().contains("edited"));
    assert_eq!(carls_tag.next_status().await.0, "status.update");

    // Ana deletes her public thought: a deletion on the streams that carried it, not Dee's.
    call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/statuses/{public}"),
        &ana,
    )
    .await;
    for stream in [&mut carls_local_tag, &mut carls_public, &mut carls_local] {
        assert_eq!(stream.next().await, ("delete".into(), public.clone()));
    }
    assert_eq!(dees_public.next_status().await.0, "status.update");
    assert_eq!(
        dees_public.next_within(QUIET).await,
        None,
        "Dee could not see Ana's thought, nor hears of its deletion"
    );
}

#[tokio::test]
async fn websocket_subscribes_and_unsubscribes_with_the_token_in_any_of_three_places() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "read write").await;
    let (_, bo) = person(&app, "bo", "read write").await;

    // The Authorization header; subscriptions by message.
    let (mut socket, _) = websocket(&app, "", &[("authorization", &format!("Bearer {ana}"))])
        .await
        .unwrap();
    send(
        &mut socket,
        json!({ "type": "subscribe", "stream": "public" }),
    )
    .await;
    send(
        &mut socket,
        json!({ "type": "subscribe", "stream": "hashtag", "tag": "Rust" }),
    )
    .await;
    send(
        &mut socket,
        json!({ "type": "subscribe", "stream": "nonsense" }),
    )
    .await;
    assert_eq!(
        message(&mut socket).await,
        json!({ "error": "Unknown stream type", "status": 400 })
    );
    send(
        &mut socket,
        json!({ "type": "subscribe", "stream": "hashtag" }),
    )
    .await;
    assert_eq!(
        message(&mut socket).await,
        json!({ "error": "Missing tag name parameter", "status": 400 })
    );
    let tagged = post(&app, &bo, "about #rust", "public").await;
    let mut seen = [
        event(&message(&mut socket).await),
        event(&message(&mut socket).await),
    ];
    seen.sort_by_key(|(stream, _, _)| stream.to_string());
    assert_eq!(
        seen.iter()
            .map(|(stream, name, status)| (stream.clone(), name.clone(), status["id"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(["hashtag", "Rust"]), "update".into(), json!(tagged)),
            (json!(["public"]), "update".into(), json!(tagged)),
        ]
    );
    send(
        &mut socket,
        json!({ "type": "unsubscribe", "stream": "public" }),
    )
    .await;
    // The unsubscription is read before the post is made (the error answers in order).
    send(
        &mut socket,
        json!({ "type": "subscribe", "stream": "nonsense" }),
    )
    .await;
    message(&mut socket).await;
    post(&app, &bo, "untagged", "public").await;
    let tagged_again = post(&app, &bo, "more #rust", "public").await;
    let (stream, name, status) = event(&message(&mut socket).await);
    assert_eq!(
        (stream, name, status["id"].clone()),
        (
            json!(["hashtag", "Rust"]),
            "update".into(),
            json!(tagged_again)
        )
    );

    // The query, subscribing at once with `stream`.
    let (mut by_query, _) = websocket(&app, &format!("?access_token={ana}&stream=user"), &[])
        .await
        .unwrap();
    // Sec-WebSocket-Protocol (as browsers send it), which the server answers with.
    let (mut by_protocol, protocol) = websocket(&app, "", &[("sec-websocket-protocol", &ana)])
        .await
        .unwrap();
    assert_eq!(protocol.as_deref(), Some(ana.as_str()));
    send(
        &mut by_protocol,
        json!({ "type": "subscribe", "stream": "user:notification" }),
    )
    .await;
    // Both subscriptions are made before the post (an error message answers in order).
    send(
        &mut by_protocol,
        json!({ "type": "subscribe", "stream": "x" }),
    )
    .await;
    message(&mut by_protocol).await;
    send(&mut by_query, json!({ "type": "subscribe", "stream": "x" })).await;
    message(&mut by_query).await;

    let own = post(&app, &ana, "mine", "public").await;
    let (stream, name, status) = event(&message(&mut by_query).await);
    assert_eq!(
        (stream, name, status["id"].clone()),
        (json!(["user"]), "update".into(), json!(own))
    );
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{own}/favourite"),
        &bo,
    )
    .await;
    let (stream, name, notification) = event(&message(&mut by_protocol).await);
    assert_eq!(
        (stream, name, notification["type"].clone()),
        (
            json!(["user:notification"]),
            "notification".into(),
            json!("favourite")
        )
    );
    let (stream, name, _) = event(&message(&mut by_query).await);
    assert_eq!((stream, name.as_str()), (json!(["user"]), "notification"));

    // Deletion reaches the user stream too.
    call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/statuses/{own}"),
        &ana,
    )
    .await;
    let (stream, name, id) = event(&message(&mut by_query).await);
    assert_eq!(
        (stream, name, id),
        (json!(["user"]), "delete".into(), json!(own))
    );
    assert_eq!(message_within(&mut by_protocol, QUIET).await, None);
}

#[tokio::test]
async fn a_websocket_without_the_scope_is_told_and_binary_messages_close_it() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "write").await;
    let (mut socket, _) = websocket(&app, &format!("?access_token={ana}&stream=user"), &[])
        .await
        .unwrap();
    assert_eq!(
        message(&mut socket).await,
        json!({ "error": "Access token does not have the required scopes", "status": 401 })
    );
    socket
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.unwrap() {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 1003);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_stream_on_one_server_process_hears_what_another_stored() {
    let db = TestDatabase::new().await;
    let first = TestApp::spawn_on(db.clone(), None).await;
    let second = TestApp::spawn_on(db, None).await;
    let (_, ana) = person(&first, "ana", "read write").await;
    let mut stream = EventStream::open(&first, "/api/v1/streaming/public", &ana).await;
    let posted = post(&second, &ana, "through the other process", "public").await;
    assert_eq!(stream.next_status().await.1["id"], json!(posted));
}

#[tokio::test]
async fn a_listener_that_falls_behind_is_disconnected_rather_than_queued_for() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "read write").await;
    let mut stream = EventStream::open(&app, "/api/v1/streaming/public", &ana).await;
    // Many thoughts at once (one commit): far more than a listener may fall behind by.
    sqlx::query(
        "INSERT INTO thoughts (user_id, content, visibility)
         SELECT u.id, 'flood ' || n, 'public' FROM users u, generate_series(1, 1000) n",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let mut received = 0;
    let ended = loop {
        match stream.next_within(WAIT).await {
            Some(_) => received += 1,
            None => break stream.ended(Duration::from_millis(100)).await,
        }
    };
    assert!(ended, "the stream ended");
    assert!(received < 1000, "it ended before all {received} were sent");
}

#[tokio::test]
async fn mutes_and_filters_apply_to_streams_as_to_timelines() {
    use app::backend::filters::{self, FilterInput, KeywordInput};
    let app = TestApp::spawn().await;
    let (ana_id, ana) = person(&app, "ana", "read write").await;
    let (_, bo) = person(&app, "bo", "read write").await;
    let (_, carl) = person(&app, "carl", "read write").await;
    let bo_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'bo'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{ana_id}/mute"),
        &bo,
    )
    .await;
    for (title, action, keyword) in [("no", "hide", "secret"), ("careful", "warn", "spoiler")] {
        filters::create(
            &app.db.pool,
            bo_id,
            FilterInput {
                title: Some(title.into()),
                contexts: Some(vec!["public".into()]),
                action: Some(action.into()),
                keywords: vec![KeywordInput {
                    keyword: Some(keyword.into()),
                    ..KeywordInput::default()
                }],
                ..FilterInput::default()
            },
        )
        .await
        .unwrap();
    }
    let mut stream = EventStream::open(&app, "/api/v1/streaming/public", &bo).await;
    post(&app, &ana, "muted person speaking", "public").await;
    post(&app, &carl, "a secret", "public").await;
    let warned = post(&app, &carl, "a spoiler", "public").await;
    let (_, status) = stream.next_status().await;
    assert_eq!(
        status["id"],
        json!(warned),
        "the muted and the hidden left out"
    );
    assert_eq!(status["filtered"][0]["filter"]["title"], json!("careful"));
}

#[tokio::test]
async fn an_edit_reaches_the_stream_as_status_update_even_of_the_warning_alone() {
    let app = TestApp::spawn().await;
    let (ana_id, ana) = person(&app, "ana", "read write follow").await;
    let (_, bo) = person(&app, "bo", "read write follow").await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &bo,
    )
    .await;
    let mut stream = EventStream::open(&app, "/api/v1/streaming/user", &bo).await;
    let id = post(&app, &ana, "before the edit", "public").await;
    assert_eq!(stream.next_status().await.1["id"], json!(id));

    let edit = |form: Vec<(&'static str, &'static str)>| {
        let (app, ana, id) = (&app, ana.clone(), id.clone());
        async move {
            let response = app
                .http
                .put(format!("{}/api/v1/statuses/{id}", app.url))
                .bearer_auth(ana)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    };
    edit(vec![("status", "after the edit")]).await;
    let (name, status) = stream.next_status().await;
    assert_eq!(
        (name.as_str(), &status["id"]),
        ("status.update", &json!(id))
    );
    assert!(status["content"]
        .as_str()
        .unwrap()
        .contains("after the edit"));
    assert!(status["edited_at"].is_string());

    // Only the content warning changes: still an update (migration 030's trigger).
    edit(vec![
        ("status", "after the edit"),
        ("spoiler_text", "careful"),
    ])
    .await;
    let (name, status) = stream.next_status().await;
    assert_eq!(
        (name.as_str(), &status["spoiler_text"]),
        ("status.update", &json!("careful"))
    );
}

#[tokio::test]
async fn a_boost_streams_as_a_reblog_wrapper_and_its_undoing_as_a_deletion() {
    let app = TestApp::spawn().await;
    let (_, ana) = person(&app, "ana", "read write follow").await;
    let (bo_id, bo) = person(&app, "bo", "read write follow").await;
    let (_, carl) = person(&app, "carl", "read write follow").await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/accounts/{bo_id}/follow"),
        &carl,
    )
    .await;
    let mut home = EventStream::open(&app, "/api/v1/streaming/user", &carl).await;
    let mut public = EventStream::open(&app, "/api/v1/streaming/public", &carl).await;

    // Carl follows Bo, not Ana: Ana's thought reaches his home only through Bo's boost.
    let original = post(&app, &ana, "worth spreading", "public").await;
    assert_eq!(public.next_status().await.1["id"], json!(original));
    let wrapper = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{original}/reblog"),
        &bo,
    )
    .await;
    let (name, status) = home.next_status().await;
    assert_eq!(name, "update");
    assert_eq!(status["id"], wrapper["id"]);
    assert_ne!(status["id"], json!(original));
    assert_eq!(status["account"]["username"], json!("bo"));
    assert_eq!(status["reblog"]["id"], json!(original));
    assert_eq!(status["reblog"]["account"]["username"], json!("ana"));

    // Taken back: the wrapper's id is deleted from the home stream.
    call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/statuses/{original}/unreblog"),
        &bo,
    )
    .await;
    assert_eq!(
        home.next().await,
        ("delete".into(), wrapper["id"].as_str().unwrap().to_owned())
    );
    // Public streams carry no boosts, as Mastodon's do not.
    assert_eq!(public.next_within(QUIET).await, None);
}
