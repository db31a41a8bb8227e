//! Profile CSS, safe by construction: parsed with a real CSS parser (lightningcss), reduced
//! to what cannot reach outside the profile, and re-serialized. The owner's source is stored
//! as typed beside the output, and only the output is served.
//!
//! The rule: the profile box renders the same for every visitor, and nothing in the served
//! sheet reaches another host. So no selector can tell the owner anything about a visitor
//! (which links they visited, what they hover, when they came): whatever matches, the only
//! requests it causes go to this site, for the same local copies everyone gets.
//!
//! - Every selector is re-rooted under the profile container (`.ts-profile`); a leading
//!   `html`, `body` or `:root` *becomes* the container, so `body { background: pink }` styles
//!   the profile page as MySpace users expect. Sibling combinators after it are refused. A
//!   leading `.ts-profile` is the container too, so sanitizing is idempotent:
//!   `sanitize(sanitize(x).css) == sanitize(x).css`. `:has()` is refused: it makes every
//!   change in the page costly to restyle.
//! - Only style rules and `@media`, `@supports`, `@container`, `@keyframes` survive; every
//!   other at-rule (`@import`, `@charset`, `@namespace`, `@font-face`, `@property`, …) and
//!   nested rules are removed.
//! - `url()` survives only as the local copy of an image (`/media/css/{sha256}.{ext}`, which
//!   [`ImageCopies`] makes of each https image when the sheet is saved; see `css_images`) or
//!   as a small raster `data:image/` URL, which reaches no host. Unknown
//!   properties (`behavior`, `-moz-binding`), `expression()` and other URL-taking functions in
//!   raw values are removed; `position: fixed|sticky` becomes `absolute|relative` and z-index
//!   is clamped (the container also isolates stacking and paint).
//! - What is costly to paint is bounded, and refused when it cannot be (`costs`: filters,
//!   shadows, layers, `backdrop-filter`, costly properties in `@keyframes`).
//! - The output has no `<` at all, so it cannot end a `<style>` element or open a comment,
//!   wherever it is embedded.
//!
//! Everything removed is listed in [`SanitizedCss::removed`] with its line and the reason.

mod costs;

use std::{cell::RefCell, collections::HashMap};

use lightningcss::{
    declaration::DeclarationBlock,
    properties::{
        custom::{CustomPropertyName, Function, Token, TokenOrValue},
        position::{Position, ZIndex},
        Property, PropertyId,
    },
    rules::{CssRule, CssRuleList},
    selector::{Combinator, Component, Selector, SelectorList},
    stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet},
    targets::{Browsers, Targets},
    traits::ToCss,
    values::{ident::Ident, image::Image, url::Url},
    visit_types,
    visitor::{Visit, VisitTypes, Visitor},
};
use serde::{Deserialize, Serialize};

/// The class of the element that holds a profile; all profile CSS is scoped to it.
pub const PROFILE_SCOPE_CLASS: &str = "ts-profile";
pub const MAX_CSS_BYTES: usize = 64 * 1024;
/// Brackets deeper than this are refused before parsing (the parser recurses).
const MAX_NESTING: usize = 32;
const MAX_DATA_URL_BYTES: usize = 16 * 1024;
const MAX_Z_INDEX: i32 = 10;
/// Rounds of re-sanitizing the output before it must have settled (two have always sufficed).
const MAX_ROUNDS: usize = 3;
/// Functions that fetch or evaluate something when they appear in raw (unparsed) values.
const FORBIDDEN_FUNCTIONS: &[&str] = &[
    "expression",
    "url",
    "src",
    "image",
    "image-set",
    "-webkit-image-set",
    "cross-fade",
    "-webkit-cross-fade",
    "element",
    "-moz-element",
    "paint",
    "attr",
];
/// Standard properties the parser keeps as raw tokens that profiles may still use (their
/// values are checked like any other). Every other unknown name (`behavior`,
/// `-moz-binding`, look-alikes) is removed.
const UNMODELED_SAFE_PROPERTIES: &[&str] = &[
    "content",
    "quotes",
    "counter-reset",
    "counter-increment",
    "counter-set",
    "cursor",
    "pointer-events",
    "caret-color",
    "accent-color",
    "scrollbar-color",
    "scrollbar-width",
    "text-wrap",
    "white-space-collapse",
    "hyphens",
    "tab-size",
    "image-rendering",
    "object-fit",
    "object-position",
    "aspect-ratio",
    "touch-action",
    "resize",
    "isolation",
    "mix-blend-mode",
    "background-blend-mode",
    "will-change",
    "text-underline-offset",
    "text-decoration-thickness",
    "font-variant-emoji",
    "orphans",
    "widows",
];
const RASTER_DATA_TYPES: &[&str] = &[
    "image/png",
    "image/gif",
    "image/jpeg",
    "image/webp",
    "image/avif",
];
/// Where local copies of images are served: `/media/css/{sha256}.{ext}`.
pub const LOCAL_COPY_PREFIX: &str = "/media/css/";
/// The extensions of local copies (PNG, JPEG, GIF, WebP).
pub const COPY_EXTENSIONS: &[&str] = &["png", "jpg", "gif", "webp"];

