//! The second pass's promises (issue #14): sanitizing is idempotent (re-saving keeps the
//! style), and the output cannot leave its box, reach another host or cost much to paint.
//! Corpus tests first, then properties over generated sheets.

use std::convert::Infallible;

use proptest::prelude::*;

use super::{
    costs,
    tests::{clean_with, fake_copy, EveryImageCopied},
    *,
};
use crate::generators::{config, structured};

/// Sanitizes with `images`, then checks the output against [`confinement_problems`] and
/// that a second pass (without copies) gives it back unchanged.
fn settled(input: &str, images: &dyn ImageCopies) -> SanitizedCss {
    let first = sanitize_with(input, images).unwrap_or_else(|e| panic!("{input:?} refused: {e}"));
    let problems = confinement_problems(&first.css);
    assert!(problems.is_empty(), "{problems:?} in {}", first.css);
    let again = sanitize(&first.css)
        .unwrap_or_else(|e| panic!("the output is refused ({e}): {}", first.css));
    assert_eq!(
        again.css, first.css,
        "a second pass changed the output of {input:?}"
    );
    assert!(
        again.removed.is_empty(),
        "a second pass removed {:?} from {}",
        again.removed,
        first.css
    );
    first
}

#[test]
fn re_sanitizing_the_output_changes_nothing() {
    for input in [
        "body { background: pink url(https://img.example/tile.png) repeat fixed; color: #333 }\n\
         html body h1, :root h2 { color: hotpink; text-shadow: 0 0 4px #fff, 0 0 10px #f0f, 0 0 20px #f0f }\n\
         body > .top-friends li:nth-child(2n) a:hover { text-decoration: underline }\n\
         .ts-profile .bio { box-shadow: 0 10px 40px rgba(0,0,0,.3); filter: drop-shadow(0 0 8px pink) saturate(1.5) }\n\
         @media (max-width: 600px) { body.dark p { font-size: 2em } }\n\
         @keyframes blink { 50% { opacity: 0; transform: scale(1.2) } }\n\
         h1 { animation: blink 1s steps(2) infinite; z-index: 4; position: relative }",
        "p::after { content: '\\3c 3 ♥' } a:visited { color: purple } body:hover { cursor: url(https://img.example/c.png), auto }",
        ".ts-profile { background: url(data:image/png;base64,iVBORw0KGgo=) } .ts-profile.x > p { color: red }",
        "p { background: url(/media/css/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png) }",
        "*:root, body *, html > body ~ p, :is(body, p) q { color: red }",
        "",
        "   \n\t  ",
    ] {
        settled(input, &EveryImageCopied);
        settled(input, &NoCopies);
    }
}

#[test]
fn a_leading_container_is_the_container_itself() {
    for (input, expected) in [
        (".ts-profile { color: red }", ".ts-profile{color:red}"),
        (".ts-profile p { color: red }", ".ts-profile p{color:red}"),
        (".ts-profile > p { color: red }", ".ts-profile>p{color:red}"),
        (
            ".ts-profile.dark:hover p { color: red }",
            ".ts-profile.dark:hover p{color:red}",
        ),
        (
            ".ts-profile .ts-profile p { color: red }",
            ".ts-profile p{color:red}",
        ),
        // Deeper down it is any class, still under the container.
        (
            "p .ts-profile { color: red }",
            ".ts-profile p .ts-profile{color:red}",
        ),
    ] {
        assert_eq!(clean_with(input, &NoCopies).css, expected, "{input}");
    }
    assert!(
        clean_with(".ts-profile ~ header { display: none }", &NoCopies)
            .css
            .is_empty()
    );
}

#[test]
fn empty_output_is_nothing_at_all() {
    for input in [
        "",
        "\n",
        "  \t\r\n ",
        "/* a comment */",
        "@import 'x.css';",
        "p { behavior: url(x.htc) }",
    ] {
        assert_eq!(sanitize(input).unwrap().css, "", "{input:?}");
    }
}

#[test]
fn has_is_refused_however_it_is_written() {
    for input in [
        "p:has(a) { color: red }",
        "body:has(.x) p { color: red }",
        ":is(p, :has(q)) { color: red }",
        ":not(:HAS(p)) { color: red }",
        "p:h\\61s(a) { color: red }",
        "q:where(:is(:has(a))) { color: red }",
        "q:foo(:has(a)) { color: red }",
    ] {
        let result = sanitize(input).unwrap();
        assert_eq!(result.css, "", "{input} -> {}", result.css);
        assert!(
            result.removed.iter().any(|why| why.contains(":has()")),
            "{input}: {:?}",
            result.removed
        );
    }
    // The other selectors of the rule stay.
    assert_eq!(
        clean_with("p:has(a), q { color: red }", &NoCopies).css,
        ".ts-profile q{color:red}"
    );
}

