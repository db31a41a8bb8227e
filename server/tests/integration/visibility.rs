//! One visibility rule on every read path. A small world holds a followers-only thought, a
//! private one, a remote followers-only note and a blocked author's thought, each carrying
//! a marker word; every page, server function, client-API route, ActivityPub document and
//! feed is read as a visitor, a stranger and a follower, and no marker may appear where that
//! viewer may not see it. Routes are enumerated from the server itself, so a new route without
//! a case here fails the test.

use std::collections::BTreeSet;

use app::backend::api_keys::{self, Scopes};
use serde_json::{json, Value};

use crate::support::TestApp;

// Each thought's marker word, and its tag's (`tt…`). Searches use the words without `zz`,
// and tag pages name their tag, so a page that only echoes the request cannot match.
const PUBLIC: &str = "zzpubliccontrol";
const FOLLOWERS: &str = "zzfollowersonly";
const PRIVATE: &str = "zzprivatenote";
const REMOTE: &str = "zzremotefollowers";
const BLOCKED: &str = "zzblockedauthor";

/// The tag a marked thought carries.
fn tag(marker: &str) -> String {
    format!("tt{}", &marker[2..])
}

/// What a search types to find a marked thought (part of its word, so the query echoed on the
/// results page is not the marker).
fn term(marker: &str) -> &str {
    &marker[2..]
}

