//! Input parsed once into types that can only hold valid values. Each parser names the
//! form field it refuses, so a form can show the message next to it.

use crate::{error::AppError, text};

/// Names that would collide with the site's own paths or suggest authority.
const RESERVED_USERNAMES: &[&str] = &[
    "about",
    "abuse",
    "account",
    "accounts",
    "activitypub",
    "actor",
    "admin",
    "administrator",
    "api",
    "assets",
    "explore",
    "favicon",
    "followers",
    "following",
    "help",
    "home",
    "inbox",
    "instance",
    "login",
    "logout",
    "mail",
    "manifest",
    "moderator",
    "nodeinfo",
    "notifications",
    "null",
    "oauth",
    "outbox",
    "pkg",
    "postmaster",
    "public",
    "robots",
    "root",
    "search",
    "security",
    "settings",
    "signup",
    "sitemap",
    "static",
    "support",
    "sw",
    "system",
    "tags",
    "thoughtspace",
    "undefined",
    "users",
    "webfinger",
    "well-known",
    "well_known",
    "www",
];

/// A local username: 1–32 of a–z, A–Z, 0–9 and `_`; unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = text::MAX_USERNAME_CHARS;
    /// Names on other servers may be longer (Mastodon sets no limit on remote ones).
    pub const MAX_REMOTE_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let value = raw.trim();
        if let Some(problem) = Self::problem(value, false) {
            return Err(AppError::invalid("username", problem));
        }
        if RESERVED_USERNAMES.contains(&value.to_ascii_lowercase().as_str()) {
            return Err(AppError::invalid(
                "username",
                "this name is reserved; choose another",
            ));
        }
        Ok(Username(value.to_owned()))
    }

    /// What is wrong with `name` as a username, if anything: the one rule for the shape of
    /// every name, ours and other servers' (whose `preferredUsername` becomes `name@host`
    /// here, in links and paths). Letters a–z, digits and `_`; a remote name may also have
    /// `.` and `-` inside it, as Mastodon allows. Nothing else: no `#`, `?`, `/`, `@`,
    /// spaces, controls, direction overrides or look-alike letters.
    pub fn problem(name: &str, remote: bool) -> Option<&'static str> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let max = if remote {
            Self::MAX_REMOTE_CHARS
        } else {
            Self::MAX_CHARS
        };
        if name.is_empty() {
            Some("choose a username")
        } else if name.chars().count() > max {
            Some(if remote {
                "use at most 64 characters"
            } else {
                "use at most 32 characters"
            })
        } else if remote && name.chars().all(|c| word(c) || c == '.' || c == '-') {
            let ends_ok = name.starts_with(word) && name.ends_with(word);
            (!ends_ok).then_some("begin and end with a letter, digit or _")
        } else if !name.chars().all(word) {
            Some("use only letters a–z, digits 0–9 and _")
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address (syntax checked), at most 255 characters; unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(AppError::invalid("email", "enter your email address"));
        }
        if value.chars().count() > 255 {
            return Err(AppError::invalid("email", "use at most 255 characters"));
        }
        if text::has_forbidden_controls(value, false) {
            return Err(AppError::invalid("email", "remove the control characters"));
        }
        // email_address accepts bare local names; a deliverable address needs a dotted domain.
        let valid = email_address::EmailAddress::parse_with_options(value, Default::default())
            .is_ok_and(|address| {
                address.domain().contains('.') && !address.domain().starts_with('[')
            });
        if !valid {
            return Err(AppError::invalid(
                "email",
                "enter an address like name@example.com",
            ));
        }
        Ok(Email(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 8 characters. Never logged, never stored (only its hash).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Hashing cost grows with length; nobody types more than this.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(AppError::invalid("password", "use at least 8 characters"));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(AppError::invalid("password", "use at most 1024 bytes"));
        }
        if text::has_forbidden_controls(raw, false) {
            return Err(AppError::invalid(
                "password",
                "remove the control characters",
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Optional one-line or multi-line text with a character limit; empty means none.
pub fn optional_text(
    raw: &str,
    field: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<Option<String>, AppError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("use at most {max_chars} characters"),
        ));
    }
    if text::has_forbidden_controls(value, multiline) {
        return Err(AppError::invalid(field, "remove the control characters"));
    }
    Ok(Some(value.replace("\r\n", "\n")))
}

/// A display name: at most 50 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(pub Option<String>);

impl DisplayName {
    pub const MAX_CHARS: usize = 50;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        optional_text(raw, "display_name", Self::MAX_CHARS, false).map(DisplayName)
    }
}

/// A bio: at most 160 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(pub Option<String>);

impl Bio {
    pub const MAX_CHARS: usize = 160;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        optional_text(raw, "bio", Self::MAX_CHARS, true).map(Bio)
    }
}

/// The longest address kept: an image typed here, or any id or address another server sends.
pub const MAX_URL_BYTES: usize = 2048;

/// An optional image address: an absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(pub Option<String>);