/// The local copies of the images a sheet names: each absolute http(s) `url()` is asked for
/// here and becomes the path of its copy, or is removed with the reason given.
pub trait ImageCopies {
    fn local_path(&self, url: &url::Url) -> Result<String, String>;
}

/// No copies: every remote image is removed (checking a sheet without fetching anything).
pub struct NoCopies;

impl ImageCopies for NoCopies {
    fn local_path(&self, url: &url::Url) -> Result<String, String> {
        if url.scheme() != "https" {
            return Err("only https images are copied".into());
        }
        Err("it was not copied here (images are copied when the CSS is saved)".into())
    }
}

/// Copies made beforehand, by normalized address.
impl ImageCopies for HashMap<String, Result<String, String>> {
    fn local_path(&self, url: &url::Url) -> Result<String, String> {
        self.get(url.as_str())
            .cloned()
            .unwrap_or_else(|| NoCopies.local_path(url))
    }
}

/// Whether `path` is the path of a local copy, exactly as this site makes them.
pub fn is_local_copy(path: &str) -> bool {
    let Some((hash, extension)) = path
        .strip_prefix(LOCAL_COPY_PREFIX)
        .and_then(|name| name.split_once('.'))
    else {
        return false;
    };
    hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && COPY_EXTENSIONS.contains(&extension)
}

/// The stored CSS and what was removed from the input on the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanitizedCss {
    pub css: String,
    pub removed: Vec<String>,
}

/// Input that cannot be accepted at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CssError {
    #[error("the CSS is {bytes} bytes; the limit is 64 KiB")]
    TooLarge { bytes: usize },
    #[error("line {line}, column {column}: brackets nest deeper than {MAX_NESTING} levels")]
    TooDeep { line: u32, column: u32 },
    #[error("line {line}, column {column}: remove the control character")]
    Control { line: u32, column: u32 },
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: u32,
        column: u32,
        message: String,
    },
}

/// Sanitizes `input` without fetching anything: remote images are removed.
pub fn sanitize(input: &str) -> Result<SanitizedCss, CssError> {
    sanitize_with(input, &NoCopies)
}

/// The absolute http(s) addresses of the images `input` names (normalized, each once, in the
/// order written): what saving it has to copy.
pub fn remote_images(input: &str) -> Result<Vec<url::Url>, CssError> {
    struct Collect(RefCell<Vec<url::Url>>);
    impl ImageCopies for Collect {
        fn local_path(&self, url: &url::Url) -> Result<String, String> {
            let mut seen = self.0.borrow_mut();
            if !seen.contains(url) {
                seen.push(url.clone());
            }
            Err(String::new())
        }
    }
    let collect = Collect(RefCell::default());
    sanitize_with(input, &collect)?;
    Ok(collect.0.into_inner())
}

/// Sanitizes `input`, each remote image becoming its copy in `images` (or removed).
///
/// The printer does not always print what it reads back the same way (huge numbers become
/// other huge numbers, escapes lose their backslash), so the output is sanitized again until
/// it is its own result: re-saving what was saved, or the same source, never changes the
/// style. What does not settle within a few rounds, or would not parse again, is refused.
pub fn sanitize_with(input: &str, images: &dyn ImageCopies) -> Result<SanitizedCss, CssError> {
    let cannot_keep = |error: CssError| CssError::Syntax {
        line: 1,
        column: 1,
        message: format!("this cannot be kept as written ({error})"),
    };
    let mut result = sanitize_once(input, images)?;
    for _ in 0..MAX_ROUNDS {
        let again = sanitize_once(&result.css, &NoCopies).map_err(cannot_keep)?;
        if again.css == result.css {
            return Ok(result);
        }
        result.css = again.css;
        result.removed.extend(again.removed);
    }
    Err(cannot_keep(CssError::Syntax {
        line: 1,
        column: 1,
        message: "its printed form does not settle".into(),
    }))
}

