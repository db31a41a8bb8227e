//! The client API behaving as Mastodon's does where apps depend on it: content warnings
//! (kept, validated, shown collapsed everywhere, federated), mentions and reply targets in
//! status entities, and parameters that cannot be honoured refused.

use crate::support::TestApp;
use serde_json::Value;

async fn key(app: &TestApp, session: &str) -> String {
    let made: Value = app
        .post_form("/api/api_keys/create", &[("name", "app")], Some(session))
        .await
        .json()
        .await
        .unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, key: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/statuses", app.url))
        .bearer_auth(key)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, key: &str, path: &str) -> Value {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn content_warnings_are_kept_checked_shown_collapsed_and_federated() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = key(&app, &session).await;

    let (status, posted) = post(
        &app,
        &key,
        &[
            ("status", "the butler did it"),
            ("spoiler_text", "  book spoilers "),
        ],
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["spoiler_text"], "book spoilers");
    assert_eq!(posted["sensitive"], true, "a warning makes it sensitive");
    let id = posted["id"].as_str().unwrap().to_owned();
    let read = get(&app, &key, &format!("/api/v1/statuses/{id}")).await;
    assert_eq!(
        (read["spoiler_text"].as_str(), read["sensitive"].as_bool()),
        (Some("book spoilers"), Some(true))
    );
    let home = get(&app, &key, "/api/v1/timelines/home").await;
    assert_eq!(home[0]["spoiler_text"], "book spoilers");

    // Sensitive without a warning; and no warning at all.
    let (_, flagged) = post(
        &app,
        &key,
        &[("status", "a picture"), ("sensitive", "true")],
    )
    .await;
    assert_eq!(
        (
            flagged["sensitive"].as_bool(),
            flagged["spoiler_text"].as_str()
        ),
        (Some(true), Some(""))
    );
    let (_, plain) = post(&app, &key, &[("status", "plain")]).await;
    assert_eq!(
        (plain["sensitive"].as_bool(), plain["spoiler_text"].as_str()),
        (Some(false), Some(""))
    );

    // The same rules as every text field: one line, no control characters, bounded.
    for (bad, why) in [
        ("two\nlines", "control"),
        ("bell\u{7}", "control"),
        (&"x".repeat(101) as &str, "100"),
    ] {
        let (status, refused) =
            post(&app, &key, &[("status", "text"), ("spoiler_text", bad)]).await;
        assert_eq!(status, 422, "{bad:?}");
        let message = refused["error"].as_str().unwrap();
        assert!(
            message.contains("spoiler_text") && message.contains(why),
            "{message}"
        );
    }

    // Collapsed on the thought's page, the profile and its Atom feed.
    for path in [format!("/@ana/{id}"), "/@ana".to_owned()] {
        let page = app.get(&path).await.text().await.unwrap();
        // The profile also holds the newer "sensitive" thought, collapsed too: take the
        // collapsed thought whose summary is this warning.
        let opening = "<details class=\"content-warning\">";
        let (warning, summary_end) = page
            .match_indices(opening)
            .map(|(warning, _)| {
                let summary_end = page[warning..].find("</summary>").unwrap() + warning;
                (warning, summary_end)
            })
            .find(|&(warning, summary_end)| page[warning..summary_end].contains("book spoilers"))
            .unwrap_or_else(|| panic!("{path} collapses the thought behind its warning"));
        assert!(
            page[warning..summary_end].contains("book spoilers"),
            "{path}"
        );
        assert!(!page[warning..summary_end].contains("butler"), "{path}");
        assert!(page[summary_end..].contains("the butler did it"), "{path}");
    }
    let feed = app.get("/@ana/feed.atom").await.text().await.unwrap();
    assert!(feed.contains("<title>CW: book spoilers</title>"), "{feed}");
    assert!(
        feed.contains("&lt;details&gt;&lt;summary&gt;book spoilers&lt;/summary&gt;"),
        "{feed}"
    );

    // Federated as the Note's summary and sensitive.
    let note: Value = app
        .http
        .get(format!("{}/users/ana/thoughts/{id}", app.url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (note["summary"].as_str(), note["sensitive"].as_bool()),
        (Some("book spoilers"), Some(true))
    );
    let plain_note: Value = app
        .http
        .get(format!(
            "{}/users/ana/thoughts/{}",
            app.url,
            plain["id"].as_str().unwrap()
        ))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            plain_note["summary"].clone(),
            plain_note["sensitive"].as_bool()
        ),
        (Value::Null, Some(false))
    );

    // The web composer's form takes one too.
    let posted = app
        .post_form(
            "/api/thoughts/post",
            &[
                ("content", "from the web"),
                ("visibility", "public"),
                ("summary", "web cw"),
            ],
            Some(&session),
        )
        .await;
    assert_eq!(posted.status(), 200);
    let home = get(&app, &key, "/api/v1/timelines/home").await;
    assert_eq!(
        (
            home[0]["content"]
                .as_str()
                .map(|c| c.contains("from the web")),
            home[0]["spoiler_text"].as_str()
        ),
        (Some(true), Some("web cw"))
    );
}

#[tokio::test]
async fn statuses_list_their_mentions_and_whom_they_answer() {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    app.sign_up("cy").await;
    let ana = key(&app, &ana_session).await;
    let bo = key(&app, &bo_session).await;

    let (_, question) = post(&app, &ana, &[("status", "what now @cy?")]).await;
    let cy_id = get(&app, &ana, "/api/v1/accounts/lookup?acct=cy").await["id"].clone();
    let ana_id = get(&app, &ana, "/api/v1/accounts/verify_credentials").await["id"].clone();
    assert_eq!(question["mentions"].as_array().unwrap().len(), 1);
    assert_eq!(question["mentions"][0]["id"], cy_id);
    assert_eq!(question["mentions"][0]["acct"], "cy");
    assert!(question["mentions"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/@cy"));
    assert_eq!(question["in_reply_to_account_id"], Value::Null);

    let (_, answer) = post(
        &app,
        &bo,
        &[
            ("status", "@ana tea"),
            ("in_reply_to_id", question["id"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(answer["in_reply_to_id"], question["id"]);
    assert_eq!(answer["in_reply_to_account_id"], ana_id);
    assert_eq!(answer["mentions"][0]["username"], "ana");
    // The same in timelines and threads.
    let context = get(
        &app,
        &ana,
        &format!(
            "/api/v1/statuses/{}/context",
            question["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(context["descendants"][0]["in_reply_to_account_id"], ana_id);
}

#[tokio::test]
async fn polls_and_scheduled_statuses_are_refused_not_ignored() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let key = key(&app, &session).await;
    let (status, refused) = post(
        &app,
        &key,
        &[
            ("status", "pick one"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "3600"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused["error"].as_str().unwrap().contains("poll"));
    let response = app
        .http
        .post(format!("{}/api/v1/statuses", app.url))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "status": "pick one", "poll": { "options": ["a", "b"], "expires_in": 3600 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let (status, refused) = post(
        &app,
        &key,
        &[
            ("status", "later"),
            ("scheduled_at", "2030-01-01T00:00:00Z"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(refused["error"].as_str().unwrap().contains("scheduled_at"));
    // Nothing was posted; a null poll (as some apps send) is no poll.
    assert_eq!(
        get(&app, &key, "/api/v1/timelines/home").await,
        serde_json::json!([])
    );
    let response = app
        .http
        .post(format!("{}/api/v1/statuses", app.url))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "status": "no poll", "poll": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
