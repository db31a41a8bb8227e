//! The ActivityPub ids of local things. Actors live at `/users/{name}` (their HTML page is
//! `/@{name}`), notes at `/users/{name}/thoughts/{id}` (their page `/@{name}/{id}`).

use uuid::Uuid;

/// The public name for ActivityPub's public collection, in `to`/`cc`.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[derive(Debug, Clone, Copy)]
pub struct Urls<'a> {
    /// Scheme, host and port, without a trailing slash.
    pub base: &'a str,
}

impl<'a> Urls<'a> {
    pub fn new(base: &'a str) -> Self {
        Urls { base }
    }

    /// `host[:port]` as WebFinger's `acct:` names it.
    pub fn host(&self) -> &'a str {
        self.base
            .split_once("://")
            .map_or(self.base, |(_, host)| host)
    }

    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{username}", self.base)
    }
    pub fn key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }
    pub fn inbox(&self, username: &str) -> String {
        format!("{}/inbox", self.actor(username))
    }
    pub fn outbox(&self, username: &str) -> String {
        format!("{}/outbox", self.actor(username))
    }
    pub fn followers(&self, username: &str) -> String {
        format!("{}/followers", self.actor(username))
    }
    pub fn following(&self, username: &str) -> String {
        format!("{}/following", self.actor(username))
    }
    /// The pinned thoughts (Mastodon's `featured`).
    pub fn featured(&self, username: &str) -> String {
        format!("{}/featured", self.actor(username))
    }
    /// The person's featured collections (FEP-7aa9's `featuredCollections`): their Top Friends.
    pub fn featured_collections(&self, username: &str) -> String {
        format!("{}/collections", self.actor(username))
    }
    /// The Top Friends, as a FEP-7aa9 `FeaturedCollection`.
    pub fn top_friends(&self, username: &str) -> String {
        format!("{}/top_friends", self.actor(username))
    }
    pub fn profile_page(&self, username: &str) -> String {
        format!("{}/@{username}", self.base)
    }
    pub fn note(&self, username: &str, id: Uuid) -> String {
        format!("{}/thoughts/{id}", self.actor(username))
    }
    pub fn thought_page(&self, username: &str, id: Uuid) -> String {
        format!("{}/@{username}/{id}", self.base)
    }
    pub fn tag_page(&self, tag: &str) -> String {
        format!("{}/tags/{tag}", self.base)
    }
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }
    /// The instance actor, which signs fetches no person asked for.
    pub fn instance_actor(&self) -> String {
        format!("{}/actor", self.base)
    }
    pub fn instance_key_id(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }
    /// A new activity id.
    pub fn new_activity(&self) -> String {
        format!("{}/activities/{}", self.base, Uuid::new_v4())
    }

    /// The local username an actor id names, if it is one of ours (and could be a name).
    pub fn local_username(&self, actor_id: &str) -> Option<String> {
        let name = actor_id.strip_prefix(self.base)?.strip_prefix("/users/")?;
        crate::backend::fields::Username::problem(name, false)
            .is_none()
            .then(|| name.to_owned())
    }

    /// The thought id a note id (or its page) names, if it is one of ours.
    pub fn local_thought(&self, note_id: &str) -> Option<Uuid> {
        let rest = note_id.strip_prefix(self.base)?;
        let id = if let Some(rest) = rest.strip_prefix("/users/") {
            rest.split_once("/thoughts/")?.1
        } else {
            rest.strip_prefix("/@")?.split_once('/')?.1
        };
        Uuid::try_parse(id).ok()
    }

    /// Whether `url` is on this server.
    pub fn is_local(&self, url: &str) -> bool {
        url.strip_prefix(self.base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let urls = Urls::new("https://ts.example");
        assert_eq!(urls.host(), "ts.example");
        assert_eq!(
            urls.local_username(&urls.actor("ana")).as_deref(),
            Some("ana")
        );
        assert_eq!(
            urls.local_username("https://ts.example/users/ana/inbox"),
            None
        );
        assert_eq!(
            urls.local_username("https://ts.example.evil/users/ana"),
            None
        );
        for not_a_name in ["", "ana?x", "ana#x", "an\u{0}a", "an%20a"] {
            assert_eq!(
                urls.local_username(&format!("https://ts.example/users/{not_a_name}")),
                None,
                "{not_a_name:?}"
            );
        }
        let id = Uuid::new_v4();
        assert_eq!(urls.local_thought(&urls.note("ana", id)), Some(id));
        assert_eq!(urls.local_thought(&urls.thought_page("ana", id)), Some(id));
        assert_eq!(
            urls.local_thought("https://elsewhere.example/users/ana/thoughts/x"),
            None
        );
        assert!(!urls.is_local("https://ts.example.evil/users/ana"));
        assert_eq!(Urls::new("http://127.0.0.1:3000").host(), "127.0.0.1:3000");
    }
}
