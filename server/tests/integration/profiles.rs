//! Profile pages, profile settings, custom CSS and Top Friends, through the server functions
//! and pages, against real PostgreSQL.

use crate::support::TestApp;

fn field_message(body: &serde_json::Value, field: &str) -> Option<String> {
    body["Invalid"]
        .as_array()?
        .iter()
        .find(|e| e["field"] == field)
        .map(|e| e["message"].as_str().unwrap().to_owned())
}

async fn update_profile(
    app: &TestApp,
    session: &str,
    fields: [(&str, &str); 4],
) -> reqwest::Response {
    app.post_form("/api/profiles/update", &fields, Some(session))
        .await
}

#[tokio::test]
async fn the_profile_page_is_complete_for_crawlers() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let response = update_profile(
        &app,
        &ana,
        [
            ("display_name", "Ana <3 Lovelace"),
            ("bio", "Counting & weaving <b>patterns</b>"),
            ("avatar_url", "https://img.example/ana.png"),
            ("header_url", "https://img.example/header.jpg"),
        ],
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());

    let response = app.get("/@ana").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for expected in [
        "<title>Ana ‹3 Lovelace (@ana) · Thoughtspace</title>",
        "<meta name=\"description\" content=\"Counting &amp; weaving &lt;b&gt;patterns&lt;/b&gt;\"",
        &format!("<link href=\"{}/@ana\" rel=\"canonical\"", app.url),
        "<meta property=\"og:title\" content=\"Ana &lt;3 Lovelace (@ana)\"",
        "<meta property=\"og:image\" content=\"https://img.example/ana.png\"",
        "<meta name=\"twitter:card\" content=\"summary\"",
        "class=\"ts-profile\"",
        "Joined ",
        "src=\"https://img.example/header.jpg\"",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    assert!(!html.contains("<b>patterns"), "user text is escaped");
    assert!(html.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn unknown_profiles_are_404_pages() {
    let app = TestApp::spawn().await;
    for path in ["/@nobody", "/nobody", "/@"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.text().await.unwrap().contains("Nothing here"),
            "{path}"
        );
    }
    // Profiles are found regardless of case.
    app.sign_up("Ana").await;
    assert_eq!(app.get("/@ana").await.status(), 200);
}

#[tokio::test]
async fn profile_counts_reflect_thoughts_and_follows() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    app.sign_up("bo").await;
    app.sign_up("cy").await;
    sqlx::query(
        "INSERT INTO follows (follower_id, following_id, state)
         SELECT f.id, t.id, s FROM (VALUES ('bo', 'ana', 'accepted'), ('cy', 'ana', 'pending'), ('ana', 'cy', 'accepted')) v(a, b, s)
           JOIN users f ON f.username = v.a JOIN users t ON t.username = v.b",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO thoughts (user_id, content) SELECT id, 'hello' FROM users WHERE username = 'ana'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let profile: serde_json::Value = app
        .get("/api/profiles/get?username=ana")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["thought_count"], 1);
    assert_eq!(profile["follower_count"], 1, "pending follows do not count");
    assert_eq!(profile["following_count"], 1);
}

