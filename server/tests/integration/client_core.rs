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
async fn polls_are_refused_and_scheduled_statuses_wait() {
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
    // Scheduled: a ScheduledStatus, not a status (see scheduled.rs).
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["params"]["text"], "later");
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

async fn response(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn notifications_are_filtered_paged_and_counted_and_markers_kept() {
    let app = TestApp::spawn().await;
    let ana_session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    let cy_session = app.sign_up("cy").await;
    let ana = key(&app, &ana_session).await;
    let bo = key(&app, &bo_session).await;
    let cy = key(&app, &cy_session).await;
    let ana_id = get(&app, &ana, "/api/v1/accounts/verify_credentials").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bo_id = get(&app, &bo, "/api/v1/accounts/verify_credentials").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, status) = post(&app, &ana, &[("status", "hello")]).await;
    let status_id = status["id"].as_str().unwrap().to_owned();
    // Bo follows and favourites; cy mentions ana and favourites.
    for (who, path) in [
        (&bo, format!("/api/v1/accounts/{ana_id}/follow")),
        (&bo, format!("/api/v1/statuses/{status_id}/favourite")),
        (&cy, format!("/api/v1/statuses/{status_id}/favourite")),
    ] {
        let answer = app
            .http
            .post(format!("{}{path}", app.url))
            .bearer_auth(who)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    post(&app, &cy, &[("status", "hi @ana")]).await;

    let types = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = get(&app, &ana, "/api/v1/notifications").await;
    assert_eq!(types(&all), ["mention", "favourite", "favourite", "follow"]);
    let favourites = get(&app, &ana, "/api/v1/notifications?types[]=favourite").await;
    assert_eq!(types(&favourites), ["favourite", "favourite"]);
    let some = get(
        &app,
        &ana,
        "/api/v1/notifications?types[]=follow&types[]=mention",
    )
    .await;
    assert_eq!(types(&some), ["mention", "follow"]);
    let without = get(
        &app,
        &ana,
        "/api/v1/notifications?exclude_types[]=favourite",
    )
    .await;
    assert_eq!(types(&without), ["mention", "follow"]);
    let from_bo = get(
        &app,
        &ana,
        &format!("/api/v1/notifications?account_id={bo_id}"),
    )
    .await;
    assert_eq!(types(&from_bo), ["favourite", "follow"]);
    assert!(from_bo
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["account"]["id"] == bo_id.as_str()));
    let never = get(&app, &ana, "/api/v1/notifications?types[]=poll").await;
    assert_eq!(never, Value::Array(vec![]));
    let refused = response(&app, &ana, "/api/v1/notifications?types[]=nonsense").await;
    assert_eq!(refused.status(), 422);

    // Pages of two by the Link header, keeping the filter.
    let first = response(
        &app,
        &ana,
        "/api/v1/notifications?limit=2&exclude_types[]=mention",
    )
    .await;
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let page: Value = first.json().await.unwrap();
    assert_eq!(types(&page), ["favourite", "favourite"]);
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .unwrap();
    let next = next[1..next.find('>').unwrap()].to_owned();
    assert!(next.contains("exclude_types"), "{next}");
    let path = next.strip_prefix(&app.url).unwrap();
    let second = get(&app, &ana, path).await;
    assert_eq!(types(&second), ["follow"]);
    let prev = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"prev\""))
        .unwrap();
    let prev_path = prev[1..prev.find('>').unwrap()]
        .strip_prefix(&app.url)
        .unwrap()
        .to_owned();
    assert_eq!(get(&app, &ana, &prev_path).await, Value::Array(vec![]));
    // min_id: the ones right after, newest first.
    let oldest = all[3]["id"].as_str().unwrap();
    let after = get(
        &app,
        &ana,
        &format!("/api/v1/notifications?min_id={oldest}&limit=2"),
    )
    .await;
    assert_eq!(
        after
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].clone())
            .collect::<Vec<_>>(),
        vec![all[1]["id"].clone(), all[2]["id"].clone()]
    );

    // Unread: all four, then none after the marker, then one more.
    assert_eq!(
        get(&app, &ana, "/api/v1/notifications/unread_count").await["count"],
        4
    );
    let marked = app
        .http
        .post(format!("{}/api/v1/markers", app.url))
        .bearer_auth(&ana)
        .form(&[
            (
                "notifications[last_read_id]",
                all[0]["id"].as_str().unwrap(),
            ),
            ("home[last_read_id]", status_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), 200);
    let marked: Value = marked.json().await.unwrap();
    assert_eq!(marked["notifications"]["last_read_id"], all[0]["id"]);
    assert_eq!(marked["notifications"]["version"], 1);
    assert_eq!(
        get(&app, &ana, "/api/v1/notifications/unread_count").await["count"],
        0
    );
    post(&app, &bo, &[("status", "@ana again")]).await;
    assert_eq!(
        get(&app, &ana, "/api/v1/notifications/unread_count").await["count"],
        1
    );

    // Markers read back, by timeline; a second save counts a version; JSON bodies too.
    let markers = get(
        &app,
        &ana,
        "/api/v1/markers?timeline[]=home&timeline[]=notifications",
    )
    .await;
    assert_eq!(markers["home"]["last_read_id"], status_id.as_str());
    let moved: Value = app
        .http
        .post(format!("{}/api/v1/markers", app.url))
        .bearer_auth(&ana)
        .json(&serde_json::json!({ "home": { "last_read_id": "later" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            moved["home"]["last_read_id"].as_str(),
            moved["home"]["version"].as_i64()
        ),
        (Some("later"), Some(2))
    );
    assert_eq!(
        get(&app, &ana, "/api/v1/markers?timeline[]=home")
            .await
            .as_object()
            .unwrap()
            .len(),
        1
    );
    // Each person's own.
    assert_eq!(
        get(&app, &bo, "/api/v1/markers").await,
        serde_json::json!({})
    );
    let refused = app
        .http
        .post(format!("{}/api/v1/markers", app.url))
        .bearer_auth(&ana)
        .form(&[("home[last_read_id]", "bad\u{1}id")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let refused = response(&app, &ana, "/api/v1/markers?timeline[]=lists").await;
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn the_instance_tells_its_contact_limits_and_streaming_and_entities_are_complete() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("ana").await;
    let bo_session = app.sign_up("bo").await;
    sqlx::query("UPDATE users SET is_admin = true WHERE username = 'bo'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let v1: Value = app.get("/api/v1/instance").await.json().await.unwrap();
    let host = app.url.trim_start_matches("http://");
    assert_eq!(v1["urls"]["streaming_api"], format!("ws://{host}"));
    assert_eq!(v1["contact_account"]["username"], "bo");
    assert_eq!(v1["configuration"]["statuses"]["max_characters"], 128);
    assert_eq!(v1["configuration"]["polls"]["max_options"], 0);
    assert_eq!(v1["rules"], serde_json::json!([]));
    let v2: Value = app.get("/api/v2/instance").await.json().await.unwrap();
    assert_eq!(
        v2["configuration"]["urls"]["streaming"],
        format!("ws://{host}")
    );
    assert_eq!(v2["contact"]["account"]["username"], "bo");
    assert_eq!(v2["registrations"]["enabled"], true);

    let links: Value = app.get("/.well-known/nodeinfo").await.json().await.unwrap();
    let rels: Vec<&str> = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(
        rels,
        [
            "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "http://nodeinfo.diaspora.software/ns/schema/2.0"
        ]
    );
    let old: Value = app.get("/nodeinfo/2.0").await.json().await.unwrap();
    assert_eq!(
        (old["version"].as_str(), old["software"]["name"].as_str()),
        (Some("2.0"), Some("thoughtspace"))
    );

    // Entity fields apps read.
    let ana = key(&app, &session).await;
    let bo = key(&app, &bo_session).await;
    let me = get(&app, &ana, "/api/v1/accounts/verify_credentials").await;
    assert_eq!(
        (me["indexable"].as_bool(), me["hide_collections"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(me["source"]["follow_requests_count"], 0);
    let bo_id = get(&app, &ana, "/api/v1/accounts/lookup?acct=bo").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ana_id = me["id"].as_str().unwrap().to_owned();
    // Ana locks her account; bo asks to follow: she has a request, he "requested", she is "requested_by".
    sqlx::query("UPDATE users SET locked = true WHERE username = 'ana'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let asked = app
        .http
        .post(format!("{}/api/v1/accounts/{ana_id}/follow", app.url))
        .bearer_auth(&bo)
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let me = get(&app, &ana, "/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["source"]["follow_requests_count"], 1);
    let related = get(
        &app,
        &ana,
        &format!("/api/v1/accounts/relationships?id[]={bo_id}"),
    )
    .await;
    assert_eq!(
        (
            related[0]["requested_by"].as_bool(),
            related[0]["requested"].as_bool()
        ),
        (Some(true), Some(false))
    );
}
