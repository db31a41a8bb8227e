//! Scheduled statuses: scheduling through the client API (at least 5 minutes ahead),
//! listing, moving and cancelling them, and the job that posts a due one exactly once even
//! when several server processes look at once.

use crate::support::TestApp;
use app::backend::{federation::client::FederationOptions, scheduled, Backend};
use serde_json::Value;

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(key)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn in_minutes(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn statuses_are_scheduled_listed_moved_and_cancelled() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    app.sign_up("bo").await;
    let (ana, bo) = (
        app.api_key("ana", "read write").await,
        app.api_key("bo", "read write").await,
    );
    let post = reqwest::Method::POST;
    let later = in_minutes(10);
    let (status, scheduled) = call(
        &app,
        post.clone(),
        "/api/v1/statuses",
        &ana,
        &[
            ("status", "from the past #later"),
            ("scheduled_at", &later),
            ("spoiler_text", "time travel"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");
    assert_eq!(scheduled["params"]["text"], "from the past #later");
    assert_eq!(scheduled["params"]["spoiler_text"], "time travel");
    assert!(scheduled["scheduled_at"].is_string());
    assert_eq!(
        count(&app, "SELECT count(*) FROM thoughts").await,
        0,
        "not posted yet"
    );
    let id = scheduled["id"].as_str().unwrap().to_owned();

    // Too soon, not a time, or not a valid post: refused, naming the field.
    for (field, value, named) in [
        ("scheduled_at", in_minutes(2), "scheduled_at"),
        ("scheduled_at", "tomorrow".to_owned(), "scheduled_at"),
    ] {
        let (status, body) = call(
            &app,
            post.clone(),
            "/api/v1/statuses",
            &ana,
            &[("status", "hi"), (field, &value)],
        )
        .await;
        assert_eq!(status, 422, "{value}");
        assert!(body["error"].as_str().unwrap().contains(named), "{body}");
    }
    let (status, body) = call(
        &app,
        post.clone(),
        "/api/v1/statuses",
        &ana,
        &[("status", &"a".repeat(129)), ("scheduled_at", &later)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("status"), "{body}");

    let (_, listed) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/scheduled_statuses",
        &ana,
        &[],
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let path = format!("/api/v1/scheduled_statuses/{id}");
    let (status, _) = call(&app, reqwest::Method::GET, &path, &bo, &[]).await;
    assert_eq!(status, 404, "someone else's is not found");
    let (_, bos) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/scheduled_statuses",
        &bo,
        &[],
    )
    .await;
    assert_eq!(bos, Value::Array(vec![]));

    let moved_to = in_minutes(30);
    let (status, moved) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &ana,
        &[("scheduled_at", &moved_to)],
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_ne!(moved["scheduled_at"], scheduled["scheduled_at"]);
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &ana,
        &[("scheduled_at", &in_minutes(1))],
    )
    .await;
    assert_eq!(status, 422);

    let (status, _) = call(&app, reqwest::Method::DELETE, &path, &bo, &[]).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, reqwest::Method::DELETE, &path, &ana, &[]).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, reqwest::Method::GET, &path, &ana, &[]).await;
    assert_eq!(status, 404);
    assert_eq!(count(&app, "SELECT count(*) FROM thoughts").await, 0);
}

#[tokio::test]
async fn a_due_status_is_published_once_whoever_looks() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let ana = app.api_key("ana", "read write").await;
    let (status, scheduled) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/statuses",
        &ana,
        &[
            ("status", "right on time #due"),
            ("scheduled_at", &in_minutes(10)),
            ("visibility", "unlisted"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");
    // Due now (rather than waiting ten minutes).
    sqlx::query("UPDATE scheduled_thoughts SET scheduled_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    // Two more "server processes" look at once, besides the app's own job.
    let backend = || {
        Backend::new(
            app.db.pool.clone(),
            app.url.clone(),
            &FederationOptions::for_loopback_tests(),
        )
        .unwrap()
    };
    let (one, two) = (backend(), backend());
    let (first, second) = tokio::join!(scheduled::publish_due(&one), scheduled::publish_due(&two));
    assert!(first.unwrap() + second.unwrap() <= 1);
    // Whoever took it has committed once the row is gone.
    for _ in 0..200 {
        if count(&app, "SELECT count(*) FROM scheduled_thoughts").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(scheduled::publish_due(&one).await.unwrap(), 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM thoughts WHERE content = 'right on time #due' AND visibility = 'unlisted'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM thought_tags").await,
        1,
        "posted through the posting path"
    );
}