#[tokio::test]
async fn profile_fields_are_validated_and_saved_all_or_nothing() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let long_name = "n".repeat(51);
    let long_bio = "b".repeat(161);
    let response = update_profile(
        &app,
        &ana,
        [
            ("display_name", &long_name),
            ("bio", &long_bio),
            ("avatar_url", "javascript:alert(1)"),
            ("header_url", "ftp://x.example/h.png"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(field_message(&body, "display_name").unwrap().contains("50"));
    assert!(field_message(&body, "bio").unwrap().contains("160"));
    assert!(field_message(&body, "avatar_url").unwrap().contains("http"));
    assert!(field_message(&body, "header_url").is_some());

    // One bad field: nothing of the form is saved.
    let response = update_profile(
        &app,
        &ana,
        [
            ("display_name", "Ana"),
            ("bio", &long_bio),
            ("avatar_url", ""),
            ("header_url", ""),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(name, None);

    let response = update_profile(
        &app,
        &ana,
        [
            ("display_name", " Ana ✨ "),
            ("bio", ""),
            ("avatar_url", ""),
            ("header_url", ""),
        ],
    )
    .await;
    assert!(response.status().is_success());
    let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(name.as_deref(), Some("Ana ✨"));
}

#[tokio::test]
async fn custom_css_is_stored_sanitized_and_served_as_its_own_stylesheet() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let hostile = "@import url(https://evil.example/x.css);\n\
                   body { background: pink url(data:image/png;base64,iVBORw0KGgo=) repeat }\n\
                   .site-header, body ~ header { display: none }\n\
                   h1 { color: hotpink; position: fixed; z-index: 99999 }\n\
                   p::after { content: '</style><script>alert(1)</script>' }";
    let response = app
        .post_form("/api/profiles/css", &[("custom_css", hostile)], Some(&ana))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let outcome: serde_json::Value = response.json().await.unwrap();
    assert!(outcome["removed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains("@import")));

    let stored: String = sqlx::query_scalar("SELECT custom_css FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(
        stored.contains(".ts-profile {")
            && stored.contains("background: pink url(\"data:image/png;base64,iVBORw0KGgo=\")"),
        "{stored}"
    );
    assert!(
        stored.contains(".ts-profile .site-header"),
        "scoped, so it cannot hide the real header: {stored}"
    );
    for gone in ["@import", "evil", "~ header", "fixed", "99999", "<"] {
        assert!(!stored.contains(gone), "{gone} survived: {stored}");
    }

    let page = app.get("/@ana").await.text().await.unwrap();
    let link = page
        .split("<link id=\"profile-css\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("a stylesheet link");
    let href = link
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.starts_with("/@ana/style.css?v="), "{href}");
    assert!(
        !page.contains("alert(1)"),
        "the CSS is not inlined in the page"
    );

    let css = app.get(&href).await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["x-content-type-options"], "nosniff");
    assert_eq!(css.text().await.unwrap(), stored);

    assert_eq!(app.get("/@nobody/style.css").await.status(), 404);
    assert_eq!(app.get("/ana/style.css").await.status(), 404);
}

#[tokio::test]
async fn custom_css_errors_name_the_place_and_the_limit() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let response = app
        .post_form(
            "/api/profiles/css",
            &[("custom_css", "p { color: red }\nq { ] }")],
            Some(&ana),
        )
        .await;
    assert_eq!(response.status(), 422);
    let message = field_message(&response.json().await.unwrap(), "custom_css").unwrap();
    assert!(message.starts_with("line 2, column "), "{message}");

    let huge = "p { color: red }\n".repeat(4000);
    let response = app
        .post_form("/api/profiles/css", &[("custom_css", &huge)], Some(&ana))
        .await;
    assert_eq!(response.status(), 422);
    assert!(field_message(&response.json().await.unwrap(), "custom_css")
        .unwrap()
        .contains("64 KiB"));

    let stored: Option<String> = sqlx::query_scalar("SELECT custom_css FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, None, "nothing saved");

    let preview = app
        .post_form(
            "/api/profiles/css_preview",
            &[("custom_css", "body{color:red}")],
            Some(&ana),
        )
        .await;
    let outcome: serde_json::Value = preview.json().await.unwrap();
    assert!(outcome["css"].as_str().unwrap().contains(".ts-profile {"));
    let stored: Option<String> = sqlx::query_scalar("SELECT custom_css FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, None, "a preview saves nothing");
}

#[tokio::test]
async fn top_friends_keep_their_order_and_rules() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    for friend in ["bo", "cy", "di", "ed", "flo", "gus"] {
        app.sign_up(friend).await;
    }
    let set = |slots: [&'static str; 5]| {
        let form: Vec<(String, &str)> = slots
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("friend_{}", i + 1), *name))
            .collect();
        let app = &app;
        let ana = ana.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            app.post_form("/api/profiles/top_friends", &form, Some(&ana))
                .await
        }
    };
    let order = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT u.username FROM top_friends t JOIN users u ON u.id = t.friend_id ORDER BY t.position",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };

    assert!(set(["cy", "", "bo", "di", ""]).await.status().is_success());
    assert_eq!(
        order(&app).await,
        ["cy", "bo", "di"],
        "blanks are skipped, order kept"
    );
    let html = app.get("/@ana").await.text().await.unwrap();
    let positions: Vec<usize> = ["/@cy", "/@bo", "/@di"]
        .iter()
        .map(|href| html.find(&format!("href=\"{href}\"")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "the profile shows the chosen order"
    );

    assert!(set(["di", "cy", "bo", "", ""]).await.status().is_success());
    assert_eq!(order(&app).await, ["di", "cy", "bo"], "reordered");

    for (slots, why) in [
        (["bo", "BO", "", "", ""], "twice"),
        (["ana", "", "", "", ""], "not someone"),
        (["nobody", "", "", "", ""], "not someone"),
    ] {
        let response = set(slots).await;
        assert_eq!(response.status(), 422, "{slots:?}");
        assert!(
            field_message(&response.json().await.unwrap(), "top_friends")
                .unwrap()
                .contains(why),
            "{slots:?}"
        );
        assert_eq!(
            order(&app).await,
            ["di", "cy", "bo"],
            "a refused change leaves the old list"
        );
    }

    assert!(set(["", "", "", "", ""]).await.status().is_success());
    assert!(order(&app).await.is_empty(), "removed");
}

#[tokio::test]
async fn more_than_five_top_friends_are_refused_by_the_rules() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    let names: Vec<String> = (1..=6).map(|i| format!("friend{i}")).collect();
    for name in &names {
        app.sign_up(name).await;
    }
    let ana: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let error = app::backend::profiles::set_top_friends(&app.db.pool, ana, &names)
        .await
        .unwrap_err();
    assert!(error
        .field_message("top_friends")
        .unwrap()
        .contains("at most 5"));
}

#[tokio::test]
async fn friend_choices_are_the_people_you_follow_once_you_follow_anyone() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    app.sign_up("bo").await;
    app.sign_up("cy").await;
    let choices = |settings: serde_json::Value| -> Vec<String> {
        settings["friend_choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let settings: serde_json::Value = app
        .get_as(&ana, "/api/profiles/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        choices(settings),
        ["bo", "cy"],
        "everyone but yourself while you follow nobody"
    );

    sqlx::query("INSERT INTO follows (follower_id, following_id) SELECT a.id, c.id FROM users a, users c WHERE a.username = 'ana' AND c.username = 'cy'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let settings: serde_json::Value = app
        .get_as(&ana, "/api/profiles/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(choices(settings), ["cy"]);
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let app = TestApp::spawn().await;
    app.sign_up("ana").await;
    for path in ["/", "/@ana", "/login", "/nope"] {
        let response = app.get(path).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            !policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"),
            "{policy}"
        );
        assert!(
            policy.contains("object-src 'none'") && policy.contains("frame-ancestors 'none'"),
            "{policy}"
        );
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        let html = response.text().await.unwrap();
        for script in html.split("<script").skip(1) {
            assert!(
                script.starts_with(&format!(" nonce=\"{nonce}\""))
                    || script.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: a script without this response's nonce"
            );
        }
    }
    let api = app.get("/api/timeline/public").await;
    assert!(
        api.headers().get("content-security-policy").is_none(),
        "server functions answer data, not pages"
    );
}

#[tokio::test]
async fn user_text_cannot_close_the_title_or_any_element() {
    let app = TestApp::spawn().await;
    let ana = app.sign_up("ana").await;
    let name = "</title><script>alert(1)</script>";
    let bio = "\"><img src=x onerror=alert(1)></textarea></style>";
    let response = update_profile(
        &app,
        &ana,
        [
            ("display_name", name),
            ("bio", bio),
            ("avatar_url", ""),
            ("header_url", ""),
        ],
    )
    .await;
    assert!(response.status().is_success());
    for path in ["/@ana", "/settings"] {
        let html = app.get_as(&ana, path).await.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{path}: script injected");
        assert!(
            !html.contains("<img src=x"),
            "{path}: markup injected: {}",
            html.match_indices("<img src=x")
                .map(|(i, _)| &html[i.saturating_sub(200)..i + 60])
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        let title = html
            .split("<title>")
            .nth(1)
            .and_then(|rest| rest.split("</title>").next())
            .unwrap_or_default();
        assert!(
            !title.contains('<') && html.matches("</title>").count() == 1,
            "{path}: the title was closed early: {title}"
        );
    }
}