#[test]
fn glows_and_soft_shadows_within_the_limits_are_kept() {
    let input = "h1 { text-shadow: 0 0 5px #fff, 0 0 10px #fff, 0 0 20px #f0f, 0 0 32px #f0f, 1px 1px 0 #000, -1px -1px 0 #000 }\n\
                 .bio { box-shadow: 0 10px 64px 32px rgba(0,0,0,.3), inset 0 0 12px pink, 0 0 0 -32px red }\n\
                 img { filter: drop-shadow(0 0 16px hotpink) drop-shadow(2px 2px 0 #000) blur(16px) hue-rotate(90deg) }\n\
                 .a { filter: blur(0.4cm) } .b { text-shadow: 0 0 12pt red } .c { box-shadow: none } .d { filter: none }\n\
                 body { background: linear-gradient(red, blue), url(https://img.example/a.png), url(https://img.example/b.png), \
                 radial-gradient(pink, white), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue) }\n\
                 .e { box-shadow: inherit; text-shadow: unset; filter: initial }";
    let result = settled(input, &EveryImageCopied);
    assert!(result.removed.is_empty(), "{:?}", result.removed);
    let css = clean_with(input, &EveryImageCopied).css;
    for kept in [
        "text-shadow:0 0 5px #fff",
        "box-shadow:0 10px 64px 32px",
        "drop-shadow(0 0 16px",
        "blur(16px)",
        "blur(.4cm)",
        "linear-gradient(red,#00f)",
    ] {
        assert!(css.contains(kept), "{kept} missing from {css}");
    }
}

#[test]
fn what_costs_too_much_to_paint_is_removed_with_the_reason() {
    for (input, reason) in [
        ("p { filter: blur(17px) }", "a blur() radius of 17px (at most 16px)"),
        ("p { filter: blur(1in) }", "a blur() radius of 1in (at most 16px)"),
        ("p { -webkit-filter: blur(200px) }", "a blur() radius of 200px"),
        ("p { filter: blur(2em) }", "a blur() radius in em (radii must be in px"),
        ("p { filter: blur(2vw) }", "a blur() radius in vw"),
        ("p { filter: blur(10%) }", "`filter` with a value it does not take"),
        ("p { filter: blur(calc(1px + 1em)) }", "a blur() radius given with calc()"),
        ("p { filter: drop-shadow(0 0 17px red) }", "a drop-shadow() blur of 17px"),
        ("p { filter: drop-shadow(0 0 1px red) drop-shadow(0 0 1px red) drop-shadow(0 0 1px red) }", "3 drop-shadow() (at most 2)"),
        ("p { filter: blur(1px) sepia(1) invert(1) saturate(2) contrast(2) }", "a filter of 5 functions (at most 4)"),
        ("p { filter: url(#f) }", "a filter: url() (an SVG filter"),
        ("p { filter: var(--f) }", "`filter` set through var()"),
        ("p { backdrop-filter: blur(2px) }", "`backdrop-filter` (it filters everything behind the box"),
        ("p { -webkit-backdrop-filter: none }", "`backdrop-filter`"),
        ("p { will-change: transform }", "`will-change`"),
        ("p { box-shadow: 0 0 65px red }", "a box-shadow blur of 65px (at most 64px)"),
        ("p { box-shadow: 0 0 1px 33px red }", "a box-shadow spread of 33px (at most 32px)"),
        ("p { box-shadow: 0 0 1px -33px red }", "a box-shadow spread of -33px"),
        ("p { box-shadow: 0 0 1em red }", "a box-shadow blur in em"),
        ("p { box-shadow: 0 0 10px 10% red }", "`box-shadow` with a value it does not take"),
        ("p { box-shadow: 0 0 10px var(--c) }", "`box-shadow` set through var()"),
        ("p { box-shadow: 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red }", "a box-shadow of 7 layers (at most 6)"),
        ("p { text-shadow: 0 0 33px red }", "a text-shadow blur of 33px (at most 32px)"),
        ("p { text-shadow: 0 0 calc(1px + 2em) red }", "a text-shadow blur given with calc()"),
        ("p { background-image: var(--layers) }", "`background-image` set through var()"),
        ("p { background: linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue) }", "a background of 9 layers (at most 8)"),
        ("p { mask-image: linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue) }", "a mask-image of 9 layers"),
        ("p { transform: scale(10) }", "a scale() of 10 (at most 4×)"),
        ("p { transform: rotate(3deg) scaleY(-5) }", "a scale() of -5"),
        ("p { transform: scale3d(1, 1, 500%) }", "a scale3d() of 5"),
        ("p { scale: 20 }", "a scale of 20"),
        ("p { transform: matrix(10, 0, 0, 10, 0, 0) }", "a matrix() that scales beyond 4"),
        ("p { transform: perspective(10px) translateZ(-50px) }", "perspective()"),
        ("p { transform: translateZ(5px) }", "translateZ()"),
        ("p { transform: translate3d(0, 0, 5px) }", "translate3d() with a depth"),
        ("p { transform: matrix3d(1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1) }", "matrix3d()"),
        ("p { perspective: 10px }", "`perspective` (depth enlarges"),
        ("p { transform: var(--t) }", "`transform` set through var()"),
    ] {
        let result = sanitize(&format!("{input}\nq {{ color: red }}")).unwrap();
        assert_eq!(result.css.trim(), ".ts-profile q {\n  color: red;\n}", "{input}");
        assert_eq!(result.removed.len(), 1, "{input}: {:?}", result.removed);
        assert!(result.removed[0].starts_with("line 1: removed ") && result.removed[0].contains(reason), "{input}: {:?}", result.removed);
    }
}

