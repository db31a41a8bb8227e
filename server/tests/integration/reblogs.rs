//! Boosts in the client API as Mastodon apps expect them: a boost is a status of its own (a
//! "reblog" wrapping the original), on home and profile timelines at the boost's time and
//! paged by its id, readable and deletable by that id, behind the original's visibility,
//! mutes and filters.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::TestApp;

pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) key: String,
}

pub(crate) async fn person(app: &TestApp, username: &str) -> Person {
    let session = app.sign_up(username).await;
    let made: Value = app
        .post_form("/api/api_keys/create", &[("name", "app")], Some(&session))
        .await
        .json()
        .await
        .unwrap();
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    Person {
        id: id.to_string(),
        key: made["secret"].as_str().unwrap().to_owned(),
    }
}

/// A call as `who` (None: a visitor); returns the status code, the `Link` header and the body.
pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    who: Option<&Person>,
    body: Option<Value>,
) -> (u16, String, Value) {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", app.url)
    };
    let mut request = app.http.request(method, url);
    if let Some(who) = who {
        request = request.bearer_auth(&who.key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let link = response
        .headers()
        .get("link")
        .map(|link| link.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, link, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn ok(app: &TestApp, method: Method, path: &str, who: Option<&Person>) -> Value {
    let (status, _, body) = call(app, method, path, who, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

pub(crate) async fn post(app: &TestApp, who: &Person, text: &str) -> String {
    let (status, _, body) = call(
        app,
        Method::POST,
        "/api/v1/statuses",
        Some(who),
        Some(json!({ "status": text })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn reblog(app: &TestApp, who: &Person, id: &str) -> Value {
    ok(
        app,
        Method::POST,
        &format!("/api/v1/statuses/{id}/reblog"),
        Some(who),
    )
    .await
}

/// Each status of a page as (its id, the id of the status it wraps, if a reblog).
pub(crate) fn entries(page: &Value) -> Vec<(String, Option<String>)> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|status| {
            (
                status["id"].as_str().unwrap().to_owned(),
                status["reblog"]["id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The `rel="next"` URL of a `Link` header.
pub(crate) fn next_link(link: &str) -> Option<String> {
    link.split(", ")
        .find(|part| part.ends_with("rel=\"next\""))
        .map(|part| {
            part.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap()
                .to_owned()
        })
}

#[tokio::test]
async fn a_reblog_is_a_status_of_its_own_read_and_undone_by_its_id() {
    let app = TestApp::spawn().await;
    let (ana, bo, cy) = (
        person(&app, "ana").await,
        person(&app, "bo").await,
        person(&app, "cy").await,
    );
    let original = post(&app, &ana, "a thought worth spreading").await;

    let wrapper = reblog(&app, &bo, &original).await;
    let boost = wrapper["id"].as_str().unwrap().to_owned();
    assert_ne!(boost, original, "the boost has its own id");
    assert_eq!(wrapper["account"]["id"], json!(bo.id));
    assert_eq!(wrapper["content"], json!(""));
    assert_eq!(wrapper["reblog"]["id"], json!(original));
    assert_eq!(wrapper["reblog"]["account"]["id"], json!(ana.id));
    assert_eq!(wrapper["reblog"]["reblogged"], json!(true));
    assert_eq!(wrapper["reblog"]["reblogs_count"], json!(1));
    // Repeated: the same boost, not an error.
    assert_eq!(reblog(&app, &bo, &original).await["id"], json!(boost));
    // Read by its id, by anyone who may see the original (a visitor too).
    for reader in [Some(&ana), Some(&cy), None] {
        let read = ok(
            &app,
            Method::GET,
            &format!("/api/v1/statuses/{boost}"),
            reader,
        )
        .await;
        assert_eq!(
            (read["id"].clone(), read["reblog"]["id"].clone()),
            (json!(boost), json!(original))
        );
    }
    // Acting on a reblog acts on the original, as in Mastodon.
    let cys = reblog(&app, &cy, &boost).await;
    assert_eq!(cys["reblog"]["id"], json!(original));
    assert_ne!(cys["id"], json!(boost));
    let liked = ok(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{boost}/favourite"),
        Some(&cy),
    )
    .await;
    assert_eq!(
        (liked["id"].clone(), liked["favourited"].clone()),
        (json!(original), json!(true))
    );

    // The author is told of the boost, with the original status.
    let notifications = ok(
        &app,
        Method::GET,
        "/api/v1/notifications?types[]=reblog",
        Some(&ana),
    )
    .await;
    let from_bo = notifications
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["account"]["id"] == json!(bo.id))
        .expect("a reblog notification from Bo");
    assert_eq!(from_bo["status"]["id"], json!(original));
    assert!(from_bo["status"]["reblog"].is_null());

    // unreblog answers with the original, no longer reblogged; the wrapper is gone.
    let undone = ok(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{original}/unreblog"),
        Some(&bo),
    )
    .await;
    assert_eq!(
        (undone["id"].clone(), undone["reblogged"].clone()),
        (json!(original), json!(false))
    );
    let (status, _, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{boost}"),
        Some(&bo),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Deleting a reblog by its id undoes the boost; only the booster may.
    let again = reblog(&app, &bo, &original).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(again, boost, "a new boost");
    let path = format!("/api/v1/statuses/{again}");
    let (status, _, _) = call(&app, Method::DELETE, &path, Some(&ana), None).await;
    assert_eq!(status, 404, "not Ana's to delete");
    let deleted = ok(&app, Method::DELETE, &path, Some(&bo)).await;
    assert_eq!(
        (deleted["id"].clone(), deleted["reblog"]["id"].clone()),
        (json!(again), json!(original))
    );
    let (status, _, _) = call(&app, Method::GET, &path, Some(&bo), None).await;
    assert_eq!(status, 404);
    let kept = ok(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{original}"),
        Some(&bo),
    )
    .await;
    assert_eq!(
        (kept["reblogged"].clone(), kept["reblogs_count"].clone()),
        (json!(false), json!(1)),
        "the original stays; Cy's boost too"
    );
}

#[tokio::test]
async fn home_and_profile_timelines_carry_boosts_at_their_time_paged_by_their_ids() {
    let app = TestApp::spawn().await;
    let (ana, bo, cy) = (
        person(&app, "ana").await,
        person(&app, "bo").await,
        person(&app, "cy").await,
    );
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bo.id),
        Some(&cy),
    )
    .await;
    let t1 = post(&app, &ana, "first of ana").await;
    let t2 = post(&app, &ana, "second of ana").await;
    let t3 = post(&app, &ana, "third of ana").await;
    let own1 = post(&app, &bo, "bo one").await;
    let w2 = reblog(&app, &bo, &t2).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own2 = post(&app, &bo, "bo two").await;
    let w1 = reblog(&app, &bo, &t1).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let w3 = reblog(&app, &bo, &t3).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = |wrapper: &str, original: &str| (wrapper.to_owned(), Some(original.to_owned()));
    let s = |id: &str| (id.to_owned(), None);
    let everything = vec![b(&w3, &t3), b(&w1, &t1), s(&own2), b(&w2, &t2), s(&own1)];

    // Cy follows Bo only: Ana's thoughts come as Bo's boosts, at the time of each boost.
    let home = "/api/v1/timelines/home";
    assert_eq!(
        entries(&ok(&app, Method::GET, home, Some(&cy)).await),
        everything
    );
    // Bo's profile: the same, for a member and a visitor.
    let profile = format!("/api/v1/accounts/{}/statuses", bo.id);
    for reader in [Some(&cy), None] {
        assert_eq!(
            entries(&ok(&app, Method::GET, &profile, reader).await),
            everything
        );
    }
    // The public timeline has no boosts (as Mastodon's): each thought once, as itself.
    let public = entries(&ok(&app, Method::GET, "/api/v1/timelines/public", None).await);
    assert_eq!(public, vec![s(&own2), s(&own1), s(&t3), s(&t2), s(&t1)]);

    for path in [home, profile.as_str()] {
        // Following the Link header, two at a time.
        let mut pages = Vec::new();
        let mut url = format!("{path}?limit=2");
        loop {
            let (status, link, page) = call(&app, Method::GET, &url, Some(&cy), None).await;
            assert_eq!(status, 200, "{url}");
            if page.as_array().unwrap().is_empty() {
                break;
            }
            pages.push(entries(&page));
            match next_link(&link) {
                Some(next) => url = next,
                None => break,
            }
        }
        assert_eq!(pages.concat(), everything, "{path}");
        assert_eq!(pages[0].len(), 2);

        // Status ids, a boost's or a thought's, as positions.
        let read = |query: String| {
            let app = &app;
            let cy = &cy;
            async move { entries(&ok(app, Method::GET, &format!("{path}?{query}"), Some(cy)).await) }
        };
        assert_eq!(read(format!("max_id={w1}")).await, everything[2..]);
        assert_eq!(read(format!("max_id={own2}")).await, everything[3..]);
        assert_eq!(read(format!("since_id={w2}")).await, everything[..3]);
        assert_eq!(
            read(format!("min_id={w2}&limit=2")).await,
            everything[1..3],
            "the oldest two newer than the boost, newest first"
        );
        assert_eq!(
            read(format!("max_id={w3}&since_id={own1}")).await,
            everything[1..4]
        );
    }
}

#[tokio::test]
async fn a_boost_of_something_the_reader_may_not_see_is_not_shown() {
    let app = TestApp::spawn().await;
    let (ana, bo, cy) = (
        person(&app, "ana").await,
        person(&app, "bo").await,
        person(&app, "cy").await,
    );
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bo.id),
        Some(&cy),
    )
    .await;
    let original = post(&app, &ana, "not for cy in the end").await;
    let boost = reblog(&app, &bo, &original).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = "/api/v1/timelines/home";
    let profile = format!("/api/v1/accounts/{}/statuses", bo.id);
    assert_eq!(
        entries(&ok(&app, Method::GET, home, Some(&cy)).await),
        vec![(boost.clone(), Some(original.clone()))]
    );

    // Ana blocks Cy: her thought, and so Bo's boost of it, is hidden from Cy everywhere.
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", cy.id),
        Some(&ana),
    )
    .await;
    for path in [home, profile.as_str()] {
        assert_eq!(
            ok(&app, Method::GET, path, Some(&cy)).await,
            json!([]),
            "{path}"
        );
    }
    let (status, _, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{boost}"),
        Some(&cy),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Others still see it.
    ok(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{boost}"),
        None,
    )
    .await;

    // A block between reader and booster hides the boost too.
    let dee = person(&app, "dee").await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", bo.id),
        Some(&dee),
    )
    .await;
    let (status, _, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{boost}"),
        Some(&dee),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The original deleted: its boost is gone for everyone.
    ok(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{original}"),
        Some(&ana),
    )
    .await;
    let (status, _, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{boost}"),
        Some(&bo),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(ok(&app, Method::GET, &profile, None).await, json!([]));
}

#[tokio::test]
async fn mutes_and_filters_judge_a_boost_by_the_original() {
    let app = TestApp::spawn().await;
    let (ana, bo, cy) = (
        person(&app, "ana").await,
        person(&app, "bo").await,
        person(&app, "cy").await,
    );
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bo.id),
        Some(&cy),
    )
    .await;
    let durian = post(&app, &ana, "I love durian").await;
    let plain = post(&app, &ana, "a plain day").await;
    let boosted_durian = reblog(&app, &bo, &durian).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let boosted_plain = reblog(&app, &bo, &plain).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = "/api/v1/timelines/home";

    // A hide filter on the original's words takes its boost off Cy's home.
    let (status, _, filter) = call(
        &app,
        Method::POST,
        "/api/v2/filters",
        Some(&cy),
        Some(json!({
            "title": "Fruit", "context": ["home"], "filter_action": "hide",
            "keywords_attributes": [{ "keyword": "durian", "whole_word": true }],
        })),
    )
    .await;
    assert_eq!(status, 200, "{filter}");
    assert_eq!(
        entries(&ok(&app, Method::GET, home, Some(&cy)).await),
        vec![(boosted_plain.clone(), Some(plain.clone()))]
    );
    // A warn filter marks the wrapper and the original alike.
    let (status, _, changed) = call(
        &app,
        Method::PUT,
        &format!("/api/v2/filters/{}", filter["id"].as_str().unwrap()),
        Some(&cy),
        Some(json!({ "filter_action": "warn" })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    let page = ok(&app, Method::GET, home, Some(&cy)).await;
    let warned = page
        .as_array()
        .unwrap()
        .iter()
        .find(|status| status["id"] == json!(boosted_durian))
        .expect("a warn filter keeps it");
    assert_eq!(warned["filtered"][0]["filter"]["title"], json!("Fruit"));
    assert_eq!(
        warned["reblog"]["filtered"][0]["filter"]["title"],
        json!("Fruit")
    );

    // Muting the original's author, or the booster, takes the boosts off the home timeline.
    for muted in [&ana, &bo] {
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/accounts/{}/mute", muted.id),
            Some(&cy),
        )
        .await;
        assert_eq!(ok(&app, Method::GET, home, Some(&cy)).await, json!([]));
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/accounts/{}/unmute", muted.id),
            Some(&cy),
        )
        .await;
    }
    assert_eq!(
        entries(&ok(&app, Method::GET, home, Some(&cy)).await).len(),
        2
    );
}