fn sanitize_once(input: &str, images: &dyn ImageCopies) -> Result<SanitizedCss, CssError> {
    if input.len() > MAX_CSS_BYTES {
        return Err(CssError::TooLarge { bytes: input.len() });
    }
    check_controls(input)?;
    check_nesting(input)?;
    let options = ParserOptions {
        error_recovery: false,
        ..ParserOptions::default()
    };
    let mut sheet = StyleSheet::parse(input, options).map_err(|error| {
        let (line, column) = error
            .loc
            .as_ref()
            .map_or((1, 1), |loc| (loc.line + 1, loc.column));
        CssError::Syntax {
            line,
            column,
            message: error.kind.to_string(),
        }
    })?;

    let mut removed = Vec::new();
    sanitize_rules(&mut sheet.rules, images, &mut removed);
    // `/*! … */` comments are kept by the printer; nothing unchecked is stored, comments included.
    sheet.license_comments.clear();

    // Pretty-printed: the owner may read the served sheet (and the preview's) to see what was kept.
    let targets = printer_targets();
    sheet
        .minify(MinifyOptions {
            targets,
            ..MinifyOptions::default()
        })
        .map_err(|error| CssError::Syntax {
            line: 1,
            column: 1,
            message: error.kind.to_string(),
        })?;
    let printed = sheet
        .to_css(PrinterOptions {
            targets,
            ..PrinterOptions::default()
        })
        .map_err(|error| CssError::Syntax {
            line: 1,
            column: 1,
            message: error.kind.to_string(),
        })?;
    // Any `<` left is inside a string or an identifier, where its escape means the same.
    let css = printed.code.replace('<', "\\3c ");
    // The printer has corner cases (an escaped space in a pseudo-class's name prints bare):
    // what would not parse again is refused by the next round (`sanitize_with`), not stored.
    // Nothing left is nothing at all: no one-newline sheet is stored or linked.
    let css = if css.trim().is_empty() {
        String::new()
    } else {
        css
    };
    Ok(SanitizedCss { css, removed })
}

/// Browsers that predate media range syntax, so `(width <= 600px)` prints as
/// `(max-width: 600px)` and no `<` is needed outside strings.
fn printer_targets() -> Targets {
    Targets::from(Browsers {
        chrome: Some(100 << 16),
        firefox: Some(100 << 16),
        safari: Some(15 << 16),
        ..Browsers::default()
    })
}