struct World {
    app: TestApp,
    ana: String,
    bo: String,
    cy: String,
    /// Thought ids by name.
    thoughts: Vec<(&'static str, String)>,
    /// Account ids by username.
    accounts: Vec<(String, String)>,
}

async fn post(
    app: &TestApp,
    session: &str,
    content: &str,
    visibility: &str,
    reply_to: Option<&str>,
) -> String {
    let mut form = vec![("content", content), ("visibility", visibility)];
    if let Some(parent) = reply_to {
        form.push(("reply_to", parent));
    }
    let response = app
        .post_form("/api/thoughts/post", &form, Some(session))
        .await;
    assert_eq!(response.status(), 200, "posting {content:?}");
    response.json::<String>().await.unwrap()
}

async fn set(app: &TestApp, session: &str, what: &str, username: &str, on: bool) {
    let response = app
        .post_form(
            &format!("/api/profiles/{what}"),
            &[
                ("username", username),
                ("on", if on { "true" } else { "false" }),
            ],
            Some(session),
        )
        .await;
    assert!(
        response.status().is_success(),
        "{what} {username}: {}",
        response.status()
    );
}

/// `session` bookmarks `thoughts`, follows a tag and makes a list holding `author`.
async fn keep(app: &TestApp, session: &str, thoughts: &[&str], author: &str) {
    for id in thoughts {
        let response = app
            .post_form(
                "/api/thoughts/bookmark",
                &[("id", id), ("on", "true")],
                Some(session),
            )
            .await;
        assert_eq!(response.status(), 200, "bookmarking {id}");
    }
    // Only the public marker's tag: the names of the tags one follows are one's own list
    // (lists.rs checks that followed tags bring no hidden thought home).
    let response = app
        .post_form(
            "/api/tags/follow",
            &[("tag", &tag(PUBLIC)), ("on", "true")],
            Some(session),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .post_form("/api/lists/create", &[("title", author)], Some(session))
        .await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    let response = app
        .post_form(
            "/api/lists/member",
            &[
                ("id", list["id"].as_str().unwrap()),
                ("username", author),
                ("on", "true"),
            ],
            Some(session),
        )
        .await;
    assert_eq!(response.status(), 200, "adding {author} to a list");
}

async fn id_of(app: &TestApp, username: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    id.to_string()
}

/// ana posts for followers and in private; bo follows her; cy follows her only long enough
/// to be told of a reply; eve is blocked by bo and blocks cy; rem is a remote account ana
/// follows, whose followers-only note ana answers in public.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let bo = app.sign_up("bo").await;
    let cy = app.sign_up("cy").await;
    let eve = app.sign_up("eve").await;
    set(&app, &bo, "follow", "ana", true).await;
    set(&app, &cy, "follow", "ana", true).await;

    let bo_root = post(&app, &bo, "bo says hello", "public", None).await;
    let cy_root = post(&app, &cy, "cy says hello", "public", None).await;
    let public = post(
        &app,
        &ana,
        &format!("{PUBLIC} #{}", tag(PUBLIC)),
        "public",
        None,
    )
    .await;
    let followers = post(
        &app,
        &ana,
        &format!("{FOLLOWERS} #{}", tag(FOLLOWERS)),
        "followers",
        Some(&cy_root),
    )
    .await;
    let private = post(
        &app,
        &ana,
        &format!("{PRIVATE} #{}", tag(PRIVATE)),
        "private",
        Some(&bo_root),
    )
    .await;
    // While following ana, bo and cy bookmark her thoughts, put her on a list and follow
    // her tags; what cy may no longer see after unfollowing must leave all of them.
    for session in [&bo, &cy] {
        keep(&app, session, &[&public, &followers], "ana").await;
    }
    // cy was told of ana's reply while following her; after unfollowing, the reply is hidden
    // from cy, and so must be the notification.
    set(&app, &cy, "follow", "ana", false).await;
    let answers_followers = post(
        &app,
        &bo,
        "bo answers in public",
        "public",
        Some(&followers),
    )
    .await;
    let answers_private = post(
        &app,
        &ana,
        "ana answers herself in public",
        "public",
        Some(&private),
    )
    .await;

    let rem: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, is_remote, ap_id, inbox_url)
         VALUES ('rem@remote.example', true, 'https://remote.example/users/rem', 'https://remote.example/inbox') RETURNING id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let remote: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO thoughts (user_id, content, content_html, visibility, ap_id)
         VALUES ($1, $2, $3, 'followers', 'https://remote.example/notes/1') RETURNING id",
    )
    .bind(rem)
    .bind(format!("{REMOTE} text"))
    .bind(format!("<p>{REMOTE} html</p>"))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO follows (follower_id, following_id, state) SELECT id, $1, 'accepted' FROM users WHERE username = 'ana'")
        .bind(rem)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let remote = remote.to_string();
    let answers_remote = post(
        &app,
        &ana,
        "ana answers rem in public",
        "public",
        Some(&remote),
    )
    .await;

    let blocked = post(
        &app,
        &eve,
        &format!("{BLOCKED} #{}", tag(BLOCKED)),
        "public",
        None,
    )
    .await;
    for session in [&bo, &cy] {
        set(&app, session, "follow", "eve", true).await;
        keep(&app, session, &[&blocked], "eve").await;
    }
    set(&app, &bo, "block", "eve", true).await;
    set(&app, &eve, "block", "cy", true).await;

    let mut accounts = Vec::new();
    for name in ["ana", "bo", "cy", "eve", "rem@remote.example"] {
        accounts.push((name.to_owned(), id_of(&app, name).await));
    }
    World {
        app,
        ana,
        bo,
        cy,
        thoughts: vec![
            ("bo_root", bo_root),
            ("cy_root", cy_root),
            ("public", public),
            ("followers", followers),
            ("private", private),
            ("answers_followers", answers_followers),
            ("answers_private", answers_private),
            ("remote", remote),
            ("answers_remote", answers_remote),
            ("blocked", blocked),
        ],
        accounts,
    }
}

impl World {
    fn thought(&self, name: &str) -> &str {
        &self.thoughts.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// Where each thought lives on the web (`/@author/id`).
    fn thought_pages(&self) -> Vec<String> {
        let author = |name: &str| match name {
            "bo_root" | "answers_followers" => "bo",
            "cy_root" => "cy",
            "remote" => "rem@remote.example",
            "blocked" => "eve",
            _ => "ana",
        };
        self.thoughts
            .iter()
            .map(|(name, id)| format!("/@{}/{id}", author(name)))
            .collect()
    }
}

/// A viewer, and the markers (of thoughts and their tags) they must never meet.
struct Viewer<'a> {
    name: &'static str,
    session: Option<&'a str>,
    key: Option<String>,
    hidden: &'static [&'static str],
}

impl Viewer<'_> {
    fn hidden_words(&self) -> Vec<String> {
        self.hidden
            .iter()
            .flat_map(|marker| [marker.to_string(), tag(marker)])
            .collect()
    }
}

/// Everything one viewer reads, concatenated per request, with the request named.
struct Reads {
    bodies: Vec<(String, String)>,
}