impl ImageUrl {
    pub const MAX_BYTES: usize = MAX_URL_BYTES;

    pub fn parse(raw: &str, field: &str) -> Result<Self, AppError> {
        let value = raw.trim();
        if value.is_empty() {
            return Ok(ImageUrl(None));
        }
        if value.len() > Self::MAX_BYTES {
            return Err(AppError::invalid(
                field,
                "use an address of at most 2048 characters",
            ));
        }
        match url::Url::parse(value) {
            Ok(url)
                if !text::has_forbidden_controls(value, false)
                    && text::is_http_url(url.as_str()) =>
            {
                Ok(ImageUrl(Some(url.to_string())))
            }
            _ => Err(AppError::invalid(
                field,
                "use an http:// or https:// address",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(result: Result<impl std::fmt::Debug, AppError>, field: &str) -> String {
        let error = result.expect_err("refused");
        error
            .field_message(field)
            .unwrap_or_else(|| panic!("no message for {field}: {error:?}"))
    }

    #[test]
    fn usernames() {
        for ok in ["a", "ana_b", "Ana99", &"x".repeat(32)] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
        assert!(refused(Username::parse(""), "username").contains("choose"));
        assert!(refused(Username::parse(&"x".repeat(33)), "username").contains("32"));
        for bad in [
            "ana b", "ana-b", "ana.b", "anä", "ana@host", "аna", /* Cyrillic а */
        ] {
            assert!(
                refused(Username::parse(bad), "username").contains("a–z"),
                "{bad}"
            );
        }
        for reserved in ["admin", "API", "inbox", "settings", "well_known", "Login"] {
            assert!(
                refused(Username::parse(reserved), "username").contains("reserved"),
                "{reserved}"
            );
        }
    }

    #[test]
    fn remote_names_follow_the_same_rule() {
        for ok in ["bo", "admin", "Bo_99", "jo.doe", "a-b", &"x".repeat(64)] {
            assert_eq!(Username::problem(ok, true), None, "{ok}");
        }
        for bad in [
            "",
            "bo#",
            "bo?x",
            "b/o",
            "bo@x",
            "bo\nx",
            "bo\0",
            "\u{202e}bo",
            "b<o",
            "b o",
            "bö",
            ".bo",
            "bo-",
            &"x".repeat(65),
        ] {
            assert!(Username::problem(bad, true).is_some(), "{bad:?}");
        }
        // Dots and dashes are another server's custom, not ours.
        assert!(Username::problem("jo.doe", false).is_some());
    }

    #[test]
    fn control_characters_are_refused_where_typed() {
        for field in ["email", "password"] {
            let result = match field {
                "email" => Email::parse("ana\u{0}@example.com").map(drop),
                _ => Password::parse("correct\u{0}horse").map(drop),
            };
            assert!(refused(result, field).contains("control"), "{field}");
        }
        refused(DisplayName::parse("Ana\u{0}"), "display_name");
        refused(Bio::parse("tab\tand\u{1b}[31m"), "bio");
        assert!(
            Bio::parse("two\nlines\tand a tab").is_ok(),
            "a bio spans lines"
        );
        refused(
            ImageUrl::parse("https://img.example/a\u{0}.png", "avatar_url"),
            "avatar_url",
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" ana@example.com ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@localhost",
            "a b@example.com",
        ] {
            refused(Email::parse(bad), "email");
        }
        refused(
            Email::parse(&format!("{}@example.com", "a".repeat(250))),
            "email",
        );
    }

    #[test]
    fn passwords_and_their_debug_output() {
        assert!(refused(Password::parse("1234567"), "password").contains("8"));
        let password = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{password:?}"), "Password(…)", "never printed");
        refused(Password::parse(&"p".repeat(1025)), "password");
    }

    #[test]
    fn profile_texts() {
        assert_eq!(DisplayName::parse("  ").unwrap(), DisplayName(None));
        assert_eq!(
            DisplayName::parse("Ana ✨").unwrap(),
            DisplayName(Some("Ana ✨".into()))
        );
        assert!(
            DisplayName::parse(&"é".repeat(50)).is_ok(),
            "characters, not bytes"
        );
        refused(DisplayName::parse(&"é".repeat(51)), "display_name");
        refused(DisplayName::parse("two\nlines"), "display_name");
        assert_eq!(
            Bio::parse("line one\r\nline two").unwrap(),
            Bio(Some("line one\nline two".into()))
        );
        refused(Bio::parse(&"b".repeat(161)), "bio");
    }

    #[test]
    fn image_urls() {
        assert_eq!(ImageUrl::parse("", "avatar_url").unwrap(), ImageUrl(None));
        assert!(ImageUrl::parse("https://img.example/a.png", "avatar_url")
            .unwrap()
            .0
            .is_some());
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "ftp://x.example/a.png",
            "/relative.png",
            "https://",
            " javascript:alert(1)",
        ] {
            refused(ImageUrl::parse(bad, "header_url"), "header_url");
        }
    }
}