/// Refuses control characters (but CSS's own whitespace): the parser keeps them in raw
/// values (`--x: a\u{1}`), where they would be stored and served, and no text column
/// holds a NUL.
fn check_controls(input: &str) -> Result<(), CssError> {
    for (number, line) in input.split('\n').enumerate() {
        let found = line
            .chars()
            .position(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\u{c}'));
        if let Some(index) = found {
            let at = |n: usize| u32::try_from(n + 1).unwrap_or(u32::MAX);
            return Err(CssError::Control {
                line: at(number),
                column: at(index),
            });
        }
    }
    Ok(())
}

/// Refuses input whose brackets nest too deeply, without recursing.
fn check_nesting(input: &str) -> Result<(), CssError> {
    let (mut depth, mut line, mut column) = (0usize, 1u32, 0u32);
    let mut chars = input.chars().peekable();
    let mut in_string: Option<char> = None;
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
        }
        match (in_string, c) {
            (_, '\\') => {
                chars.next();
                column += 1;
            }
            (Some(quote), c) if c == quote || c == '\n' => in_string = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => in_string = Some(c),
            (None, '/') if chars.peek() == Some(&'*') => {
                // Skip the comment.
                let mut previous = ' ';
                for c in chars.by_ref() {
                    column += 1;
                    if c == '\n' {
                        line += 1;
                        column = 0;
                    }
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            (None, '{' | '(' | '[') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(CssError::TooDeep { line, column });
                }
            }
            (None, '}' | ')' | ']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn sanitize_rules(
    rules: &mut CssRuleList<'_>,
    images: &dyn ImageCopies,
    removed: &mut Vec<String>,
) {
    rules.0.retain_mut(|rule| match rule {
        CssRule::Style(style) => {
            if !style.rules.0.is_empty() {
                removed.push(at(style.loc.line, "nested rules are not supported"));
                style.rules.0.clear();
            }
            let scoped: Vec<Selector<'_>> = style
                .selectors
                .0
                .iter()
                .filter_map(|selector| {
                    if matches_relatives(selector) {
                        removed.push(at(style.loc.line, "a :has() selector (it makes every change in the page costly to restyle)"));
                        return None;
                    }
                    let result = scope_selector(selector);
                    if result.is_none() {
                        removed.push(at(style.loc.line, "a selector that reaches outside the profile"));
                    }
                    result
                })
                .collect();
            if scoped.is_empty() {
                return false;
            }
            style.selectors = SelectorList::new(scoped.into());
            sanitize_declarations(&mut style.declarations, style.loc.line, images, removed);
            true
        }
        CssRule::Media(media) => {
            sanitize_rules(&mut media.rules, images, removed);
            true
        }
        CssRule::Supports(supports) => {
            sanitize_rules(&mut supports.rules, images, removed);
            true
        }
        CssRule::Container(container) => {
            sanitize_rules(&mut container.rules, images, removed);
            true
        }
        CssRule::Keyframes(keyframes) => {
            let line = keyframes.loc.line;
            for keyframe in &mut keyframes.keyframes {
                sanitize_declarations(&mut keyframe.declarations, line, images, removed);
                let block = &mut keyframe.declarations;
                for list in [&mut block.declarations, &mut block.important_declarations] {
                    list.retain(|property| {
                        let costly = costs::costly_to_animate(property);
                        if costly {
                            let what = format!("`{}` in @keyframes (it would repaint at every frame)", property.property_id().name());
                            removed.push(at(line, &what));
                        }
                        !costly
                    });
                }
            }
            true
        }
        CssRule::Ignored => false,
        other => {
            removed.push(describe_removed_rule(other));
            false
        }
    });
}

fn describe_removed_rule(rule: &CssRule<'_>) -> String {
    let name = match rule {
        CssRule::Import(_) => "@import",
        CssRule::Namespace(_) => "@namespace",
        CssRule::FontFace(_) => "@font-face",
        CssRule::FontPaletteValues(_) => "@font-palette-values",
        CssRule::FontFeatureValues(_) => "@font-feature-values",
        CssRule::Page(_) => "@page",
        CssRule::CounterStyle(_) => "@counter-style",
        CssRule::MozDocument(_) => "@-moz-document",
        CssRule::Nesting(_) | CssRule::NestedDeclarations(_) => "nested rules",
        CssRule::Viewport(_) => "@viewport",
        CssRule::CustomMedia(_) => "@custom-media",
        CssRule::LayerStatement(_) | CssRule::LayerBlock(_) => "@layer",
        CssRule::Property(_) => "@property",
        CssRule::Scope(_) => "@scope",
        CssRule::StartingStyle(_) => "@starting-style",
        CssRule::ViewTransition(_) => "@view-transition",
        CssRule::PositionTry(_) => "@position-try",
        CssRule::Unknown(unknown) => return format!("@{} is not allowed", unknown.name),
        _ => "this rule",
    };
    format!("{name} is not allowed")
}

fn at(line: u32, what: &str) -> String {
    format!("line {}: removed {what}", line + 1)
}

/// Whether `selector` holds `:has()` anywhere (inside `:is()`, `:not()`, an unknown
/// pseudo-class's arguments): the printed form spells every way of writing it the same.
fn matches_relatives(selector: &Selector<'_>) -> bool {
    selector
        .to_css_string(PrinterOptions::default())
        .map_or(true, |printed| {
            printed.to_ascii_lowercase().contains(":has(")
        })
}

/// `selector` re-rooted under the profile container, or `None` if it could reach outside.
fn scope_selector<'i>(selector: &Selector<'i>) -> Option<Selector<'i>> {
    let mut components = parse_order(selector);
    let forbidden = |c: &Component<'_>| {
        matches!(
            c,
            Component::Nesting | Component::Namespace(..) | Component::DefaultNamespace(_)
        ) || matches!(
            c.as_combinator(),
            Some(
                Combinator::Deep
                    | Combinator::DeepDescendant
                    | Combinator::SlotAssignment
                    | Combinator::Part
            )
        )
    };
    if components.iter().any(forbidden) {
        return None;
    }
    let names_root = |c: &Component<'_>| match c {
        Component::Root | Component::Scope => true,
        Component::LocalName(name) => matches!(name.lower_name.0.as_ref(), "html" | "body"),
        // The container as an earlier pass printed it.
        Component::Class(class) => class.0.as_ref() == PROFILE_SCOPE_CLASS,
        _ => false,
    };
    let separates = |c: &Component<'_>| {
        matches!(
            c.as_combinator(),
            Some(
                Combinator::Descendant
                    | Combinator::Child
                    | Combinator::NextSibling
                    | Combinator::LaterSibling
            )
        )
    };

    let scope = Component::Class(Ident::from(PROFILE_SCOPE_CLASS));
    // How what follows relates to the container: a descendant, unless `body > …` said child.
    let mut join = Combinator::Descendant;
    loop {
        let compound_end = components
            .iter()
            .position(separates)
            .unwrap_or(components.len());
        if !components[..compound_end].iter().any(names_root) {
            let mut scoped = vec![scope];
            if !components.is_empty() {
                scoped.push(Component::Combinator(join));
            }
            scoped.extend(components);
            return Some(Selector::from(scoped));
        }
        // This compound (html, body, :root, :scope, maybe with classes or pseudo-classes)
        // stands for the container itself.
        let others: Vec<Component<'i>> = components[..compound_end]
            .iter()
            .filter(|c| !names_root(c) && !matches!(c, Component::ExplicitUniversalType))
            .cloned()
            .collect();
        // Another type selector in it (`div:root`) would have to come before the container's
        // class, and printed after it, it merges into the class name: `.ts-profilediv`.
        let typed = |c: &Component<'_>| {
            matches!(
                c,
                Component::LocalName(_)
                    | Component::ExplicitAnyNamespace
                    | Component::ExplicitNoNamespace
            )
        };
        if others.iter().any(typed) {
            return None;
        }
        match components
            .get(compound_end)
            .and_then(Component::as_combinator)
        {
            // Siblings of the container are outside it.
            Some(Combinator::NextSibling | Combinator::LaterSibling) => return None,
            // `html body p`, `body > p`: look at what follows.
            Some(combinator) if others.is_empty() => {
                join = combinator;
                components.drain(..=compound_end);
            }
            // `body`, `body.theme`, `body:hover p`: the container, then the rest as written.
            _ => {
                let mut scoped = vec![scope];
                scoped.extend(others);
                scoped.extend(components.drain(compound_end..));
                return Some(Selector::from(scoped));
            }
        }
    }
}

