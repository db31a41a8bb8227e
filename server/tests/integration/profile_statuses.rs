//! Profile statuses (`GET /api/v1/accounts/:id/statuses`) narrowed as Mastodon narrows them:
//! `exclude_replies` (a reply to oneself stays), `exclude_reblogs`, `tagged` (no boosts),
//! `only_media` (nothing yet) and `pinned` (with pinning and its rules); paged with each
//! filter, the `Link` header keeping it; behind the visibility gate; a value that is not a
//! boolean (or a tag) is 422.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    reblogs::{call, entries, next_link, ok, person, post, reblog, Person},
    support::TestApp,
};

type Entry = (String, Option<String>);

async fn reply(app: &TestApp, who: &Person, to: &str, text: &str) -> String {
    let (status, _, body) = call(
        app,
        Method::POST,
        "/api/v1/statuses",
        Some(who),
        Some(json!({ "status": text, "in_reply_to_id": to })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Bo's profile, newest first, and the ids in it.
struct Profile {
    ana: Person,
    bo: Person,
    path: String,
    /// Bo's, after the boost.
    latest: String,
    /// Bo's boost of Ana's tagged question (as (wrapper, original)).
    boost: Entry,
    /// Bo's, tagged #rustacean (not #rust).
    plain: String,
    /// Bo's reply to Ana, tagged #RUST.
    answer: String,
    /// Bo's reply to their own root.
    self_reply: String,
    /// Bo's first, tagged #Rust.
    root: String,
}

impl Profile {
    async fn new(app: &TestApp) -> Profile {
        let (ana, bo) = (person(app, "ana").await, person(app, "bo").await);
        let root = post(app, &bo, "a thread of my own #Rust").await;
        let self_reply = reply(app, &bo, &root, "and it goes on").await;
        let question = post(app, &ana, "who knows #rust here?").await;
        let answer = reply(app, &bo, &question, "#RUST: I do").await;
        let plain = post(app, &bo, "nothing for #rustacean readers").await;
        let wrapper = reblog(app, &bo, &question).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let latest = post(app, &bo, "the latest").await;
        Profile {
            path: format!("/api/v1/accounts/{}/statuses", bo.id),
            ana,
            bo,
            latest,
            boost: (wrapper, Some(question)),
            plain,
            answer,
            self_reply,
            root,
        }
    }

    fn s(id: &str) -> Entry {
        (id.to_owned(), None)
    }

    fn everything(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            self.boost.clone(),
            Self::s(&self.plain),
            Self::s(&self.answer),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn without_replies(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            self.boost.clone(),
            Self::s(&self.plain),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn without_boosts(&self) -> Vec<Entry> {
        vec![
            Self::s(&self.latest),
            Self::s(&self.plain),
            Self::s(&self.answer),
            Self::s(&self.self_reply),
            Self::s(&self.root),
        ]
    }

    fn tagged_rust(&self) -> Vec<Entry> {
        vec![Self::s(&self.answer), Self::s(&self.root)]
    }

    /// The profile with `query`, as `reader` (None: a visitor) reads it.
    async fn read(&self, app: &TestApp, query: &str, reader: Option<&Person>) -> Vec<Entry> {
        entries(&ok(app, Method::GET, &format!("{}?{query}", self.path), reader).await)
    }
}

#[tokio::test]
async fn exclude_replies_keeps_replies_to_oneself_and_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let reader = person(&app, "cy").await;
    for reader in [Some(&reader), None] {
        assert_eq!(profile.read(&app, "", reader).await, profile.everything());
        for query in ["exclude_replies=true", "exclude_replies=1"] {
            assert_eq!(
                profile.read(&app, query, reader).await,
                profile.without_replies(),
                "{query}: the reply to Ana is left out, the thread of Bo's own stays"
            );
        }
        for query in ["exclude_replies=false", "exclude_replies=0"] {
            assert_eq!(
                profile.read(&app, query, reader).await,
                profile.everything()
            );
        }
    }
    // Ana's own profile without replies still has her question (not a reply).
    let ana_profile = format!(
        "/api/v1/accounts/{}/statuses?exclude_replies=true",
        profile.ana.id
    );
    assert_eq!(
        entries(&ok(&app, Method::GET, &ana_profile, None).await),
        vec![(profile.boost.1.clone().unwrap(), None)]
    );
}

#[tokio::test]
async fn exclude_reblogs_leaves_out_the_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    assert_eq!(
        profile.read(&app, "exclude_reblogs=true", None).await,
        profile.without_boosts()
    );
    assert_eq!(
        profile.read(&app, "exclude_reblogs=false", None).await,
        profile.everything()
    );
    let mut neither = profile.without_boosts();
    neither.retain(|(id, _)| *id != profile.answer);
    assert_eq!(
        profile
            .read(&app, "exclude_reblogs=true&exclude_replies=true", None)
            .await,
        neither
    );
}

#[tokio::test]
async fn tagged_keeps_the_thoughts_with_the_tag_in_any_case_and_no_boosts() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    // The boosted question has #rust too: a boost is never "tagged", as on Mastodon.
    for query in [
        "tagged=rust",
        "tagged=RuSt",
        "tagged=%23rust",
        "tagged=%20%23Rust%20",
    ] {
        assert_eq!(
            profile.read(&app, query, None).await,
            profile.tagged_rust(),
            "{query}"
        );
    }
    assert_eq!(
        profile
            .read(&app, "tagged=rust&exclude_replies=true", None)
            .await,
        vec![Profile::s(&profile.root)]
    );
    assert_eq!(
        profile.read(&app, "tagged=rustacean", None).await,
        vec![Profile::s(&profile.plain)]
    );
    assert_eq!(
        profile.read(&app, "tagged=nobody_uses_it", None).await,
        vec![]
    );
    // Empty: no tag asked for, as Mastodon takes it.
    assert_eq!(
        profile.read(&app, "tagged=", None).await,
        profile.everything()
    );
    // Ana's tagged question is on her profile, not on Bo's.
    let ana_tagged = format!("/api/v1/accounts/{}/statuses?tagged=rust", profile.ana.id);
    assert_eq!(
        entries(&ok(&app, Method::GET, &ana_tagged, None).await),
        vec![(profile.boost.1.clone().unwrap(), None)]
    );
}

#[tokio::test]
async fn only_media_is_empty_until_media_exist() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    for query in ["only_media=true", "only_media=1&exclude_replies=true"] {
        let url = format!("{}?{query}", profile.path);
        let (status, link, body) = call(&app, Method::GET, &url, Some(&profile.bo), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body, json!([]), "{query}");
        assert_eq!(next_link(&link), None, "{query}");
    }
    assert_eq!(
        profile.read(&app, "only_media=false", None).await,
        profile.everything()
    );
}

async fn pin(app: &TestApp, who: Option<&Person>, id: &str, on: bool) -> (u16, Value) {
    let action = if on { "pin" } else { "unpin" };
    let (status, _, body) = call(
        app,
        Method::POST,
        &format!("/api/v1/statuses/{id}/{action}"),
        who,
        None,
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn pins_are_listed_latest_first_for_the_owners_public_thoughts_at_most_five() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let bo = Some(&profile.bo);
    let s = Profile::s;
    assert_eq!(profile.read(&app, "pinned=true", None).await, vec![]);

    let (status, body) = pin(&app, bo, &profile.root, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["id"], &body["pinned"]),
        (&json!(profile.root), &json!(true))
    );
    // Twice: the same, not an error.
    let (status, body) = pin(&app, bo, &profile.root, true).await;
    assert_eq!((status, &body["pinned"]), (200, &json!(true)), "{body}");
    for id in [
        &profile.plain,
        &profile.latest,
        &profile.self_reply,
        &profile.answer,
    ] {
        let (status, body) = pin(&app, bo, id, true).await;
        assert_eq!(status, 200, "{body}");
    }
    let pinned = vec![
        s(&profile.answer),
        s(&profile.self_reply),
        s(&profile.latest),
        s(&profile.plain),
        s(&profile.root),
    ];
    for reader in [None, bo] {
        assert_eq!(profile.read(&app, "pinned=true", reader).await, pinned);
    }
    // `pinned` is the owner's to know (as on Mastodon); it shows wherever the status does.
    let url = format!("{}?pinned=true", profile.path);
    let as_visitor = ok(&app, Method::GET, &url, None).await;
    assert!(as_visitor
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["pinned"] == json!(false)));
    let as_owner = ok(&app, Method::GET, &url, bo).await;
    assert!(as_owner
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["pinned"] == json!(true)));
    let single = ok(
        &app,
        Method::GET,
        &format!("/api/v1/statuses/{}", profile.root),
        bo,
    )
    .await;
    assert_eq!(single["pinned"], json!(true));
    let everything = ok(&app, Method::GET, &profile.path, bo).await;
    let unpinned: Vec<&Value> = everything
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["pinned"] == json!(false))
        .collect();
    assert_eq!(
        unpinned.len(),
        1,
        "only the boost is not pinned: {everything}"
    );
    assert_eq!(unpinned[0]["id"], json!(profile.boost.0));

    // With the other filters, and paged by the Link header.
    assert_eq!(
        profile
            .read(&app, "pinned=true&exclude_replies=true", None)
            .await,
        vec![
            s(&profile.self_reply),
            s(&profile.latest),
            s(&profile.plain),
            s(&profile.root)
        ]
    );
    assert_eq!(
        profile.read(&app, "pinned=true&tagged=rust", None).await,
        profile.tagged_rust()
    );
    let mut pages = Vec::new();
    let mut url = format!("{}?pinned=true&limit=2", profile.path);
    loop {
        let (status, link, page) = call(&app, Method::GET, &url, None, None).await;
        assert_eq!(status, 200, "{url}: {page}");
        pages.push(entries(&page));
        match next_link(&link) {
            Some(next) => {
                assert!(next.contains("pinned=true"), "{next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(pages.concat(), pinned);

    // A sixth is refused, naming the limit; unpinning one makes room.
    let sixth = post(&app, &profile.bo, "a sixth").await;
    let (status, body) = pin(&app, bo, &sixth, true).await;
    assert_eq!(status, 422, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("at most 5"), "{error}");
    let (status, body) = pin(&app, bo, &profile.plain, false).await;
    assert_eq!((status, &body["pinned"]), (200, &json!(false)), "{body}");
    let (status, body) = pin(&app, bo, &profile.plain, false).await;
    assert_eq!(status, 200, "unpinning twice changes nothing: {body}");
    assert_eq!(pin(&app, bo, &sixth, true).await.0, 200);
    assert!(!profile
        .read(&app, "pinned=true", None)
        .await
        .contains(&s(&profile.plain)));
    // A pinned thought deleted leaves the list and frees its place.
    ok(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", profile.latest),
        bo,
    )
    .await;
    assert_eq!(
        profile.read(&app, "pinned=true", None).await,
        vec![
            s(&sixth),
            s(&profile.answer),
            s(&profile.self_reply),
            s(&profile.root)
        ]
    );
    let seventh = post(&app, &profile.bo, "a seventh").await;
    assert_eq!(pin(&app, bo, &seventh, true).await.0, 200);
    let eighth = post(&app, &profile.bo, "an eighth").await;
    assert_eq!(pin(&app, bo, &eighth, true).await.0, 422);
}

#[tokio::test]
async fn only_ones_own_public_or_unlisted_thoughts_can_be_pinned() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let bo = Some(&profile.bo);
    let question = profile.boost.1.clone().unwrap();
    // Someone else's: refused, also through the id of one's own boost of it.
    for id in [&question, &profile.boost.0] {
        let (status, body) = pin(&app, bo, id, true).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].as_str().unwrap().contains("own"), "{body}");
    }
    // Bo's own, for followers or for the mentioned only: refused.
    for visibility in ["private", "direct"] {
        let (status, _, made) = call(
            &app,
            Method::POST,
            "/api/v1/statuses",
            bo,
            Some(json!({ "status": "not for everyone", "visibility": visibility })),
        )
        .await;
        assert_eq!(status, 200, "{made}");
        let (status, body) = pin(&app, bo, made["id"].as_str().unwrap(), true).await;
        assert_eq!(status, 422, "{visibility}: {body}");
        assert!(body["error"].as_str().unwrap().contains("public"), "{body}");
    }
    // Unlisted: pinned.
    let (_, _, unlisted) = call(
        &app,
        Method::POST,
        "/api/v1/statuses",
        bo,
        Some(json!({ "status": "quietly", "visibility": "unlisted" })),
    )
    .await;
    let (status, body) = pin(&app, bo, unlisted["id"].as_str().unwrap(), true).await;
    assert_eq!((status, &body["pinned"]), (200, &json!(true)), "{body}");
    // What Bo may not see, or what does not exist, is 404; without a key, 401.
    let (status, _, secret) = call(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&profile.ana),
        Some(json!({ "status": "just for me", "visibility": "direct" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        pin(&app, bo, secret["id"].as_str().unwrap(), true).await.0,
        404
    );
    assert_eq!(
        pin(&app, bo, &uuid::Uuid::new_v4().to_string(), true)
            .await
            .0,
        404
    );
    assert_eq!(pin(&app, None, &profile.root, true).await.0, 401);
    assert_eq!(
        profile.read(&app, "pinned=true", None).await,
        vec![(unlisted["id"].as_str().unwrap().to_owned(), None)]
    );
}

#[tokio::test]
async fn paging_keeps_each_filter() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let filters = [
        ("exclude_replies=true", profile.without_replies()),
        ("exclude_reblogs=true", profile.without_boosts()),
        ("tagged=rust", profile.tagged_rust()),
        (
            "exclude_replies=true&exclude_reblogs=true",
            vec![
                Profile::s(&profile.latest),
                Profile::s(&profile.plain),
                Profile::s(&profile.self_reply),
                Profile::s(&profile.root),
            ],
        ),
    ];
    for (filter, expected) in &filters {
        // Following the Link header, two at a time: every page keeps the filter.
        let mut pages = Vec::new();
        let mut url = format!("{}?{filter}&limit=2", profile.path);
        loop {
            let (status, link, page) = call(&app, Method::GET, &url, None, None).await;
            assert_eq!(status, 200, "{url}: {page}");
            pages.push(entries(&page));
            match next_link(&link) {
                Some(next) => {
                    for part in filter.split('&') {
                        assert!(next.contains(part), "{next} keeps {part}");
                    }
                    url = next;
                }
                None => break,
            }
        }
        assert_eq!(pages[0].len(), 2, "{filter}");
        assert_eq!(pages.concat(), *expected, "{filter}");
    }

    // Status ids (a thought's or a boost's) as positions, with a filter.
    let [latest, boost, plain, answer, self_reply, root] = [
        &profile.latest,
        &profile.boost.0,
        &profile.plain,
        &profile.answer,
        &profile.self_reply,
        &profile.root,
    ];
    let without_replies = profile.without_replies();
    let read = |query: String| {
        let (app, profile) = (&app, &profile);
        async move { profile.read(app, &query, None).await }
    };
    assert_eq!(
        read(format!("exclude_replies=true&max_id={boost}")).await,
        without_replies[2..]
    );
    assert_eq!(
        read(format!("exclude_replies=true&since_id={self_reply}")).await,
        without_replies[..3]
    );
    assert_eq!(
        read(format!("exclude_replies=true&min_id={root}&limit=2")).await,
        without_replies[2..4],
        "the oldest two newer than the root, newest first"
    );
    assert_eq!(
        read(format!(
            "exclude_replies=true&max_id={latest}&since_id={root}"
        ))
        .await,
        without_replies[1..4]
    );
    // Older than the boost, without boosts: everything Bo wrote before it.
    assert_eq!(
        read(format!("exclude_reblogs=true&max_id={boost}")).await,
        profile.without_boosts()[1..]
    );
    assert_eq!(
        read(format!("tagged=rust&max_id={answer}")).await,
        vec![Profile::s(root)]
    );
    assert_eq!(
        read(format!("tagged=rust&since_id={root}")).await,
        vec![Profile::s(answer)]
    );
    assert_eq!(
        read(format!("tagged=rustacean&min_id={root}")).await,
        vec![Profile::s(plain)]
    );
}

#[tokio::test]
async fn filters_read_through_the_visibility_gate() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    let cy = person(&app, "cy").await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", profile.bo.id),
        Some(&cy),
    )
    .await;
    // For Bo's followers only: in Bo's own thread, tagged.
    let (status, _, body) = call(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&profile.bo),
        Some(json!({ "status": "#rust for followers", "in_reply_to_id": profile.root, "visibility": "private" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let hidden = body["id"].as_str().unwrap().to_owned();
    for query in [
        "exclude_replies=true",
        "exclude_reblogs=true",
        "tagged=rust",
    ] {
        let for_cy = profile.read(&app, query, Some(&cy)).await;
        assert_eq!(for_cy.first(), Some(&Profile::s(&hidden)), "{query}");
        let for_visitor = profile.read(&app, query, None).await;
        assert!(
            !for_visitor.contains(&Profile::s(&hidden)),
            "{query}: {for_visitor:?}"
        );
        assert_eq!(&for_cy[1..], for_visitor.as_slice(), "{query}");
    }

    // Ana blocks Cy: her question, boosted by Bo, is hidden from Cy with a filter too.
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", cy.id),
        Some(&profile.ana),
    )
    .await;
    assert_eq!(
        profile.read(&app, "exclude_replies=true", Some(&cy)).await,
        vec![
            Profile::s(&hidden),
            Profile::s(&profile.latest),
            Profile::s(&profile.plain),
            Profile::s(&profile.self_reply),
            Profile::s(&profile.root),
        ]
    );
}

#[tokio::test]
async fn a_value_that_is_not_a_boolean_or_a_tag_is_422_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let profile = Profile::new(&app).await;
    for name in ["exclude_replies", "exclude_reblogs", "only_media", "pinned"] {
        let url = format!("{}?{name}=maybe", profile.path);
        let (status, _, body) = call(&app, Method::GET, &url, None, None).await;
        assert_eq!(status, 422, "{name}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(name), "{error}");
    }
    for tag in ["two%20words", "%23", "a-b"] {
        let url = format!("{}?tagged={tag}", profile.path);
        let (status, _, body) = call(&app, Method::GET, &url, None, None).await;
        assert_eq!(status, 422, "{tag}: {body}");
        assert!(body["error"].as_str().unwrap().contains("tagged"), "{body}");
    }
    // A bad tag is refused even where nothing would be listed anyway.
    let url = format!("{}?only_media=true&tagged=two%20words", profile.path);
    let (status, _, _) = call(&app, Method::GET, &url, None, None).await;
    assert_eq!(status, 422);
    // JSON values too (as a body some libraries send).
    let (status, _, body) = call(
        &app,
        Method::GET,
        &profile.path,
        None,
        Some(json!({ "exclude_replies": "sometimes" })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("exclude_replies"),
        "{body}"
    );
}