#[test]
fn costly_properties_cannot_be_animated() {
    let result = sanitize(
        "@keyframes glow {\n  from { filter: blur(1px); color: red }\n  to { box-shadow: 0 0 1px red; text-shadow: 0 0 1px red; -webkit-mask-image: none; opacity: .5 }\n}\n\
         @keyframes haze { to { backdrop-filter: blur(1px) } }",
    )
    .unwrap();
    let css = result.css.replace(char::is_whitespace, "");
    assert!(
        css.contains("from{color:red;}") && css.contains("opacity:.5"),
        "{css}"
    );
    for gone in ["filter", "shadow", "mask"] {
        assert!(!css.contains(gone), "{gone} survived in {css}");
    }
    for what in [
        "`filter` in @keyframes",
        "`box-shadow` in @keyframes",
        "`text-shadow` in @keyframes",
        "`mask-image` in @keyframes",
        "`backdrop-filter`",
    ] {
        assert!(
            result.removed.iter().any(|why| why.contains(what)),
            "{what} not in {:?}",
            result.removed
        );
    }
    // Transitions of a glow on hover are finite, and allowed.
    assert!(clean_with(
        "a { transition: filter .3s } a:hover { filter: drop-shadow(0 0 8px pink) }",
        &NoCopies
    )
    .css
    .contains("transition"));
}

#[test]
fn no_url_reaches_another_host() {
    let input = "a { background: url(https://img.example/a.png) }\n\
                 b { background: url(http://img.example/b.png) }\n\
                 c { background: url(//img.example/c.png) }\n\
                 d { background: url(/api/profiles/css) }\n\
                 e { background: url(/media/css/../../api/x.png) }\n\
                 f { background: url(/media/css/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.png) }\n\
                 g { background: url(/media/css/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.svg) }\n\
                 h { background: url(a.png) }\n\
                 i { content: url(https://img.example/i.png) }\n\
                 j { --x: url(https://img.example/j.png) }\n\
                 k { background: url(/media/css/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.webp) }";
    let result = settled(input, &NoCopies);
    let css = clean_with(input, &NoCopies).css;
    assert_eq!(css, ".ts-profile k{background:url(/media/css/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.webp)}");
    assert_eq!(result.removed.len(), 10, "{:?}", result.removed);
    assert!(
        result.removed[0].contains("the image https://img.example/a.png: it was not copied here"),
        "{:?}",
        result.removed
    );
    assert!(
        result.removed[1]
            .contains("the image http://img.example/b.png: only https images are copied"),
        "{:?}",
        result.removed
    );

    // With copies, every remote image becomes its copy: custom properties and content too.
    let css = clean_with(input, &EveryImageCopied).css;
    assert_eq!(css.matches(&fake_copy()).count(), 3, "{css}");
    assert!(!css.contains("img.example"), "{css}");
}

