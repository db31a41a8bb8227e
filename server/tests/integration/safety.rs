//! Mutes (accounts, with a duration and "hide notifications"; conversations) and keyword
//! filters (warn, hide, whole words, contexts, expiry), through the client API and the web.

use serde_json::{json, Value};

use crate::support::TestApp;

async fn key_for(app: &TestApp, session: &str) -> String {
    let response = app
        .post_form("/api/api_keys/create", &[("name", "app")], Some(session))
        .await;
    assert_eq!(response.status(), 200);
    let made: Value = response.json().await.unwrap();
    made["secret"].as_str().unwrap().to_owned()
}

async fn call(app: &TestApp, method: &str, path: &str, key: &str, body: Option<Value>) -> Value {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .http
        .request(method.clone(), format!("{}{path}", app.url))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn get(app: &TestApp, path: &str, key: &str) -> Value {
    call(app, "GET", path, key, None).await
}

async fn post(app: &TestApp, path: &str, key: &str, body: Value) -> Value {
    call(app, "POST", path, key, Some(body)).await
}

async fn id_of(app: &TestApp, username: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    id.to_string()
}

async fn status(app: &TestApp, key: &str, text: &str, reply_to: Option<&str>) -> String {
    let mut body = json!({ "status": text });
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = json!(parent);
    }
    post(app, "/api/v1/statuses", key, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The texts of a list of statuses (a boost's: the text of the status it wraps).
fn texts(statuses: &Value) -> Vec<String> {
    statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let shown = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            shown["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

fn shows(statuses: &Value, text: &str) -> bool {
    texts(statuses).iter().any(|t| t == text)
}

/// ana follows bo and cy; each has a key.
struct People {
    app: TestApp,
    ana: String,
    ana_key: String,
    bo_key: String,
    cy_key: String,
    bo_id: String,
}

async fn people() -> People {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    let (ana_key, bo_key, cy_key) = (
        key_for(&app, &ana).await,
        key_for(&app, &bo).await,
        key_for(&app, &cy).await,
    );
    let bo_id = id_of(&app, "bo").await;
    let cy_id = id_of(&app, "cy").await;
    for id in [&bo_id, &cy_id] {
        post(
            &app,
            &format!("/api/v1/accounts/{id}/follow"),
            &ana_key,
            json!({}),
        )
        .await;
    }
    People {
        app,
        ana,
        ana_key,
        bo_key,
        cy_key,
        bo_id,
    }
}

#[tokio::test]
async fn a_mute_keeps_someone_out_of_timelines_not_their_profile_and_ends_by_itself() {
    let p = people().await;
    let app = &p.app;
    let bo_thought = status(app, &p.bo_key, "bo thinks aloud", None).await;
    status(app, &p.cy_key, "cy thinks aloud", None).await;
    // cy boosts bo: the boost is bo's thought coming by way of someone not muted.
    post(
        app,
        &format!("/api/v1/statuses/{bo_thought}/reblog"),
        &p.cy_key,
        json!({}),
    )
    .await;
    assert!(shows(
        &get(app, "/api/v1/timelines/home", &p.ana_key).await,
        "bo thinks aloud"
    ));

    let relationship = post(
        app,
        &format!("/api/v1/accounts/{}/mute", p.bo_id),
        &p.ana_key,
        json!({}),
    )
    .await;
    assert_eq!(
        (
            &relationship["muting"],
            &relationship["muting_notifications"]
        ),
        (&json!(true), &json!(true))
    );

    let home = get(app, "/api/v1/timelines/home", &p.ana_key).await;
    assert!(!shows(&home, "bo thinks aloud"), "{home}");
    assert!(shows(&home, "cy thinks aloud"), "the others stay: {home}");
    let public = get(app, "/api/v1/timelines/public", &p.ana_key).await;
    assert!(!shows(&public, "bo thinks aloud") && shows(&public, "cy thinks aloud"));
    let page = app.get_as(&p.ana, "/").await.text().await.unwrap();
    assert!(!page.contains("bo thinks aloud") && page.contains("cy thinks aloud"));
    // Still reachable by its link and on bo's profile.
    assert!(shows(
        &get(
            app,
            &format!("/api/v1/accounts/{}/statuses", p.bo_id),
            &p.ana_key
        )
        .await,
        "bo thinks aloud"
    ));
    assert_eq!(
        get(app, &format!("/api/v1/statuses/{bo_thought}"), &p.ana_key).await["text"],
        "bo thinks aloud"
    );
    let profile = app.get_as(&p.ana, "/@bo").await.text().await.unwrap();
    assert!(profile.contains("bo thinks aloud") && profile.contains("Unmute"));
    // Others are not affected.
    assert!(shows(
        &get(app, "/api/v1/timelines/public", &p.cy_key).await,
        "bo thinks aloud"
    ));

    let mutes = get(app, "/api/v1/mutes", &p.ana_key).await;
    assert_eq!(mutes[0]["username"], "bo");
    assert_eq!(mutes[0]["mute_expires_at"], Value::Null);
    let listed = app
        .get_as(&p.ana, "/settings/mutes")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("@bo"), "{listed}");

    // A mute for an hour says when it ends; once that time has passed it no longer applies,
    // though nothing ran in between.
    let relationship = post(
        app,
        &format!("/api/v1/accounts/{}/mute", p.bo_id),
        &p.ana_key,
        json!({ "duration": 3600, "notifications": false }),
    )
    .await;
    assert_eq!(relationship["muting_notifications"], json!(false));
    let ends = get(app, "/api/v1/mutes", &p.ana_key).await[0]["mute_expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let ends = chrono::DateTime::parse_from_rfc3339(&ends).unwrap();
    let left = ends.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "{left}");
    sqlx::query("UPDATE mutes SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(shows(
        &get(app, "/api/v1/timelines/home", &p.ana_key).await,
        "bo thinks aloud"
    ));
    let relationship = get(
        app,
        &format!("/api/v1/accounts/relationships?id[]={}", p.bo_id),
        &p.ana_key,
    )
    .await;
    assert_eq!(relationship[0]["muting"], json!(false));
    assert_eq!(get(app, "/api/v1/mutes", &p.ana_key).await, json!([]));

    // Refused: muting oneself, a duration out of range.
    let me = id_of(app, "ana").await;
    for (path, body) in [
        (format!("/api/v1/accounts/{me}/mute"), json!({})),
        (
            format!("/api/v1/accounts/{}/mute", p.bo_id),
            json!({ "duration": -5 }),
        ),
    ] {
        let response = app
            .http
            .post(format!("{}{path}", app.url))
            .bearer_auth(&p.ana_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{path} {body}");
    }
}

#[tokio::test]
async fn the_web_mutes_and_unmutes_from_the_profile_without_javascript() {
    let p = people().await;
    let app = &p.app;
    status(app, &p.bo_key, "bo on the web", None).await;
    let response = app
        .post_form(
            "/api/profiles/mute",
            &[("username", "bo"), ("on", "true"), ("duration", "86400")],
            Some(&p.ana),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let (hide, ends): (bool, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT hide_notifications, expires_at FROM mutes")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(!hide, "the box was not ticked");
    assert!(ends.is_some());
    assert!(!app
        .get_as(&p.ana, "/")
        .await
        .text()
        .await
        .unwrap()
        .contains("bo on the web"));
    app.post_form(
        "/api/profiles/mute",
        &[("username", "bo"), ("on", "false")],
        Some(&p.ana),
    )
    .await;
    assert!(app
        .get_as(&p.ana, "/")
        .await
        .text()
        .await
        .unwrap()
        .contains("bo on the web"));
}

async fn notification_types(app: &TestApp, key: &str) -> Vec<(String, String)> {
    get(app, "/api/v1/notifications", key)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_owned(),
                n["account"]["username"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn hide_notifications_hides_what_the_muted_person_does_while_the_mute_lasts() {
    let p = people().await;
    let app = &p.app;
    let mine = status(app, &p.ana_key, "ana's thought", None).await;
    post(
        app,
        &format!("/api/v1/statuses/{mine}/favourite"),
        &p.bo_key,
        json!({}),
    )
    .await;
    let liked = vec![("favourite".to_owned(), "bo".to_owned())];
    assert_eq!(notification_types(app, &p.ana_key).await, liked);

    // Muted without hiding notifications: still told.
    post(
        app,
        &format!("/api/v1/accounts/{}/mute", p.bo_id),
        &p.ana_key,
        json!({ "notifications": false }),
    )
    .await;
    assert_eq!(notification_types(app, &p.ana_key).await, liked);

    post(
        app,
        &format!("/api/v1/accounts/{}/mute", p.bo_id),
        &p.ana_key,
        json!({ "notifications": true }),
    )
    .await;
    assert_eq!(notification_types(app, &p.ana_key).await, vec![]);
    let count: i64 = app::backend::notifications::unread_count(
        &app.db.pool,
        uuid::Uuid::parse_str(&id_of(app, "ana").await).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(count, 0, "the unread count follows");
    let page = app
        .get_as(&p.ana, "/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("@bo"), "{page}");

    // Once the mute has ended, they show again.
    sqlx::query("UPDATE mutes SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(notification_types(app, &p.ana_key).await, liked);
}

#[tokio::test]
async fn a_muted_conversation_notifies_of_nothing_in_it() {
    let p = people().await;
    let app = &p.app;
    let root = status(app, &p.ana_key, "ana starts a thread", None).await;
    let muted = post(
        app,
        &format!("/api/v1/statuses/{root}/mute"),
        &p.ana_key,
        json!({}),
    )
    .await;
    assert_eq!(muted["muted"], json!(true));
    let first = status(app, &p.bo_key, "@ana bo answers", Some(&root)).await;
    // Deeper in the same thread, too.
    status(app, &p.cy_key, "@ana cy answers bo", Some(&first)).await;
    assert_eq!(notification_types(app, &p.ana_key).await, vec![]);
    assert_eq!(
        get(app, &format!("/api/v1/statuses/{first}"), &p.ana_key).await["muted"],
        json!(true)
    );

    // Another thread still notifies.
    let other = status(app, &p.ana_key, "ana elsewhere", None).await;
    status(app, &p.bo_key, "@ana bo elsewhere", Some(&other)).await;
    assert_eq!(notification_types(app, &p.ana_key).await.len(), 1);

    let unmuted = post(
        app,
        &format!("/api/v1/statuses/{first}/unmute"),
        &p.ana_key,
        json!({}),
    )
    .await;
    assert_eq!(unmuted["muted"], json!(false));
    status(app, &p.bo_key, "@ana bo again", Some(&root)).await;
    assert_eq!(notification_types(app, &p.ana_key).await.len(), 2);
}

/// Makes a filter through the API (JSON, as Mastodon.py sends it).
async fn filter(
    app: &TestApp,
    key: &str,
    title: &str,
    contexts: &[&str],
    action: &str,
    keywords: &[(&str, bool)],
) -> Value {
    post(
        app,
        "/api/v2/filters",
        key,
        json!({
            "title": title, "context": contexts, "filter_action": action,
            "keywords_attributes": keywords.iter().map(|(k, w)| json!({ "keyword": k, "whole_word": w })).collect::<Vec<_>>(),
        }),
    )
    .await
}

#[tokio::test]
async fn warn_filters_collapse_and_hide_filters_remove_in_their_contexts() {
    let p = people().await;
    let app = &p.app;
    status(app, &p.bo_key, "I love my cat so much", None).await;
    status(app, &p.bo_key, "concatenate strings", None).await;
    status(app, &p.bo_key, "spoilers for the Finale!", None).await;
    status(app, &p.bo_key, "nothing to see", None).await;

    let made = filter(
        app,
        &p.ana_key,
        "Cats",
        &["home", "public"],
        "warn",
        &[("cat", true)],
    )
    .await;
    assert_eq!(made["keywords"][0]["keyword"], "cat");
    assert_eq!(made["filter_action"], "warn");
    let home = get(app, "/api/v1/timelines/home", &p.ana_key).await;
    let by_text = |statuses: &Value, text: &str| -> Value {
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["text"] == text)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let cat = by_text(&home, "I love my cat so much");
    assert_eq!(cat["filtered"][0]["filter"]["title"], "Cats");
    assert_eq!(cat["filtered"][0]["filter"]["filter_action"], "warn");
    assert_eq!(cat["filtered"][0]["keyword_matches"], json!(["cat"]));
    // A whole word: "concatenate" does not match "cat".
    assert_eq!(by_text(&home, "concatenate strings")["filtered"], json!([]));
    // The web collapses it behind the title.
    let page = app.get_as(&p.ana, "/").await.text().await.unwrap();
    assert!(
        page.contains("Filtered: Cats"),
        "the home page collapses it"
    );

    // Anywhere in a word when whole_word is off.
    let id = made["id"].as_str().unwrap();
    let keyword_id = made["keywords"][0]["id"].as_str().unwrap();
    call(
        app,
        "PUT",
        &format!("/api/v2/filters/{id}"),
        &p.ana_key,
        Some(json!({ "keywords_attributes": [{ "id": keyword_id, "whole_word": false }] })),
    )
    .await;
    let home = get(app, "/api/v1/timelines/home", &p.ana_key).await;
    assert_eq!(
        by_text(&home, "concatenate strings")["filtered"][0]["filter"]["title"],
        "Cats"
    );
    // Not in a context it does not name (profiles: account).
    let profile = get(
        app,
        &format!("/api/v1/accounts/{}/statuses", p.bo_id),
        &p.ana_key,
    )
    .await;
    assert_eq!(
        by_text(&profile, "I love my cat so much")["filtered"],
        json!([])
    );

    // Hide: gone from home, still in the public timeline it does not name.
    filter(
        app,
        &p.ana_key,
        "No spoilers",
        &["home", "thread", "account"],
        "hide",
        &[("finale", true)],
    )
    .await;
    let home = get(app, "/api/v1/timelines/home", &p.ana_key).await;
    assert!(!shows(&home, "spoilers for the Finale!"), "{home}");
    assert!(shows(&home, "nothing to see"));
    assert!(shows(
        &get(app, "/api/v1/timelines/public", &p.ana_key).await,
        "spoilers for the Finale!"
    ));
    assert!(!shows(
        &get(
            app,
            &format!("/api/v1/accounts/{}/statuses", p.bo_id),
            &p.ana_key
        )
        .await,
        "spoilers for the Finale!"
    ));
    let page = app.get_as(&p.ana, "/").await.text().await.unwrap();
    assert!(!page.contains("spoilers for the Finale!") && page.contains("nothing to see"));
    // Others' timelines are theirs.
    assert!(shows(
        &get(app, "/api/v1/timelines/public", &p.cy_key).await,
        "I love my cat so much"
    ));
    assert_eq!(
        by_text(
            &get(app, "/api/v1/timelines/public", &p.cy_key).await,
            "I love my cat so much"
        )["filtered"],
        json!([])
    );

    // An expired filter no longer applies.
    sqlx::query("UPDATE filters SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let home = get(app, "/api/v1/timelines/home", &p.ana_key).await;
    assert!(shows(&home, "spoilers for the Finale!"));
    assert_eq!(
        by_text(&home, "I love my cat so much")["filtered"],
        json!([])
    );
}

#[tokio::test]
async fn filters_apply_to_threads_and_notifications() {
    let p = people().await;
    let app = &p.app;
    let root = status(app, &p.ana_key, "ana asks", None).await;
    status(app, &p.bo_key, "@ana the Finale was great", Some(&root)).await;
    status(app, &p.cy_key, "@ana I agree", Some(&root)).await;
    let context = get(app, &format!("/api/v1/statuses/{root}/context"), &p.ana_key).await;
    assert_eq!(texts(&context["descendants"]).len(), 2);
    assert_eq!(notification_types(app, &p.ana_key).await.len(), 2);

    filter(
        app,
        &p.ana_key,
        "Finale",
        &["thread", "notifications"],
        "hide",
        &[("finale", true)],
    )
    .await;
    let context = get(app, &format!("/api/v1/statuses/{root}/context"), &p.ana_key).await;
    assert_eq!(texts(&context["descendants"]), vec!["@ana I agree"]);
    assert_eq!(
        notification_types(app, &p.ana_key).await,
        vec![("mention".to_owned(), "cy".to_owned())]
    );
}

#[tokio::test]
async fn filters_are_made_read_changed_and_deleted_with_their_keywords() {
    let p = people().await;
    let app = &p.app;
    let made = filter(
        app,
        &p.ana_key,
        "Words",
        &["home"],
        "warn",
        &[("one", true), ("two", false)],
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(app, "/api/v2/filters", &p.ana_key).await[0]["id"],
        json!(id)
    );
    assert_eq!(
        get(app, &format!("/api/v2/filters/{id}"), &p.ana_key).await["title"],
        "Words"
    );
    // Form-encoded nested keywords, as Rails reads them.
    let response = app
        .http
        .post(format!("{}/api/v2/filters", app.url))
        .bearer_auth(&p.ana_key)
        .form(&[
            ("title", "Form"),
            ("context[]", "public"),
            ("filter_action", "hide"),
            ("expires_in", "3600"),
            ("keywords_attributes[][keyword]", "alpha"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "beta"),
        ])
        .send()
        .await
        .unwrap();
    let form: Value = response.json().await.unwrap();
    assert_eq!(form["keywords"].as_array().unwrap().len(), 2, "{form}");
    assert_eq!(form["keywords"][0]["whole_word"], json!(false));
    assert!(form["expires_at"].is_string());

    let added = post(
        app,
        &format!("/api/v2/filters/{id}/keywords"),
        &p.ana_key,
        json!({ "keyword": "three", "whole_word": false }),
    )
    .await;
    let keyword_id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(app, &format!("/api/v2/filters/{id}/keywords"), &p.ana_key)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let changed = call(
        app,
        "PUT",
        &format!("/api/v2/filters/keywords/{keyword_id}"),
        &p.ana_key,
        Some(json!({ "keyword": "drei" })),
    )
    .await;
    assert_eq!(
        (&changed["keyword"], &changed["whole_word"]),
        (&json!("drei"), &json!(false))
    );
    call(
        app,
        "DELETE",
        &format!("/api/v2/filters/keywords/{keyword_id}"),
        &p.ana_key,
        None,
    )
    .await;
    let first = made["keywords"][0]["id"].as_str().unwrap();
    let updated = call(
        app,
        "PUT",
        &format!("/api/v2/filters/{id}"),
        &p.ana_key,
        Some(json!({ "title": "Renamed", "context": ["home", "thread"],
                     "keywords_attributes": [{ "id": first, "_destroy": true }] })),
    )
    .await;
    assert_eq!(updated["title"], "Renamed");
    assert_eq!(updated["context"], json!(["home", "thread"]));
    assert_eq!(updated["keywords"].as_array().unwrap().len(), 1);
    // The v1 view lists each keyword.
    assert_eq!(
        get(app, "/api/v1/filters", &p.ana_key)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Someone else's filter is not found; bad input names its field.
    let bo_view = app
        .http
        .get(format!("{}/api/v2/filters/{id}", app.url))
        .bearer_auth(&p.bo_key)
        .send()
        .await
        .unwrap();
    assert_eq!(bo_view.status(), 404);
    for (body, field) in [
        (json!({ "title": "", "context": ["home"] }), "title"),
        (json!({ "title": "x", "context": ["nowhere"] }), "context"),
        (
            json!({ "title": "x", "context": ["home"], "filter_action": "shout" }),
            "filter_action",
        ),
    ] {
        let response = app
            .http
            .post(format!("{}/api/v2/filters", app.url))
            .bearer_auth(&p.ana_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().contains(field), "{error}");
    }
    call(
        app,
        "DELETE",
        &format!("/api/v2/filters/{id}"),
        &p.ana_key,
        None,
    )
    .await;
    assert_eq!(
        get(app, "/api/v2/filters", &p.ana_key)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_filters_page_makes_and_deletes_filters_without_javascript() {
    let p = people().await;
    let app = &p.app;
    status(app, &p.bo_key, "the weather is grim", None).await;
    let response = app
        .post_form(
            "/api/safety/filters/create",
            &[
                ("title", "Weather"),
                ("keywords", "weather\nrain"),
                ("whole_word", "on"),
                ("home", "on"),
                ("action", "warn"),
                ("expires_in", ""),
            ],
            Some(&p.ana),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let page = app
        .get_as(&p.ana, "/settings/filters")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Weather") && page.contains("rain"), "{page}");
    let home = app.get_as(&p.ana, "/").await.text().await.unwrap();
    assert!(home.contains("Filtered: Weather"));
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM filters")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    // Someone else cannot delete it.
    let bo = app.log_in("bo", "correct horse").await.unwrap();
    assert_eq!(
        app.post_form(
            "/api/safety/filters/delete",
            &[("id", &id.to_string())],
            Some(&bo)
        )
        .await
        .status(),
        404
    );
    app.post_form(
        "/api/safety/filters/delete",
        &[("id", &id.to_string())],
        Some(&p.ana),
    )
    .await;
    assert!(!app
        .get_as(&p.ana, "/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Filtered: Weather"));
}

#[tokio::test]
async fn a_locked_account_accepts_or_rejects_follow_requests_and_pending_followers_see_nothing_for_followers(
) {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    let dee = app.sign_up("dee").await;
    let (ana_key, bo_key, cy_key, dee_key) = (
        key_for(&app, &ana).await,
        key_for(&app, &bo).await,
        key_for(&app, &cy).await,
        key_for(&app, &dee).await,
    );
    let ana_id = id_of(&app, "ana").await;
    let me = call(
        &app,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        &ana_key,
        Some(json!({ "locked": true })),
    )
    .await;
    assert_eq!(me["locked"], json!(true));
    let secret = post(
        &app,
        "/api/v1/statuses",
        &ana_key,
        json!({ "status": "for my followers only", "visibility": "private" }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let relationship = post(
        &app,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &bo_key,
        json!({}),
    )
    .await;
    assert_eq!(
        (&relationship["following"], &relationship["requested"]),
        (&json!(false), &json!(true))
    );
    // Pending: nothing for followers.
    let hidden = app
        .http
        .get(format!("{}/api/v1/statuses/{secret}", app.url))
        .bearer_auth(&bo_key)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    assert!(!shows(
        &get(&app, "/api/v1/timelines/home", &bo_key).await,
        "for my followers only"
    ));
    assert!(!app
        .get_as(&bo, "/@ana")
        .await
        .text()
        .await
        .unwrap()
        .contains("for my followers only"));
    assert_eq!(
        get(&app, &format!("/api/v1/accounts/{ana_id}"), &bo_key).await["followers_count"],
        json!(0)
    );

    let requests = get(&app, "/api/v1/follow_requests", &ana_key).await;
    assert_eq!(requests[0]["username"], "bo");
    assert_eq!(
        notification_types(&app, &ana_key).await,
        vec![("follow_request".to_owned(), "bo".to_owned())]
    );
    let bo_id = id_of(&app, "bo").await;
    let relationship = post(
        &app,
        &format!("/api/v1/follow_requests/{bo_id}/authorize"),
        &ana_key,
        json!({}),
    )
    .await;
    assert_eq!(relationship["followed_by"], json!(true));
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{secret}"), &bo_key).await["text"],
        "for my followers only"
    );
    assert_eq!(
        notification_types(&app, &ana_key).await,
        vec![("follow".to_owned(), "bo".to_owned())],
        "the request became a follow"
    );

    // cy asks; ana rejects on the web page (a plain form).
    post(
        &app,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &cy_key,
        json!({}),
    )
    .await;
    let page = app
        .get_as(&ana, "/follow_requests")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("@cy") && page.contains("Manually approve followers"));
    let response = app
        .post_form(
            "/api/safety/follow_requests/answer",
            &[("username", "cy"), ("accept", "false")],
            Some(&ana),
        )
        .await;
    assert_eq!(response.status(), 200);
    let relationship = get(
        &app,
        &format!("/api/v1/accounts/relationships?id[]={ana_id}"),
        &cy_key,
    )
    .await;
    assert_eq!(
        (&relationship[0]["following"], &relationship[0]["requested"]),
        (&json!(false), &json!(false))
    );
    // Answering a request that is not there is 404.
    let cy_id = id_of(&app, "cy").await;
    let again = app
        .http
        .post(format!(
            "{}/api/v1/follow_requests/{cy_id}/authorize",
            app.url
        ))
        .bearer_auth(&ana_key)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);

    // dee asks; turning approval off accepts everyone waiting.
    post(
        &app,
        &format!("/api/v1/accounts/{ana_id}/follow"),
        &dee_key,
        json!({}),
    )
    .await;
    app.post_form("/api/safety/locked", &[], Some(&ana)).await;
    let relationship = get(
        &app,
        &format!("/api/v1/accounts/relationships?id[]={ana_id}"),
        &dee_key,
    )
    .await;
    assert_eq!(relationship[0]["following"], json!(true));
    assert_eq!(
        get(&app, "/api/v1/follow_requests", &ana_key).await,
        json!([])
    );
    assert_eq!(
        get(&app, "/api/v1/accounts/verify_credentials", &ana_key).await["locked"],
        json!(false)
    );
}

async fn direct(app: &TestApp, key: &str, text: &str, reply_to: Option<&str>) -> String {
    let mut body = json!({ "status": text, "visibility": "direct" });
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = json!(parent);
    }
    post(app, "/api/v1/statuses", key, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// (id, unread, the others' usernames, the last status's text) of each conversation.
async fn conversations(app: &TestApp, key: &str) -> Vec<(String, bool, Vec<String>, String)> {
    get(app, "/api/v1/conversations", key)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["unread"].as_bool().unwrap(),
                c["accounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["username"].as_str().unwrap().to_owned())
                    .collect(),
                c["last_status"]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn conversations_group_direct_threads_with_read_state_and_can_be_hidden() {
    let p = people().await;
    let app = &p.app;
    let first = direct(app, &p.ana_key, "@bo hello bo", None).await;
    direct(app, &p.bo_key, "@ana hello ana", Some(&first)).await;
    status(app, &p.ana_key, "@bo in public", None).await;
    let from_cy = direct(app, &p.cy_key, "@ana cy here", None).await;

    let anas = conversations(app, &p.ana_key).await;
    assert_eq!(
        anas.iter()
            .map(|(_, unread, who, last)| (*unread, who.clone(), last.clone()))
            .collect::<Vec<_>>(),
        vec![
            (true, vec!["cy".to_owned()], "@ana cy here".to_owned()),
            (true, vec!["bo".to_owned()], "@ana hello ana".to_owned()),
        ]
    );
    let with_bo = anas[1].0.clone();
    assert_eq!(with_bo, first, "named by the thread's first thought");
    // bo answered: for him it is read.
    assert_eq!(
        conversations(app, &p.bo_key).await,
        vec![(
            first.clone(),
            false,
            vec!["ana".to_owned()],
            "@ana hello ana".to_owned()
        )]
    );

    let read = post(
        app,
        &format!("/api/v1/conversations/{with_bo}/read"),
        &p.ana_key,
        json!({}),
    )
    .await;
    assert_eq!(read["unread"], json!(false));
    assert!(!conversations(app, &p.ana_key).await[1].1);
    direct(app, &p.bo_key, "@ana still there?", Some(&first)).await;
    let anas = conversations(app, &p.ana_key).await;
    assert_eq!((anas[0].1, anas[0].3.as_str()), (true, "@ana still there?"));

    // cy takes no part in ana and bo's conversation.
    let response = app
        .http
        .post(format!("{}/api/v1/conversations/{with_bo}/read", app.url))
        .bearer_auth(&p.cy_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Hidden until a newer message.
    call(
        app,
        "DELETE",
        &format!("/api/v1/conversations/{from_cy}"),
        &p.ana_key,
        None,
    )
    .await;
    assert_eq!(conversations(app, &p.ana_key).await.len(), 1);
    direct(app, &p.cy_key, "@ana are you there?", Some(&from_cy)).await;
    let anas = conversations(app, &p.ana_key).await;
    assert_eq!(
        (anas.len(), anas[0].0.as_str(), anas[0].1),
        (2, from_cy.as_str(), true)
    );

    // A block takes the conversation away with what may no longer be seen.
    app.post_form(
        "/api/profiles/block",
        &[("username", "cy"), ("on", "true")],
        Some(&p.ana),
    )
    .await;
    let anas = conversations(app, &p.ana_key).await;
    assert_eq!(anas.len(), 1);
    assert_eq!(anas[0].0, first);
}