impl Reads {
    fn assert_hidden(&self, viewer: &Viewer) {
        for (request, body) in &self.bodies {
            // A tag's own page (or feed) names the tag it was asked for.
            for marker in viewer
                .hidden_words()
                .iter()
                .filter(|word| !request.contains(word.as_str()))
            {
                assert!(
                    !body.contains(marker),
                    "{} saw {marker} through {request}:\n{}",
                    viewer.name,
                    &body[..body.len().min(2000)]
                );
            }
        }
    }

    fn shows(&self, request: &str, marker: &str) -> bool {
        self.bodies
            .iter()
            .any(|(r, body)| r == request && body.contains(marker))
    }
}

async fn read(request: reqwest::RequestBuilder, name: String, reads: &mut Reads) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    // A failure would hide everything: every read must be answered properly.
    assert!(status.as_u16() < 500, "{name} answered {status}: {body}");
    reads.bodies.push((name, body));
}

/// Reads every route as `viewer`.
async fn read_everything(world: &World, viewer: &Viewer<'_>) -> Reads {
    let app = &world.app;
    let mut reads = Reads { bodies: Vec::new() };
    let with_session = |request: reqwest::RequestBuilder| match viewer.session {
        Some(session) => request.header("cookie", format!("ts_session={session}")),
        None => request,
    };
    let markers = [PUBLIC, FOLLOWERS, PRIVATE, REMOTE, BLOCKED];
    let tags: Vec<String> = markers.iter().map(|m| tag(m)).collect();
    let mut searches: Vec<String> = vec![
        "zz".into(),
        "tt".into(),
        "%23tt".into(),
        "%23ttf".into(),
        "%23ttp".into(),
        "%23ttb".into(),
    ];
    searches.extend(markers.iter().map(|m| term(m).to_owned()));

    // Pages (the app's route list names each path shape; each shape has cases here).
    let list_ids: Vec<String> = sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM lists")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(uuid::Uuid::to_string)
        .collect();
    let mut pages = vec![
        "/".to_owned(),
        "/public".to_owned(),
        "/notifications".to_owned(),
        "/settings".to_owned(),
        "/settings/mutes".to_owned(),
        "/settings/filters".to_owned(),
        "/follow_requests".to_owned(),
        "/login".to_owned(),
        "/signup".to_owned(),
        "/bookmarks".to_owned(),
        "/lists".to_owned(),
    ];
    pages.extend(list_ids.iter().map(|id| format!("/lists/{id}")));
    for page in world.thought_pages() {
        pages.extend([format!("{page}/edit"), format!("{page}/history"), page]);
    }
    for (name, _) in &world.accounts {
        pages.extend([
            format!("/@{name}"),
            format!("/@{name}/followers"),
            format!("/@{name}/following"),
        ]);
    }
    for tag in &tags {
        pages.push(format!("/tags/{tag}"));
    }
    for query in &searches {
        pages.push(format!("/search?q={query}"));
    }
    let shapes: BTreeSet<String> = server::http::page_paths().into_iter().collect();
    let covered: BTreeSet<String> = [
        "/",
        "/login",
        "/signup",
        "/settings",
        "/settings/mutes",
        "/settings/filters",
        "/follow_requests",
        "/public",
        "/notifications",
        "/search",
        "/bookmarks",
        "/lists",
        "/lists/{id}",
        "/tags/{tag}",
        "/{handle}/followers",
        "/{handle}/following",
        "/{handle}/{id}",
        "/{handle}/{id}/edit",
        "/{handle}/{id}/history",
        "/{handle}",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(
        shapes, covered,
        "a page was added or removed: give it cases here"
    );
    for path in pages {
        read(
            with_session(app.http.get(format!("{}{path}", app.url))),
            format!("page {path}"),
            &mut reads,
        )
        .await;
    }

    // Server functions: every registered one has a case (those that show no thought say so).
    // (function path, the argument sets to call it with)
    type Calls = Vec<Vec<(String, String)>>;
    let mut functions: Vec<(&str, Calls)> = Vec::new();
    let one = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let mut threads = Vec::new();
    for page in world.thought_pages() {
        let (author, id) = page.trim_start_matches("/@").split_once('/').unwrap();
        threads.push(one(&[("username", author), ("id", id)]));
    }
    functions.push(("/api/thoughts/history", threads.clone()));
    functions.push(("/api/thoughts/thread", threads));
    functions.push(("/api/timeline/public", vec![vec![]]));
    functions.push(("/api/timeline/home", vec![vec![]]));
    functions.push((
        "/api/timeline/profile",
        world
            .accounts
            .iter()
            .map(|(name, _)| one(&[("username", name)]))
            .collect(),
    ));
    functions.push((
        "/api/timeline/tag",
        tags.iter().map(|tag| one(&[("tag", tag)])).collect(),
    ));
    functions.push((
        "/api/search",
        searches
            .iter()
            .map(|q| one(&[("q", &q.replace("%23", "#"))]))
            .collect(),
    ));
    functions.push(("/api/notifications/list", vec![vec![]]));
    functions.push(("/api/timeline/bookmarks", vec![vec![]]));
    functions.push(("/api/lists/mine", vec![vec![]]));
    for path in ["/api/timeline/list", "/api/lists/get"] {
        functions.push((path, list_ids.iter().map(|id| one(&[("id", id)])).collect()));
    }
    functions.push((
        "/api/tags/following",
        tags.iter().map(|tag| one(&[("tag", tag)])).collect(),
    ));
    functions.push((
        "/api/profiles/get",
        world
            .accounts
            .iter()
            .map(|(name, _)| one(&[("username", name)]))
            .collect(),
    ));
    functions.push((
        "/api/profiles/follows",
        world
            .accounts
            .iter()
            .flat_map(|(name, _)| {
                [
                    one(&[("username", name), ("direction", "followers")]),
                    one(&[("username", name), ("direction", "following")]),
                ]
            })
            .collect(),
    ));
    functions.push(("/api/profiles/settings", vec![vec![]]));
    functions.push(("/api/accounts/viewer", vec![vec![]]));
    // Reacting to a thought one may not see must not tell it exists (404 like a missing one).
    functions.push((
        "/api/thoughts/react",
        world
            .thoughts
            .iter()
            .map(|(_, id)| one(&[("id", id), ("reaction", "like"), ("on", "false")]))
            .collect(),
    ));
    // These change the viewer's own things and return none of anyone's thoughts.
    let show_no_thought = [
        "/api/thoughts/post",
        "/api/thoughts/delete",
        "/api/thoughts/edit",
        "/api/notifications/read",
        "/api/profiles/update",
        "/api/profiles/css",
        "/api/profiles/css_preview",
        "/api/profiles/top_friends",
        "/api/profiles/follow",
        "/api/profiles/block",
        "/api/accounts/sign_up",
        "/api/accounts/log_in",
        "/api/accounts/log_out",
        "/api/accounts/log_out_everywhere",
        "/api/api_keys/list",
        "/api/api_keys/create",
        "/api/api_keys/revoke",
        "/api/timeline/newer",
        "/api/profiles/mute",
        "/api/safety/mutes",
        "/api/safety/filters",
        "/api/safety/filters/create",
        "/api/safety/filters/delete",
        "/api/safety/follow_requests",
        "/api/safety/follow_requests/answer",
        "/api/safety/locked",
        "/api/thoughts/bookmark",
        "/api/lists/create",
        "/api/lists/update",
        "/api/lists/delete",
        "/api/lists/member",
        "/api/tags/follow",
    ];
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let handled: BTreeSet<String> = functions
        .iter()
        .map(|(path, _)| path.to_string())
        .chain(show_no_thought.iter().map(|p| p.to_string()))
        .collect();
    assert_eq!(
        registered, handled,
        "a server function was added or removed: give it a case here"
    );
    for (path, cases) in &functions {
        let get = server_fn::axum::server_fn_paths()
            .any(|(p, method)| p == *path && method == http::Method::GET);
        for case in cases {
            let request = if get {
                app.http.get(format!("{}{path}", app.url)).query(case)
            } else {
                app.http
                    .post(format!("{}{path}", app.url))
                    .header("origin", &app.url)
                    .form(case)
            };
            read(
                with_session(request),
                format!("server function {path} {case:?}"),
                &mut reads,
            )
            .await;
        }
    }

    // The client API: every GET route of its table, with every id that fits.
    let mut notification_ids: Vec<String> = Vec::new();
    for row in sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM notifications")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
    {
        notification_ids.push(row.to_string());
    }
    for route in server::http::mastodon::table() {
        // Streams stay open: what they carry, to whom, is tested in `streaming.rs`.
        if route.method != http::Method::GET
            || route.path.contains("{*rest}")
            || route.path.starts_with("/oauth/")
            || server::http::mastodon::is_streaming_path(route.path)
        {
            continue;
        }
        let fills: Vec<String> = if route.path.contains("/statuses/{id}") {
            world
                .thoughts
                .iter()
                .map(|(_, id)| route.path.replace("{id}", id))
                .collect()
        } else if route.path.contains("/accounts/{id}") {
            world
                .accounts
                .iter()
                .map(|(_, id)| route.path.replace("{id}", id))
                .collect()
        } else if route.path.contains("/notifications/{id}") {
            notification_ids
                .iter()
                .map(|id| route.path.replace("{id}", id))
                .collect()
        } else if route.path.starts_with("/api/v2/filters/")
            || route.path.starts_with("/api/v1/scheduled_statuses/")
        {
            // The viewer's own filters (none here): an id that is no one's.
            vec![route
                .path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())]
        } else if route.path.contains("/lists/{id}") || route.path.contains("/list/{id}") {
            list_ids
                .iter()
                .map(|id| route.path.replace("{id}", id))
                .collect()
        } else if route.path.contains("{hashtag}") {
            tags.iter()
                .map(|tag| route.path.replace("{hashtag}", tag))
                .collect()
        } else {
            assert!(
                !route.path.contains('{'),
                "no ids for {}: give the route a case here",
                route.path
            );
            vec![route.path.to_owned()]
        };
        for path in fills {
            let queries: Vec<Vec<(&str, String)>> = match route.path {
                "/api/v2/search" => searches
                    .iter()
                    .map(|q| vec![("q", q.replace("%23", "#"))])
                    .collect(),
                "/api/v1/accounts/lookup" => world
                    .accounts
                    .iter()
                    .map(|(name, _)| vec![("acct", name.clone())])
                    .collect(),
                // Profile statuses with each filter, too.
                "/api/v1/accounts/{id}/statuses" => [
                    vec![],
                    vec![("exclude_replies", "true".to_owned())],
                    vec![("exclude_reblogs", "true".to_owned())],
                ]
                .into_iter()
                .chain(tags.iter().map(|tag| vec![("tagged", tag.clone())]))
                .collect(),
                "/api/v1/accounts/relationships" => vec![world
                    .accounts
                    .iter()
                    .map(|(_, id)| ("id[]", id.clone()))
                    .collect()],
                _ => vec![vec![]],
            };
            for query in queries {
                let mut request = app.http.get(format!("{}{path}", app.url)).query(&query);
                if let Some(key) = &viewer.key {
                    request = request.bearer_auth(key);
                }
                read(request, format!("API {path} {query:?}"), &mut reads).await;
            }
        }
    }

    // ActivityPub documents and feeds are anonymous: read once, as the visitor.
    if viewer.session.is_some() {
        return reads;
    }
    let activity = "application/activity+json";
    let mut documents: Vec<String> = Vec::new();
    for name in ["ana", "bo", "cy", "eve"] {
        for suffix in [
            "",
            "/outbox",
            "/outbox?page=1",
            "/followers",
            "/followers?page=1",
            "/following",
            "/following?page=1",
            "/featured",
            "/collections",
            "/top_friends",
        ] {
            documents.push(format!("/users/{name}{suffix}"));
        }
        documents.push(format!("/@{name}/feed.atom"));
    }
    for (_, id) in &world.thoughts {
        documents.push(format!("/users/ana/thoughts/{id}"));
        documents.push(format!("/users/eve/thoughts/{id}"));
    }
    for tag in &tags {
        documents.push(format!("/tags/{tag}/feed.atom"));
    }
    let host = app.url.trim_start_matches("http://").to_owned();
    documents.extend([
        "/sitemap.xml".to_owned(),
        format!("/.well-known/webfinger?resource=acct:ana@{host}"),
    ]);
    for path in documents {
        read(
            app.http
                .get(format!("{}{path}", app.url))
                .header("accept", activity),
            format!("document {path}"),
            &mut reads,
        )
        .await;
    }
    reads
}

