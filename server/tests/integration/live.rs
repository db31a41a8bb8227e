//! The live event stream (`GET /events`): what an open page hears, and who hears what.

use std::time::Duration;

use crate::support::TestApp;

/// An open event stream, read event by event.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, session: Option<&str>) -> Stream {
        // Asking for compression as browsers do: an event stream must never be buffered by it.
        let mut request = app
            .http
            .get(format!("{}/events", app.url))
            .header("accept-encoding", "gzip, br")
            .timeout(Duration::from_secs(300));
        if let Some(session) = session {
            request = request.header("cookie", format!("ts_session={session}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-accel-buffering"], "no");
        assert!(
            response.headers().get("content-encoding").is_none(),
            "an event stream is sent as it comes"
        );
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The next event as (name, data), skipping keep-alive comments; `None` if nothing comes
    /// within `wait`.
    async fn next_within(&mut self, wait: Duration) -> Option<(String, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.trim().to_owned());
                    }
                }
                if block
                    .lines()
                    .all(|line| line.starts_with(':') || line.is_empty())
                {
                    continue;
                }
                return Some((name, data.join("\n")));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn next(&mut self) -> (String, String) {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("an event within 10 s")
    }
}

async fn post(app: &TestApp, session: &str, content: &str, visibility: &str) -> String {
    let response = app
        .post_form(
            "/api/thoughts/post",
            &[("content", content), ("visibility", visibility)],
            Some(session),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<String>().await.unwrap()
}

#[tokio::test]
async fn a_member_hears_their_unread_count_change_and_new_thoughts() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let mut stream = Stream::open(&app, Some(&ana)).await;
    assert_eq!(
        stream.next().await,
        ("unread".into(), "0".into()),
        "the stream starts with the count"
    );
    let thought = post(&app, &ana, "anyone there?", "public").await;
    assert_eq!(stream.next().await, ("thought".into(), "new".into()));

    // Bo likes Ana's thought: one more unread, at once.
    let liked = app
        .post_form(
            "/api/thoughts/react",
            &[("id", &thought), ("reaction", "like"), ("on", "true")],
            Some(&bo),
        )
        .await;
    assert_eq!(liked.status(), 200);
    assert_eq!(stream.next().await, ("unread".into(), "1".into()));

    // Bo posts, even for followers only: Ana's page is told to ask what is new.
    post(&app, &bo, "for my followers", "followers").await;
    assert_eq!(stream.next().await, ("thought".into(), "new".into()));

    // Reading them brings the count back to zero.
    let read = app
        .post_form("/api/notifications/read", &[("ids", "")], Some(&ana))
        .await;
    assert_eq!(read.status(), 200);
    assert_eq!(stream.next().await, ("unread".into(), "0".into()));
}

#[tokio::test]
async fn a_visitor_hears_only_of_public_thoughts_and_nobody_hears_of_others_notifications() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let mut visitor = Stream::open(&app, None).await;
    let mut bos_stream = Stream::open(&app, Some(&bo)).await;
    assert_eq!(bos_stream.next().await, ("unread".into(), "0".into()));

    post(&app, &ana, "only my followers", "followers").await;
    let thought = post(&app, &ana, "hello world", "public").await;
    // Bo's like notifies Ana, not Bo (nor the visitor).
    app.post_form(
        "/api/thoughts/react",
        &[("id", &thought), ("reaction", "like"), ("on", "true")],
        Some(&bo),
    )
    .await;
    post(&app, &ana, "the end", "public").await;

    // The visitor hears the two public thoughts and nothing else, in order.
    assert_eq!(visitor.next().await, ("thought".into(), "new".into()));
    assert_eq!(visitor.next().await, ("thought".into(), "new".into()));
    assert_eq!(visitor.next_within(Duration::from_millis(500)).await, None);
    // Bo hears all three thoughts (he is logged in) but no unread change of Ana's.
    for _ in 0..3 {
        assert_eq!(bos_stream.next().await, ("thought".into(), "new".into()));
    }
    assert_eq!(
        bos_stream.next_within(Duration::from_millis(500)).await,
        None
    );
}

#[tokio::test]
async fn nothing_is_announced_for_a_write_that_rolls_back() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let mut stream = Stream::open(&app, Some(&ana)).await;
    assert_eq!(stream.next().await, ("unread".into(), "0".into()));

    let mut transaction = app.db.pool.begin().await.unwrap();
    sqlx::query("INSERT INTO thoughts (user_id, content, visibility) SELECT id, 'never', 'public' FROM users WHERE username = 'ana'")
        .execute(&mut *transaction)
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    assert_eq!(stream.next_within(Duration::from_millis(500)).await, None);

    post(&app, &ana, "this one stays", "public").await;
    assert_eq!(stream.next().await, ("thought".into(), "new".into()));
}