#[test]
fn remote_images_lists_each_address_once_normalized() {
    let urls = remote_images(
        "a { background: url(HTTPS://IMG.example/a.png) } b { background-image: url('https://img.example/a.png'), url(http://x.example/b.gif) }\n\
         c { cursor: url(https://img.example/c.png), auto } d { background: url(data:image/png;base64,AAAA) } e { behavior: url(https://evil.example/x) }",
    )
    .unwrap();
    let urls: Vec<&str> = urls.iter().map(url::Url::as_str).collect();
    assert_eq!(
        urls,
        [
            "https://img.example/a.png",
            "http://x.example/b.gif",
            "https://img.example/c.png"
        ]
    );
    assert!(remote_images("p { ] }").is_err());
}

#[test]
fn local_copy_paths_are_exact() {
    let hash = "0123456789abcdef".repeat(4);
    for extension in COPY_EXTENSIONS {
        assert!(
            is_local_copy(&format!("/media/css/{hash}.{extension}")),
            "{extension}"
        );
    }
    for path in [
        format!("/media/css/{hash}.svg"),
        format!("/media/css/{hash}.png?x"),
        format!("/media/css/{}.png", hash.to_uppercase()),
        format!("/media/css/{}.png", &hash[1..]),
        format!("/media/css/{hash}x.png"),
        format!("/media/css/{hash}.png.png"),
        format!("//media/css/{hash}.png"),
        format!("https://x.example/media/css/{hash}.png"),
        format!("/media/css/é{}.png", &hash[2..]),
    ] {
        assert!(!is_local_copy(&path), "{path}");
    }
}

/// Everything in `css` (an output) that could leave the box, reach a host, run something or
/// cost too much to paint, found by parsing it as a browser would.
pub(super) fn confinement_problems(css: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if css.contains('<') {
        problems.push("a `<`".to_owned());
    }
    match StyleSheet::parse(
        css,
        ParserOptions {
            error_recovery: false,
            ..ParserOptions::default()
        },
    ) {
        Ok(mut sheet) => inspect_rules(&mut sheet.rules, &mut problems),
        Err(error) => problems.push(format!("it does not parse: {error}")),
    }
    problems
}

fn inspect_rules(rules: &mut CssRuleList<'_>, problems: &mut Vec<String>) {
    for rule in &mut rules.0 {
        match rule {
            CssRule::Style(style) => {
                for selector in style.selectors.0.iter() {
                    let printed = selector
                        .to_css_string(PrinterOptions::default())
                        .unwrap_or_default();
                    if printed.to_ascii_lowercase().contains(":has(") {
                        problems.push(format!("the selector {printed}"));
                    }
                }
                for property in style
                    .declarations
                    .declarations
                    .iter_mut()
                    .chain(style.declarations.important_declarations.iter_mut())
                {
                    inspect_property(property, problems);
                }
            }
            CssRule::Keyframes(keyframes) => {
                for keyframe in &mut keyframes.keyframes {
                    let block = &mut keyframe.declarations;
                    for property in block
                        .declarations
                        .iter_mut()
                        .chain(block.important_declarations.iter_mut())
                    {
                        if costs::costly_to_animate(property) {
                            problems.push(format!("`{}` animated", property.property_id().name()));
                        }
                        inspect_property(property, problems);
                    }
                }
            }
            CssRule::Media(media) => inspect_rules(&mut media.rules, problems),
            CssRule::Supports(supports) => inspect_rules(&mut supports.rules, problems),
            CssRule::Container(container) => inspect_rules(&mut container.rules, problems),
            other => problems.push(format!("the rule {other:?}")),
        }
    }
}

fn inspect_property(property: &mut Property<'_>, problems: &mut Vec<String>) {
    match property {
        Property::Position(Position::Fixed | Position::Sticky(_)) => {
            problems.push("position: fixed or sticky".into())
        }
        Property::ZIndex(ZIndex::Integer(z)) if z.abs() > MAX_Z_INDEX => {
            problems.push(format!("z-index: {z}"))
        }
        Property::Unparsed(unparsed)
            if matches!(
                unparsed.property_id,
                PropertyId::Position | PropertyId::ZIndex
            ) =>
        {
            problems.push(format!("`{}` through var()", unparsed.property_id.name()))
        }
        Property::Custom(custom) => {
            if let CustomPropertyName::Unknown(name) = &custom.name {
                if !UNMODELED_SAFE_PROPERTIES.contains(&name.0.to_ascii_lowercase().as_str()) {
                    problems.push(format!("the property {}", name.0));
                }
            }
        }
        _ => {}
    }
    if let Err(why) = costs::check(property) {
        problems.push(why);
    }
    let mut inspector = Inspector { problems };
    let _ = property.visit(&mut inspector);
}