/// A selector's components in writing order: compounds left to right, each compound's
/// simple selectors in their own order (`iter_raw_parse_order_from` reverses those too).
pub(crate) fn parse_order<'i>(selector: &Selector<'i>) -> Vec<Component<'i>> {
    let mut iter = selector.iter();
    let mut compounds = Vec::new();
    loop {
        let compound: Vec<Component<'i>> = iter.by_ref().cloned().collect();
        let combinator_to_the_left = iter.next_sequence();
        compounds.push((compound, combinator_to_the_left));
        if combinator_to_the_left.is_none() {
            break;
        }
    }
    let mut components = Vec::with_capacity(selector.len());
    for (compound, combinator_to_the_left) in compounds.into_iter().rev() {
        components.extend(combinator_to_the_left.map(Component::Combinator));
        components.extend(compound);
    }
    components
}

fn sanitize_declarations(
    block: &mut DeclarationBlock<'_>,
    line: u32,
    images: &dyn ImageCopies,
    removed: &mut Vec<String>,
) {
    for list in [&mut block.declarations, &mut block.important_declarations] {
        list.retain_mut(|property| match sanitize_property(property, images) {
            Ok(()) => true,
            Err(why) => {
                removed.push(at(line, &why));
                false
            }
        });
    }
}

fn sanitize_property(property: &mut Property<'_>, images: &dyn ImageCopies) -> Result<(), String> {
    match property {
        Property::Position(position) => match position {
            Position::Fixed => *position = Position::Absolute,
            Position::Sticky(_) => *position = Position::Relative,
            _ => {}
        },
        Property::ZIndex(ZIndex::Integer(z)) => *z = (*z).clamp(-MAX_Z_INDEX, MAX_Z_INDEX),
        Property::Custom(custom) => {
            if let CustomPropertyName::Unknown(name) = &custom.name {
                let name = name.0.to_ascii_lowercase();
                if !UNMODELED_SAFE_PROPERTIES.contains(&name.as_str()) {
                    return Err(format!("the unknown property `{name}`"));
                }
            }
        }
        // A var() here could resolve to `fixed` or a huge number at run time.
        Property::Unparsed(unparsed)
            if matches!(
                unparsed.property_id,
                PropertyId::Position | PropertyId::ZIndex
            ) =>
        {
            return Err(format!(
                "`{}` set through var()",
                unparsed.property_id.name()
            ));
        }
        _ => {}
    }
    trim_raw_value(property);
    costs::check(property)?;
    let mut hazards = Hazards {
        problem: None,
        images,
    };
    let _ = property.visit(&mut hazards);
    hazards.problem.map_or(Ok(()), Err)
}

