//! Editing thoughts: the client API (`PUT /api/v1/statuses/:id`, history, source), the web
//! form (without JavaScript, same-site only, a resubmission changing nothing more), and who
//! may read an edit history.

use crate::support::TestApp;
use serde_json::Value;

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app.http.request(method, format!("{}{path}", app.url));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if !form.is_empty() {
        request = request.form(form);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_api_edits_ones_own_status_keeping_its_history() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    app.sign_up("bo").await;
    let (ana, bo) = (
        app.api_key("ana", "read write").await,
        app.api_key("bo", "read write").await,
    );
    let put = reqwest::Method::PUT;
    let (status, posted) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&ana),
        &[("status", "hello #one")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(posted["edited_at"], Value::Null);
    let id = posted["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/statuses/{id}");

    let (status, edited) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[("status", "hello @bo #two")],
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["id"], posted["id"]);
    assert_eq!(edited["text"], "hello @bo #two");
    assert!(edited["edited_at"].is_string(), "{edited}");
    assert_eq!(edited["visibility"], posted["visibility"]);
    assert_eq!(edited["tags"][0]["name"], "two", "tags follow the new text");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
              WHERE u.username = 'bo' AND n.type = 'mention'"
        )
        .await,
        1,
        "someone newly mentioned hears of it"
    );

    // The rules of posting, and their field names.
    let (status, body) = call(&app, put.clone(), &path, Some(&ana), &[("status", "  ")]).await;
    assert_eq!(status, 422);
    assert!(body["error"].as_str().unwrap().contains("status"), "{body}");
    let (status, body) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[("status", &"a".repeat(129))],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"].as_str().unwrap().contains("at most 128"),
        "{body}"
    );
    for (field, value) in [("media_ids[]", "1"), ("poll[options][]", "yes")] {
        let (status, body) = call(
            &app,
            put.clone(),
            &path,
            Some(&ana),
            &[("status", "with extras"), (field, value)],
        )
        .await;
        let name = field.split('[').next().unwrap();
        assert_eq!(status, 422, "{field}");
        assert!(body["error"].as_str().unwrap().contains(name), "{body}");
    }
    // Someone else's status is not found for them, and stays as it was.
    let (status, _) = call(
        &app,
        put.clone(),
        &path,
        Some(&bo),
        &[("status", "mine now")],
    )
    .await;
    assert_eq!(status, 404);
    // The same text again is not a new version.
    let (status, _) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[("status", "hello @bo #two")],
    )
    .await;
    assert_eq!(status, 200);

    let (status, history) = call(
        &app,
        reqwest::Method::GET,
        &format!("{path}/history"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(
        (&versions[1]["spoiler_text"], &versions[1]["sensitive"]),
        (&Value::from(""), &Value::from(false))
    );
    assert!(versions[0]["content"]
        .as_str()
        .unwrap()
        .contains("#<span>one"));
    assert!(versions[1]["content"]
        .as_str()
        .unwrap()
        .contains("#<span>two"));
    assert_eq!(versions[0]["created_at"], posted["created_at"]);
    assert_eq!(versions[1]["created_at"], edited["edited_at"]);
    assert_eq!(versions[1]["account"]["username"], "ana");

    let (status, source) = call(
        &app,
        reqwest::Method::GET,
        &format!("{path}/source"),
        Some(&ana),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (source["id"].as_str(), source["text"].as_str()),
        (Some(id.as_str()), Some("hello @bo #two"))
    );

    // A content warning added by an edit (the text unchanged) is a version too; one left
    // out of a later edit stays; an empty one removes it.
    let (status, warned) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[("status", "hello @bo #two"), ("spoiler_text", "spoilers")],
    )
    .await;
    assert_eq!(status, 200, "{warned}");
    assert_eq!(
        (&warned["spoiler_text"], &warned["sensitive"]),
        (&Value::from("spoilers"), &Value::from(true))
    );
    let (_, kept) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[("status", "hello again")],
    )
    .await;
    assert_eq!(kept["spoiler_text"], "spoilers");
    let (_, source) = call(
        &app,
        reqwest::Method::GET,
        &format!("{path}/source"),
        Some(&ana),
        &[],
    )
    .await;
    assert_eq!(source["spoiler_text"], "spoilers");
    let (_, removed) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[
            ("status", "hello again"),
            ("spoiler_text", ""),
            ("sensitive", "false"),
        ],
    )
    .await;
    assert_eq!(
        (&removed["spoiler_text"], &removed["sensitive"]),
        (&Value::from(""), &Value::from(false))
    );
    let (_, history) = call(
        &app,
        reqwest::Method::GET,
        &format!("{path}/history"),
        None,
        &[],
    )
    .await;
    let warnings: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| version["spoiler_text"].as_str().unwrap())
        .collect();
    assert_eq!(warnings, ["", "", "spoilers", "spoilers", ""]);
    let (_, refused) = call(
        &app,
        put.clone(),
        &path,
        Some(&ana),
        &[
            ("status", "hello again"),
            ("spoiler_text", &"w".repeat(101)),
        ],
    )
    .await;
    assert!(
        refused["error"].as_str().unwrap().contains("spoiler_text"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_history_and_source_are_read_only_by_who_may_see_the_thought() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    app.sign_up("bo").await;
    app.sign_up("cy").await;
    let (ana, bo, cy) = (
        app.api_key("ana", "read write").await,
        app.api_key("bo", "read write").await,
        app.api_key("cy", "read write").await,
    );
    let (_, posted) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/statuses",
        Some(&ana),
        &[
            ("status", "for @bo only: secretword"),
            ("visibility", "direct"),
        ],
    )
    .await;
    let id = posted["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&ana),
        &[("status", "for @bo only: otherword")],
    )
    .await;
    assert_eq!(status, 200);
    for what in ["history", "source"] {
        let path = format!("/api/v1/statuses/{id}/{what}");
        let (status, body) = call(&app, reqwest::Method::GET, &path, Some(&bo), &[]).await;
        assert_eq!(status, 200, "bo is mentioned: {what}");
        assert!(body.to_string().contains("otherword"), "{body}");
        for (who, key) in [("cy", Some(cy.as_str())), ("a visitor", None)] {
            let (status, body) = call(&app, reqwest::Method::GET, &path, key, &[]).await;
            assert!(
                [401, 404].contains(&status) && !body.to_string().contains("word"),
                "{who} read the {what}: {status} {body}"
            );
        }
    }
    // Web history page alike.
    let page = app
        .get(&format!("/@ana/{id}/history"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("secretword") && !page.contains("otherword"));
}

#[tokio::test]
async fn the_web_form_edits_without_javascript_once_and_same_site_only() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let posted = app
        .post_form(
            "/api/thoughts/post",
            &[("content", "first try"), ("visibility", "public")],
            Some(&ana),
        )
        .await;
    let id: String = posted.json().await.unwrap();
    let thought_page = format!("/@ana/{id}");

    // The author's thought offers "Edit"; the edit page is a plain form with the text.
    let page = app.get_as(&ana, &thought_page).await.text().await.unwrap();
    assert!(
        page.contains(&format!("href=\"{thought_page}/edit\"")),
        "{page}"
    );
    let bos_view = app.get_as(&bo, &thought_page).await.text().await.unwrap();
    assert!(!bos_view.contains(&format!("{thought_page}/edit")));
    let form = app
        .get_as(&ana, &format!("{thought_page}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("action=\"/api/thoughts/edit\"")
            && form.contains("first try")
            && form.contains("name=\"idempotency_token\""),
        "{form}"
    );
    let not_bos = app
        .get_as(&bo, &format!("{thought_page}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!not_bos.contains("action=\"/api/thoughts/edit\""));

    // Posted as a browser without JavaScript posts it: back to the thought.
    let token = uuid::Uuid::new_v4().to_string();
    let submit = |content: &'static str, session: String, token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            app.http
                .post(format!("{}/api/thoughts/edit", app.url))
                .header("origin", &app.url)
                .header("accept", "text/html")
                .header("cookie", format!("ts_session={session}"))
                .form(&[
                    ("id", id.as_str()),
                    ("content", content),
                    ("idempotency_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert!(form.contains("name=\"summary\""), "{form}");
    let done = submit("second try", ana.clone(), token.clone()).await;
    assert!(done.status().is_redirection(), "{}", done.status());
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        thought_page.as_str()
    );
    // The same form sent again (a retry) changes nothing more.
    let again = submit("third try", ana.clone(), token).await;
    assert!(again.status().is_redirection());
    let content = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT content FROM thoughts")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(content(&app).await, "second try");
    assert_eq!(count(&app, "SELECT count(*) FROM thought_edits").await, 1);

    // Someone else, or another site, cannot.
    submit("bo was here", bo.clone(), uuid::Uuid::new_v4().to_string()).await;
    let forged = app
        .http
        .post(format!("{}/api/thoughts/edit", app.url))
        .header("origin", "https://evil.example")
        .header("cookie", format!("ts_session={ana}"))
        .form(&[("id", id.as_str()), ("content", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(content(&app).await, "second try");

    // Too long: refused with the reason, nothing changed.
    let long = "a".repeat(129);
    let refused = app
        .post_form(
            "/api/thoughts/edit",
            &[("id", &id), ("content", &long)],
            Some(&ana),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("at most 128"));
    assert_eq!(content(&app).await, "second try");

    // The thought says it was edited, and its history shows both versions.
    let page = app.get(&thought_page).await.text().await.unwrap();
    assert!(
        page.contains("class=\"edited\"") && page.contains(&format!("{thought_page}/history")),
        "{page}"
    );
    let history = app
        .get(&format!("{thought_page}/history"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        history.contains("first try") && history.contains("second try"),
        "{history}"
    );
}