#[tokio::test]
async fn every_route_shows_a_thought_only_to_whom_it_may() {
    let world = world().await;
    let key = |session: &str| {
        let app = &world.app;
        let session = session.to_owned();
        async move {
            let response = app
                .post_form(
                    "/api/api_keys/create",
                    &[("name", "reader")],
                    Some(&session),
                )
                .await;
            let made: Value = response.json().await.unwrap();
            made["secret"].as_str().unwrap().to_owned()
        }
    };
    let visitor = Viewer {
        name: "a visitor",
        session: None,
        key: None,
        hidden: &[FOLLOWERS, PRIVATE, REMOTE],
    };
    let stranger = Viewer {
        name: "cy (a stranger eve blocks)",
        session: Some(&world.cy),
        key: Some(key(&world.cy).await),
        hidden: &[FOLLOWERS, PRIVATE, REMOTE, BLOCKED],
    };
    let follower = Viewer {
        name: "bo (ana's follower, who blocks eve)",
        session: Some(&world.bo),
        key: Some(key(&world.bo).await),
        hidden: &[PRIVATE, REMOTE, BLOCKED],
    };

    let reads = read_everything(&world, &visitor).await;
    reads.assert_hidden(&visitor);
    assert!(
        reads.shows("page /public", PUBLIC),
        "the public thought is shown (the reads are real)"
    );
    assert!(
        reads.shows("page /public", BLOCKED),
        "a visitor is blocked by no one"
    );

    let reads = read_everything(&world, &stranger).await;
    reads.assert_hidden(&stranger);
    assert!(reads.shows("page /public", PUBLIC));

    let reads = read_everything(&world, &follower).await;
    reads.assert_hidden(&follower);
    let followers_page = format!("page /@ana/{}", world.thought("followers"));
    assert!(
        reads.shows(&followers_page, FOLLOWERS),
        "the follower sees the followers-only thought"
    );
    assert!(reads.shows(
        &format!("API /api/v1/statuses/{} []", world.thought("followers")),
        FOLLOWERS
    ));
    assert!(
        reads.shows("page /", FOLLOWERS),
        "and in their home timeline"
    );
    let ana = &world
        .accounts
        .iter()
        .find(|(name, _)| name == "ana")
        .unwrap()
        .1;
    assert!(
        reads.shows(
            &format!(
                "API /api/v1/accounts/{ana}/statuses {:?}",
                vec![("tagged", tag(FOLLOWERS))]
            ),
            FOLLOWERS
        ),
        "and on her profile's statuses with its tag"
    );
    assert!(
        reads.shows("API /api/v1/bookmarks []", FOLLOWERS)
            && reads.shows("page /bookmarks", FOLLOWERS),
        "and in their bookmarks"
    );
    // The followers-only thought answers cy, whom bo does not follow: no replies policy puts
    // it on bo's list of ana (lists.rs shows followers-only thoughts on lists); her public
    // thought is there, through the list's API timeline and its page.
    let on_list = |prefix: &str| {
        reads
            .bodies
            .iter()
            .any(|(request, body)| request.starts_with(prefix) && body.contains(PUBLIC))
    };
    assert!(
        on_list("API /api/v1/timelines/list/") && on_list("page /lists/"),
        "and in their list of ana"
    );

    // ana sees her own private thought everywhere it belongs.
    let reads = read_everything(
        &world,
        &Viewer {
            name: "ana",
            session: Some(&world.ana),
            key: None,
            hidden: &[],
        },
    )
    .await;
    assert!(reads.shows(&format!("page /@ana/{}", world.thought("private")), PRIVATE));
    assert!(
        reads.shows(&format!("page /search?q={}", term(PRIVATE)), PRIVATE),
        "her own private thought is found by its author"
    );
}

