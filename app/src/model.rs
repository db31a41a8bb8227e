//! Plain data exchanged between the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which timeline a list shows, so "Load more" fetches the next page of the same one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimelineSource {
    Public,
    Home,
    Profile { username: String },
    Tag { tag: String },
    Bookmarks,
    List { id: String },
}

/// A thought as a timeline or thread shows it. On the server only
/// `backend::visibility::thoughts` makes these, under the visibility rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThoughtView {
    pub id: Uuid,
    pub content: String,
    /// A remote note's HTML, cleaned to a small safe set when it arrived (local thoughts
    /// are plain text, linked on output).
    pub content_html: Option<String>,
    /// Its content warning: shown in place of the text, which opens on request.
    pub summary: Option<String>,
    /// Needs a click to read (always so with a content warning).
    pub sensitive: bool,
    pub created_at: DateTime<Utc>,
    /// When it was last edited, if it was.
    #[serde(default)]
    pub edited_at: Option<DateTime<Utc>>,
    pub author_id: Uuid,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_avatar_url: Option<String>,
    /// `public`, `unlisted`, `followers` or `private`.
    pub visibility: String,
    pub reply_to: Option<Uuid>,
    pub reply_count: i64,
    /// Written by the person looking (who may delete it).
    pub by_viewer: bool,
    pub like_count: i64,
    pub boost_count: i64,
    /// The person looking likes / boosted it.
    pub liked: bool,
    pub boosted: bool,
    /// The person looking bookmarked it.
    pub bookmarked: bool,
    /// When it entered this timeline: its creation, or the boost that brought it.
    pub listed_at: DateTime<Utc>,
    /// Who boosted it into this timeline, if that is how it came.
    pub boosted_by: Option<String>,
    /// That boost's own id (a status of its own in the client API, a "reblog" wrapping
    /// this thought) and its booster's.
    #[serde(default)]
    pub boost_id: Option<Uuid>,
    #[serde(default)]
    pub booster_id: Option<Uuid>,
    /// The viewer's `warn` filters it matches: shown collapsed behind their titles.
    #[serde(default)]
    pub filtered: Vec<FilterWarning>,
    /// A remote note's ActivityPub id, and its page on its own server (None for ours).
    #[serde(default)]
    pub ap_id: Option<String>,
    #[serde(default)]
    pub remote_url: Option<String>,
}

/// A keyword filter of the viewer's that a thought matches (it is shown collapsed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterWarning {
    pub filter_id: Uuid,
    pub title: String,
    /// Where the filter applies, and until when (the client API shows the filter).
    pub contexts: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The filter's keywords that matched.
    pub keywords: Vec<String>,
}

impl ThoughtView {
    /// The thought's own page.
    pub fn href(&self) -> String {
        format!("/@{}/{}", self.author_username, self.id)
    }
}

/// One version of a thought in its edit history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ThoughtVersion {
    pub content: String,
    /// A remote note's cleaned HTML.
    pub content_html: Option<String>,
    /// Its content warning and sensitivity then.
    pub summary: Option<String>,
    pub sensitive: bool,
    /// When this version was written (the first is the thought's creation).
    pub created_at: DateTime<Utc>,
}

/// A thought with every version it had, oldest first, the current one last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThoughtHistory {
    pub thought: ThoughtView,
    pub versions: Vec<ThoughtVersion>,
}

/// A thought up a thread: shown, or a placeholder that keeps its place and tells nothing
/// else about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ancestor {
    Shown(Box<ThoughtView>),
    /// Deleted (and the viewer could have seen it).
    Deleted,
    /// One the viewer may not see.
    Unavailable,
}

/// A thought with the thread around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// Oldest first.
    pub ancestors: Vec<Ancestor>,
    pub thought: ThoughtView,
    /// Direct replies the viewer may see, oldest first.
    pub replies: Vec<ThoughtView>,
    pub canonical_url: String,
}

/// One page of a timeline, newest first, and where the next (older) page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage {
    pub thoughts: Vec<ThoughtView>,
    pub next: Option<Cursor>,
}

/// How many thoughts a timeline has above the top of a shown list (at most a page), and
/// whether there are more than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewerCount {
    pub count: usize,
    pub more: bool,
}

