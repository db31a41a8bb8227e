//! For crawlers and feed readers: robots.txt, sitemap.xml, and an Atom feed per profile and
//! per tag. Only what a visitor may see appears (public thoughts of local people).

use app::{
    backend::{
        directory,
        federation::{urls::Urls, vocab},
        timeline::{self, Feed},
        Backend,
    },
    model::ThoughtView,
};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

/// `text` escaped for XML, without the characters XML 1.0 forbids even as references
/// (C0 controls but tab and line breaks, U+FFFE, U+FFFF): one in a thought would make the
/// whole feed unreadable. Stored rows may predate the rule that refuses them at input.
fn xml_escape(text: &str) -> String {
    let allowed: String = text.chars().filter(|&c| !matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')).collect();
    vocab::escape(&allowed)
}

pub async fn robots(State(backend): State<Backend>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /oauth/\nDisallow: /settings\nDisallow: /notifications\n\
         Disallow: /search\n\nSitemap: {}/sitemap.xml\n",
        backend.public_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

pub async fn sitemap(State(backend): State<Backend>) -> Response {
    let (profiles, tags) = match (
        directory::profiles(&backend.pool).await,
        directory::tags(&backend.pool).await,
    ) {
        (Ok(profiles), Ok(tags)) => (profiles, tags),
        _ => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let urls = Urls::new(&backend.public_url);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut add = |location: String, modified: chrono::DateTime<chrono::Utc>| {
        xml.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            xml_escape(&location),
            modified.format("%Y-%m-%d")
        ));
    };
    add(format!("{}/public", backend.public_url), chrono::Utc::now());
    for (username, updated) in profiles {
        add(urls.profile_page(&username), updated);
    }
    for (tag, used) in tags {
        add(urls.tag_page(&tag), used);
    }
    xml.push_str("</urlset>\n");
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// `/@name/feed.atom`.
pub async fn profile_feed(State(backend): State<Backend>, Path(handle): Path<String>) -> Response {
    let Some(username) = handle.strip_prefix('@').filter(|name| !name.contains('@')) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(profile) =
        app::backend::profiles::by_username(&backend.pool, &backend.public_url, None, username)
            .await
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let page = match timeline::page(
        &backend.pool,
        None,
        Feed::Author(&profile.username),
        None,
        timeline::PAGE_SIZE,
    )
    .await
    {
        Ok(page) => page,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let urls = Urls::new(&backend.public_url);
    let title = format!("{} (@{}) on Thoughtspace", profile.name(), profile.username);
    atom(
        &backend,
        &format!("{}/feed.atom", urls.profile_page(&profile.username)),
        &urls.profile_page(&profile.username),
        &title,
        &page.thoughts,
    )
}

/// `/tags/{tag}/feed.atom`.
pub async fn tag_feed(State(backend): State<Backend>, Path(tag): Path<String>) -> Response {
    let tag = tag.to_lowercase();
    let page = match timeline::page(
        &backend.pool,
        None,
        Feed::Tag(&tag),
        None,
        timeline::PAGE_SIZE,
    )
    .await
    {
        Ok(page) => page,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let urls = Urls::new(&backend.public_url);
    atom(
        &backend,
        &format!("{}/feed.atom", urls.tag_page(&tag)),
        &urls.tag_page(&tag),
        &format!("#{tag} on Thoughtspace"),
        &page.thoughts,
    )
}

/// An Atom feed of public thoughts (only `public` ones: a feed is read by anyone).
fn atom(
    backend: &Backend,
    id: &str,
    page: &str,
    title: &str,
    thoughts: &[ThoughtView],
) -> Response {
    let urls = Urls::new(&backend.public_url);
    let public: Vec<&ThoughtView> = thoughts
        .iter()
        .filter(|t| t.visibility == "public")
        .collect();
    let updated = public
        .first()
        .map_or_else(chrono::Utc::now, |t| t.created_at);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>{id}</id>\n  <title>{title}</title>\n  \
         <link rel=\"self\" href=\"{id}\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"{page}\"/>\n  <updated>{}</updated>\n",
        updated.to_rfc3339(),
        id = xml_escape(id),
        title = xml_escape(title),
        page = xml_escape(page),
    );
    for thought in public {
        let link = format!("{}{}", backend.public_url, thought.href());
        let html = thought
            .content_html
            .clone()
            .unwrap_or_else(|| vocab::thought_html(urls, &thought.content, &[]));
        // A content warning stands in for the text: the headline, and the summary of a
        // collapsed `<details>` around the text.
        let (headline, html): (String, String) = match (&thought.summary, thought.sensitive) {
            (Some(warning), _) => (
                format!("CW: {warning}"),
                format!(
                    "<details><summary>{}</summary>{html}</details>",
                    vocab::escape(warning)
                ),
            ),
            (None, true) => (
                "Sensitive content".to_owned(),
                format!("<details><summary>Sensitive content</summary>{html}</details>"),
            ),
            (None, false) => (thought.content.chars().take(80).collect(), html),
        };
        xml.push_str(&format!(
            "  <entry>\n    <id>{link}</id>\n    <title>{}</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n    \
             <published>{at}</published>\n    <updated>{at}</updated>\n    <author><name>{}</name></author>\n    \
             <content type=\"html\">{}</content>\n  </entry>\n",
            xml_escape(&headline),
            xml_escape(thought.author_display_name.as_deref().unwrap_or(&thought.author_username)),
            xml_escape(&html),
            link = xml_escape(&link),
            at = thought.created_at.to_rfc3339(),
        ));
    }
    xml.push_str("</feed>\n");
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn feeds_never_carry_characters_xml_forbids() {
        let escaped = super::xml_escape("a\u{0}b\u{1b}[1m\u{b}c\td\ne\r<&\u{fffe}\u{ffff}\u{7f}é");
        assert_eq!(escaped, "ab[1mc\td\ne\r&lt;&amp;\u{7f}é");
    }
}