#[tokio::test]
async fn thread_ancestors_the_viewer_may_not_see_are_bare_placeholders() {
    let world = world().await;
    let app = &world.app;
    for (answer, hidden, author) in [
        ("answers_remote", "remote", "ana"),
        ("answers_private", "private", "ana"),
        ("answers_followers", "followers", "bo"),
    ] {
        let thread: Value = app
            .get(&format!(
                "/api/thoughts/thread?username={author}&id={}",
                world.thought(answer)
            ))
            .await
            .json()
            .await
            .unwrap();
        let ancestors = thread["ancestors"].as_array().unwrap();
        assert_eq!(
            ancestors.last().unwrap(),
            "Unavailable",
            "{answer}: nothing of the hidden parent, not even its author or time"
        );
        let text = thread.to_string();
        assert!(
            !text.contains(REMOTE) && !text.contains(PRIVATE) && !text.contains(FOLLOWERS),
            "{text}"
        );
        assert_eq!(
            thread["thought"]["reply_to"],
            world.thought(hidden),
            "the reply still says what it answers"
        );
    }
    // The follower sees the followers-only parent in full; the API leaves out what is hidden.
    let thread: Value = app
        .get_as(
            &world.bo,
            &format!(
                "/api/thoughts/thread?username=bo&id={}",
                world.thought("answers_followers")
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let parent = &thread["ancestors"].as_array().unwrap().last().unwrap()["Shown"];
    assert!(
        parent["content"].as_str().unwrap().contains(FOLLOWERS),
        "{thread}"
    );
    let context: Value = app
        .get(&format!(
            "/api/v1/statuses/{}/context",
            world.thought("answers_private")
        ))
        .await
        .json()
        .await
        .unwrap();
    let ancestors = context["ancestors"].as_array().unwrap();
    assert_eq!(
        ancestors.len(),
        1,
        "bo's public root is shown, ana's private reply left out: {context}"
    );
    assert!(!context.to_string().contains(PRIVATE));
}

#[tokio::test]
async fn notifications_leave_out_replies_the_recipient_may_not_see() {
    let world = world().await;
    let app = &world.app;
    // bo was never told of ana's private reply (it does not address him) …
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'bo' AND n.thought_id = $1",
    )
    .bind(uuid::Uuid::parse_str(world.thought("private")).unwrap())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(told, 0);
    // … and cy, told of a followers-only reply while following, no longer sees it anywhere.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'cy' AND n.type = 'reply'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored, 1,
        "the notification was made while cy could see the reply"
    );
    let page = app
        .get_as(&world.cy, "/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains(FOLLOWERS) && !page.contains("replied"),
        "{page}"
    );
    let groups: Value = app
        .get_as(&world.cy, "/api/notifications/list")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["kind"] != "reply"),
        "{groups}"
    );
    let viewer: Value = app
        .get_as(&world.cy, "/api/accounts/viewer")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewer["unread"], 0,
        "the hidden reply is not counted as unread: {viewer}"
    );
}