/// Raw values lose the whitespace around them: the printer adds its own, so what was kept
/// would grow at every pass and re-saving would never settle.
fn trim_raw_value(property: &mut Property<'_>) {
    let tokens = match property {
        Property::Custom(custom) => &mut custom.value.0,
        Property::Unparsed(unparsed) => &mut unparsed.value.0,
        _ => return,
    };
    while tokens.last().is_some_and(|token| token.is_whitespace()) {
        tokens.pop();
    }
    let leading = tokens
        .iter()
        .take_while(|token| token.is_whitespace())
        .count();
    tokens.drain(..leading);
}

/// Finds what must not survive inside one declaration: disallowed URLs and functions; turns
/// remote images into their local copies.
struct Hazards<'a> {
    problem: Option<String>,
    images: &'a dyn ImageCopies,
}

impl<'i> Visitor<'i> for Hazards<'_> {
    type Error = std::convert::Infallible;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(URLS | IMAGES | FUNCTIONS | TOKENS)
    }

    fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), Self::Error> {
        match allowed_url(&url.url) {
            Some(UrlKind::Kept(kept)) => url.url = kept.into(),
            Some(UrlKind::Remote(remote)) => match self.images.local_path(&remote) {
                Ok(path) => url.url = path.into(),
                // The first image that cannot be copied is the one named.
                Err(why) => {
                    self.problem
                        .get_or_insert_with(|| format!("the image {remote}: {why}"));
                }
            },
            None => self.problem = Some("a url() that is not an https image".into()),
        }
        Ok(())
    }

    fn visit_image(&mut self, image: &mut Image<'i>) -> Result<(), Self::Error> {
        match image {
            // lightningcss's visitor does not descend into image-set() options by itself.
            Image::ImageSet(set) => {
                for option in &mut set.options {
                    self.visit_image(&mut option.image)?;
                }
                Ok(())
            }
            other => other.visit_children(self),
        }
    }

    fn visit_function(&mut self, function: &mut Function<'i>) -> Result<(), Self::Error> {
        let name = function.name.0.to_ascii_lowercase();
        if FORBIDDEN_FUNCTIONS.contains(&name.as_str()) {
            self.problem = Some(format!("the function {name}()"));
        }
        function.visit_children(self)
    }

    fn visit_token(&mut self, token: &mut TokenOrValue<'i>) -> Result<(), Self::Error> {
        // A `<` in a raw value (not in a string) could only be written as `\3c `, which
        // is another token: the output would not re-parse. Such a value is invalid anyway.
        if matches!(token, TokenOrValue::Token(Token::Delim('<') | Token::CDO)) {
            self.problem = Some("a `<` outside a string".into());
        }
        token.visit_children(self)
    }
}

/// What an allowed `url()` is.
enum UrlKind {
    /// A small raster `data:` URL or the path of a local copy, kept as it is.
    Kept(String),
    /// An absolute http(s) address (normalized), to become its local copy.
    Remote(url::Url),
}

/// What the URL is, or `None` when it is not allowed.
fn allowed_url(raw: &str) -> Option<UrlKind> {
    let trimmed = raw.trim();
    // `get`, not indexing: byte 5 may fall inside a character (`url(dataéx)`).
    if let Some(rest) = trimmed
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .and(trimmed.get(5..))
    {
        let rest = rest.to_ascii_lowercase();
        let raster = RASTER_DATA_TYPES.iter().any(|kind| {
            rest.strip_prefix(kind)
                .is_some_and(|after| after.starts_with(';') || after.starts_with(','))
        });
        let clean = trimmed.chars().all(|c| c.is_ascii_graphic());
        return (raster && clean && trimmed.len() <= MAX_DATA_URL_BYTES)
            .then(|| UrlKind::Kept(trimmed.to_owned()));
    }
    if is_local_copy(trimmed) {
        return Some(UrlKind::Kept(trimmed.to_owned()));
    }
    let url = url::Url::parse(trimmed).ok()?;
    (matches!(url.scheme(), "https" | "http") && url.host_str().is_some())
        .then_some(UrlKind::Remote(url))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;

#[cfg(test)]
mod confinement;