/// Keyset position in a timeline: everything listed strictly before (created_at, id), where
/// `created_at` is when the entry was listed (a thought's creation, or its boost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The position right after `thought` in its timeline.
    pub fn after(thought: &ThoughtView) -> Self {
        Cursor {
            created_at: thought.listed_at,
            id: thought.id,
        }
    }

    /// The opaque token used in `?before=` links: microseconds since the epoch and the id.
    pub fn token(&self) -> String {
        format!(
            "{}_{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    pub fn parse(token: &str) -> Option<Self> {
        let (micros, id) = token.split_once('_')?;
        let created_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        Some(Cursor {
            created_at,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_token_round_trips() {
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::parse(&cursor.token()), Some(cursor));
    }

    #[test]
    fn malformed_cursor_tokens_are_refused() {
        for token in [
            "",
            "_",
            "abc_def",
            "123",
            "123_not-a-uuid",
            "9999999999999999999999_0",
        ] {
            assert_eq!(Cursor::parse(token), None, "{token:?}");
        }
    }
}

/// The logged-in person, as the pages need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub id: Uuid,
    pub username: String,
    pub display_name: Option<String>,
    pub is_admin: bool,
    /// Notifications not yet marked read.
    pub unread: i64,
}

/// A person in a list (Top Friends, choices): enough for an avatar and a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PersonCard {
    pub username: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

impl PersonCard {
    pub fn name(&self) -> &str {
        shown_name(&self.display_name, &self.username)
    }
}

/// The display name when there is one, else the username.
pub fn shown_name<'a>(display_name: &'a Option<String>, username: &'a str) -> &'a str {
    display_name
        .as_deref()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(username)
}

/// A profile page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub thought_count: i64,
    pub follower_count: i64,
    pub following_count: i64,
    /// In the owner's chosen order (position 1 first).
    pub top_friends: Vec<PersonCard>,
    /// Where the profile's own CSS is served, when it has some (versioned for caching).
    pub stylesheet_url: Option<String>,
    /// The absolute address of the page, for canonical links and link previews.
    pub canonical_url: String,
    /// How the person looking relates to this profile (`None` for visitors).
    pub relationship: Option<Relationship>,
    /// For someone on another server: their page there.
    pub remote_url: Option<String>,
    pub is_remote: bool,
    /// Follows wait for the owner's approval.
    #[serde(default)]
    pub locked: bool,
    /// Profile metadata fields: (name, value as HTML, already safe: escaped or cleaned).
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

/// The viewer's relation to a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    pub is_self: bool,
    pub following: bool,
    /// A follow request waits for the other server's answer.
    pub requested: bool,
    pub followed_by: bool,
    /// The viewer blocks them.
    pub blocking: bool,
    /// The viewer mutes them (now), and whether their notifications are hidden too.
    #[serde(default)]
    pub muting: bool,
    #[serde(default)]
    pub muting_notifications: bool,
}

/// Notifications of one kind about one thing, from one or more people, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationGroup {
    /// `like`, `boost`, `follow`, `reply` or `mention`.
    pub kind: String,
    /// The people who did it, newest first (at most a few are named).
    pub actors: Vec<PersonCard>,
    /// How many people in all.
    pub actor_count: i64,
    pub thought: Option<ThoughtView>,
    pub latest_at: DateTime<Utc>,
    pub unread: bool,
    pub ids: Vec<Uuid>,
}

/// What a search finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchResults {
    pub people: Vec<PersonCard>,
    pub tags: Vec<String>,
    pub thoughts: Vec<ThoughtView>,
}

impl Profile {
    pub fn name(&self) -> &str {
        shown_name(&self.display_name, &self.username)
    }
}

/// An API key as its owner sees it in settings (never the key itself, which is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The app that obtained it through OAuth, if one did.
    pub app_name: Option<String>,
}

/// A key just made: listed, plus its secret, to copy now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

/// What the settings page edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSettings {
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: String,
    pub header_url: String,
    pub custom_css: String,
    /// Usernames in Top Friends order.
    pub top_friends: Vec<String>,
    /// Who can be chosen as a Top Friend.
    pub friend_choices: Vec<PersonCard>,
    /// The profile fields (name, value), in order.
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

/// The sanitized CSS as it will be stored, and what sanitizing removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CssOutcome {
    pub css: String,
    pub removed: Vec<String>,
}

/// Someone the viewer mutes, for the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutedPerson {
    pub username: String,
    pub display_name: Option<String>,
    pub hide_notifications: bool,
    /// When the mute ends by itself, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

/// One of the viewer's keyword filters, for the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSummary {
    pub id: Uuid,
    pub title: String,
    pub contexts: Vec<String>,
    /// `warn` or `hide`.
    pub action: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Each keyword, and whether it must match a whole word.
    pub keywords: Vec<(String, bool)>,
}

/// Who asks to follow the viewer, and whether they approve followers by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowRequests {
    pub locked: bool,
    pub people: Vec<PersonCard>,
}

/// One of a person's lists (of people they follow, with its own timeline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ListInfo {
    pub id: Uuid,
    pub title: String,
    /// Which replies by members it shows: `followed`, `list` or `none` (Mastodon's).
    pub replies_policy: String,
    /// Its members' thoughts are left out of home.
    pub exclusive: bool,
}

/// A list with its members, as the Lists page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListDetail {
    pub list: ListInfo,
    pub members: Vec<PersonCard>,
}