#[tokio::test]
async fn a_reply_reaches_the_remote_author_it_answers_and_a_private_one_no_one_else() {
    let world = world().await;
    let app = &world.app;
    let remote = world.thought("remote");
    post(
        app,
        &world.ana,
        "a private word for rem",
        "private",
        Some(remote),
    )
    .await;
    post(
        app,
        &world.ana,
        "for my followers",
        "followers",
        Some(remote),
    )
    .await;
    post(app, &world.ana, "for everyone", "public", Some(remote)).await;
    let sent: Vec<(String, String)> =
        sqlx::query_as("SELECT inbox_url, payload FROM deliveries ORDER BY created_at")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    // A reply mentions the author it answers, as Mastodon's do (issue #15), so each reaches
    // them; a private one is addressed to them alone and goes nowhere else.
    for text in ["a private word for rem", "for my followers", "for everyone"] {
        let to: Vec<&str> = sent
            .iter()
            .filter(|(_, payload)| payload.contains(text))
            .map(|(inbox, _)| inbox.as_str())
            .collect();
        assert!(
            to.contains(&"https://remote.example/inbox"),
            "{text}: {sent:?}"
        );
        if text.starts_with("a private") {
            assert_eq!(to, ["https://remote.example/inbox"], "{sent:?}");
            let activity: Value =
                serde_json::from_str(&sent.iter().find(|(_, p)| p.contains(text)).unwrap().1)
                    .unwrap();
            assert_eq!(
                (&activity["object"]["to"], &activity["object"]["cc"]),
                (&json!(["https://remote.example/users/rem"]), &json!([])),
            );
        }
    }
}