/// Finds URLs that are neither local copies nor small raster `data:` URLs, and functions
/// that fetch or evaluate something.
struct Inspector<'a> {
    problems: &'a mut Vec<String>,
}

impl<'i> Visitor<'i> for Inspector<'_> {
    type Error = Infallible;

    fn visit_types(&self) -> VisitTypes {
        visit_types!(URLS | IMAGES | FUNCTIONS | TOKENS)
    }

    fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), Self::Error> {
        let local = is_local_copy(&url.url);
        let data = url
            .url
            .get(..11)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:image/"));
        if !(local || data) || !matches!(allowed_url(&url.url), Some(UrlKind::Kept(_))) {
            self.problems.push(format!("url({})", url.url));
        }
        Ok(())
    }

    fn visit_image(&mut self, image: &mut Image<'i>) -> Result<(), Self::Error> {
        match image {
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
            self.problems.push(format!("{name}()"));
        }
        function.visit_children(self)
    }
}

// Generated sheets: the colleague's generator (`properties::style_sheet`) mixed with the
// selectors, properties and values this pass is about, each piece sometimes noise.

const PIECES: &[&str] = &[
    ".ts-profile",
    ":has(",
    "has(",
    ":h\\61s(",
    "body",
    " ",
    " > ",
    " ~ ",
    ",",
    "{",
    "}",
    "(",
    ")",
    ";",
    ":",
    "filter: ",
    "backdrop-filter:",
    "box-shadow:",
    "text-shadow:",
    "blur(",
    "drop-shadow(",
    "px",
    "em",
    "%",
    "vw",
    "calc(",
    "var(--x)",
    "url(",
    "https://img.example/a.png",
    "http://img.example/a.png",
    "//img.example/",
    "/media/css/",
    "data:image/png,",
    "'",
    "\"",
    "\\",
    "@keyframes k",
    "from",
    "to",
    "99999",
    "fixed",
    "sticky",
    "<",
    "é",
    "\n",
];
const SELECTORS: &[&str] = &[
    ".ts-profile",
    ".ts-profile p",
    ".ts-profile.x > p",
    ".ts-profile ~ p",
    "body",
    ":root",
    "html body .a",
    "p:has(a)",
    ":is(p, :has(q))",
    ":not(:HAS(p))",
    "p:h\\61s(a)",
    "q:foo(:has(a))",
    "a:visited",
    "a:hover::after",
    "p + q",
    "*",
];
const PROPERTIES: &[&str] = &[
    "filter",
    "-webkit-filter",
    "backdrop-filter",
    "-webkit-backdrop-filter",
    "box-shadow",
    "text-shadow",
    "background",
    "background-image",
    "mask-image",
    "mask",
    "will-change",
    "position",
    "z-index",
    "content",
    "cursor",
    "list-style-image",
    "border-image-source",
    "shape-outside",
    "--x",
    "color",
    "transition",
];
const VALUES: &[&str] = &[
    "blur(4px)", "blur(16px)", "blur(17px)", "blur(1em)", "blur(2vw)", "blur(10%)", "blur(calc(1px + 1em))", "blur(1e40px)",
    "drop-shadow(0 0 8px pink)", "drop-shadow(0 0 30px red) drop-shadow(0 0 1px red) drop-shadow(0 0 1px red)",
    "sepia(1) invert(1) saturate(2) contrast(2) blur(1px)", "url(#f)", "url(https://evil.example/f.svg#x)", "0 0 10px pink",
    "0 0 64px 32px red", "0 0 65px red", "0 0 1em red", "0 0 10% red", "inset 0 0 4px red, 0 0 4px blue",
    "0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red, 0 0 1px red", "var(--x)", "inherit",
    "none", "url(https://img.example/a.png)", "url(http://img.example/a.png)", "url(//img.example/a.png)",
    "url(/media/css/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png)", "url(/media/css/../x.png)",
    "url(/api/x)", "url(a.png)", "url(data:image/png;base64,AAAA)", "url('data:image/svg+xml,x')",
    "url(HTTPS://IMG.EXAMPLE/A.PNG)", "url(https://user:pw@img.example/a.png)", "url(https:img.example/a.png)",
    "url(\\68ttps://img.example/x.png)", "url(https://img.example/a.png), auto", "linear-gradient(red, blue)",
    "linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue), linear-gradient(red, blue)",
    "fixed", "sticky", "99999", "-99999", "transform", "filter 1s", "image-set(url(https://a.example/x.png) 1x)",
    "cross-fade(url(a.png), url(b.png))", "src(https://a.example/x)", "red",
];