#[tokio::test]
async fn tags_of_hidden_thoughts_stay_out_of_search() {
    let world = world().await;
    let app = &world.app;
    let tags = |results: &Value| {
        let mut found: Vec<String> = results["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        found.sort();
        found
    };
    let found: Value = app.get("/api/search?q=tt").await.json().await.unwrap();
    assert_eq!(
        tags(&found),
        [tag(BLOCKED), tag(PUBLIC)],
        "a visitor finds only tags of public thoughts"
    );
    let found: Value = app
        .get_as(&world.bo, "/api/search?q=tt")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        tags(&found),
        [tag(FOLLOWERS), tag(PUBLIC)],
        "the follower finds the followers-only tag, not the blocked author's"
    );
    let found: Value = app
        .get_as(&world.ana, "/api/search?q=tt")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        tags(&found).contains(&tag(PRIVATE)),
        "the author finds her own private tag"
    );
}

#[tokio::test]
async fn a_blocked_person_cannot_be_chosen_as_a_top_friend() {
    let world = world().await;
    let app = &world.app;
    // eve follows no one, so every local person is a choice for her, except cy, whom she blocks.
    let eve = app.log_in("eve", "correct horse").await.unwrap();
    let settings: Value = app
        .get_as(&eve, "/api/profiles/settings")
        .await
        .json()
        .await
        .unwrap();
    let choices: Vec<&str> = settings["friend_choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        choices,
        ["ana"],
        "bo blocks eve and eve blocks cy: neither may be chosen"
    );
    let response = app
        .post_form(
            "/api/profiles/top_friends",
            &[("friend_1", "cy")],
            Some(&eve),
        )
        .await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert!(error.to_string().contains("top_friends"), "{error}");
}

#[tokio::test]
async fn a_token_without_read_scope_reads_only_what_a_visitor_may() {
    let world = world().await;
    let app = &world.app;
    let bo: uuid::Uuid = id_of(app, "bo").await.parse().unwrap();
    let (_, write_only) = api_keys::create(
        &app.db.pool,
        Some(bo),
        "writer",
        &Scopes::parse("write").unwrap(),
        None,
    )
    .await
    .unwrap();
    let followers = world.thought("followers");
    let ana = &world.accounts[0].1;
    for path in [
        format!("/api/v1/statuses/{followers}"),
        format!("/api/v1/statuses/{followers}/context"),
        format!("/api/v1/statuses/{followers}/favourited_by"),
        format!("/api/v1/statuses/{followers}/reblogged_by"),
        format!("/api/v1/accounts/{ana}/statuses"),
        "/api/v1/timelines/public".to_owned(),
        format!("/api/v1/timelines/tag/{}", tag(FOLLOWERS)),
        format!("/api/v2/search?q={}", term(FOLLOWERS)),
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .bearer_auth(&write_only)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains(FOLLOWERS), "{path}: {body}");
    }
}

#[tokio::test]
async fn every_api_route_declares_a_scope_and_a_token_without_it_is_refused() {
    use server::http::mastodon::{table, Access};
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let ana: uuid::Uuid = id_of(&app, "ana").await.parse().unwrap();
    let mut checked = 0;
    for route in table() {
        let scope = match route.access {
            Access::Open(scope) | Access::User(scope) => scope,
            // Instance information, OAuth itself, an app checking its token, Mastodon's 404s,
            // the public streams (a token, no scope, as Mastodon) and the stream's health.
            Access::Anyone | Access::Token => {
                assert!(
                    route.path.starts_with("/oauth/")
                        || route.path.starts_with("/api/v1/apps")
                        || route.path.contains("/instance")
                        || route.path.contains("{*rest}")
                        || route.path.starts_with("/api/v1/streaming"),
                    "{} {} needs no scope: is that right?",
                    route.method,
                    route.path
                );
                continue;
            }
        };
        // A token with every scope but the route's family (read or write) is refused.
        // (Not the legacy `follow`, which grants the follow and block scopes of both.)
        let other = if scope.starts_with("read") {
            "write"
        } else {
            "read"
        };
        let (_, key) = api_keys::create(
            &app.db.pool,
            Some(ana),
            "narrow",
            &Scopes::parse(other).unwrap(),
            None,
        )
        .await
        .unwrap();
        let path = route
            .path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{hashtag}", "tag");
        let response = app
            .http
            .request(route.method.clone(), format!("{}{path}", app.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            403,
            "{} {} with scopes {other:?}",
            route.method,
            route.path
        );
        if matches!(route.access, Access::User(_)) {
            let response = app
                .http
                .request(route.method.clone(), format!("{}{path}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                401,
                "{} {} without a token",
                route.method,
                route.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} routes declare a scope");
}