fn confinement_sheet() -> impl Strategy<Value = String> {
    let noisy = |pieces: &'static [&'static str]| prop_oneof![6 => proptest::sample::select(pieces).prop_map(str::to_owned), 1 => structured(PIECES, 3)];
    let declaration = (noisy(PROPERTIES), noisy(VALUES))
        .prop_map(|(property, value)| format!("{property}: {value}"));
    let declarations =
        proptest::collection::vec(declaration, 0..4).prop_map(|list| list.join("; "));
    let rule = (noisy(SELECTORS), declarations.clone())
        .prop_map(|(selector, body)| format!("{selector} {{ {body} }}"));
    let block = prop_oneof![
        6 => rule.clone(),
        1 => rule.prop_map(|rule| format!("@media (min-width: 1px) {{ {rule} }}")),
        2 => (declarations.clone(), declarations).prop_map(|(from, to)| format!("@keyframes k {{ from {{ {from} }} 50% {{ {to} }} }}")),
        1 => structured(PIECES, 10),
    ];
    proptest::collection::vec(block, 0..5).prop_map(|blocks| blocks.join("\n"))
}

/// Half the colleague's general sheets, half this pass's.
fn any_sheet() -> impl Strategy<Value = String> {
    prop_oneof![1 => super::properties::style_sheet(), 1 => confinement_sheet()]
}

fn copies(copying: bool) -> &'static dyn ImageCopies {
    if copying {
        &EveryImageCopied
    } else {
        &NoCopies
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sanitizing_is_idempotent(input in any_sheet(), copying in any::<bool>()) {
        if let Ok(first) = sanitize_with(&input, copies(copying)) {
            let again = sanitize(&first.css);
            prop_assert_eq!(again.as_ref().map(|again| again.css.as_str()), Ok(first.css.as_str()), "input: {:?}", input);
            prop_assert_eq!(again.map(|again| again.removed).unwrap_or_default(), Vec::<String>::new(), "input: {:?}", input);
        }
    }

    #[test]
    fn no_url_in_the_output_reaches_another_host(input in any_sheet(), copying in any::<bool>()) {
        if let Ok(clean) = sanitize_with(&input, copies(copying)) {
            let mut problems = Vec::new();
            if let Ok(mut sheet) = StyleSheet::parse(&clean.css, ParserOptions { error_recovery: false, ..ParserOptions::default() }) {
                visit_urls(&mut sheet.rules, &mut problems);
            }
            prop_assert!(problems.is_empty(), "{:?} in {:?} from {:?}", problems, clean.css, input);
            prop_assert!(!clean.css.contains('<'), "{:?}", clean.css);
        }
    }

    #[test]
    fn the_output_cannot_escape_its_box_or_cost_too_much(input in any_sheet(), copying in any::<bool>()) {
        if let Ok(clean) = sanitize_with(&input, copies(copying)) {
            let problems = confinement_problems(&clean.css);
            prop_assert!(problems.is_empty(), "{:?} in {:?} from {:?}", problems, clean.css, input);
        }
    }
}

/// Every `url()` of a parsed output that is not a local copy or a raster `data:` URL.
fn visit_urls(rules: &mut CssRuleList<'_>, problems: &mut Vec<String>) {
    struct Urls<'a>(&'a mut Vec<String>);
    impl<'i> Visitor<'i> for Urls<'_> {
        type Error = Infallible;
        fn visit_types(&self) -> VisitTypes {
            visit_types!(URLS | IMAGES | TOKENS)
        }
        fn visit_url(&mut self, url: &mut Url<'i>) -> Result<(), Self::Error> {
            let data = url
                .url
                .get(..11)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:image/"));
            if !(is_local_copy(&url.url) || data) {
                self.0.push(url.url.to_string());
            }
            Ok(())
        }
        fn visit_image(&mut self, image: &mut Image<'i>) -> Result<(), Self::Error> {
            match image {
                Image::ImageSet(set) => {
                    for option in &mut set.options {
                        self.visit_image(&mut option.image)?;
                    }
                    Ok(())
                }
                other => other.visit_children(self),
            }
        }
    }
    let _ = rules.visit(&mut Urls(problems));
}
