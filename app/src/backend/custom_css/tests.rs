//! The sanitizer against a corpus of hostile CSS. Every output must re-parse, keep every
//! selector under the profile container, carry no `<`, and be a fixed point of `sanitize`.

use super::*;

/// Sanitizes, checks the invariants every output must hold, and returns the output
/// minified (easier to compare than the pretty-printed form that is stored).
fn clean(input: &str) -> SanitizedCss {
    clean_with(input, &NoCopies)
}

/// [`clean`], with remote images copied by `images`.
pub(super) fn clean_with(input: &str, images: &dyn ImageCopies) -> SanitizedCss {
    let result = sanitize_with(input, images).unwrap_or_else(|e| panic!("{input:?} refused: {e}"));
    assert_invariants(&result.css);
    SanitizedCss {
        css: minified(&result.css),
        removed: result.removed,
    }
}

/// The path every copied image gets in these tests.
pub(super) fn fake_copy() -> String {
    format!("{LOCAL_COPY_PREFIX}{}.png", "a".repeat(64))
}

/// Copies every https image (to [`fake_copy`]), as saving would when all can be fetched.
pub(super) struct EveryImageCopied;

impl ImageCopies for EveryImageCopied {
    fn local_path(&self, url: &url::Url) -> Result<String, String> {
        if url.scheme() != "https" {
            return NoCopies.local_path(url);
        }
        Ok(fake_copy())
    }
}

fn minified(css: &str) -> String {
    let sheet = StyleSheet::parse(css, ParserOptions::default()).expect("the output parses");
    sheet
        .to_css(PrinterOptions {
            minify: true,
            targets: printer_targets(),
            ..PrinterOptions::default()
        })
        .expect("prints")
        .code
}

fn assert_invariants(css: &str) {
    let lower = css.to_ascii_lowercase();
    for needle in [
        "</style",
        "<!--",
        "javascript:",
        "expression(",
        "@import",
        "behavior",
        "-moz-binding",
        "http:",
    ] {
        assert!(!lower.contains(needle), "{needle} survived: {css}");
    }
    assert_structure(css);
}

/// What holds of any output, whatever the input: no `<`, it re-parses, every selector is
/// under the container, and a second pass removes nothing.
pub(super) fn assert_structure(css: &str) {
    assert!(!css.contains('<'), "a `<` survived: {css}");
    let sheet = StyleSheet::parse(
        css,
        ParserOptions {
            error_recovery: false,
            ..ParserOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("the output does not re-parse ({e}): {css}"));
    assert_scoped(&sheet.rules, css);
    // Sanitizing the output again finds nothing left to remove (it only scopes once more).
    let again = sanitize(css).expect("the output sanitizes again");
    assert!(
        again.removed.is_empty(),
        "a second pass removed {:?} from {css}",
        again.removed
    );
}

fn assert_scoped(rules: &CssRuleList<'_>, css: &str) {
    for rule in &rules.0 {
        match rule {
            CssRule::Style(style) => {
                for selector in style.selectors.0.iter() {
                    let components = parse_order(selector);
                    let first = components.first();
                    assert!(
                        matches!(first, Some(Component::Class(class)) if class.0.as_ref() == PROFILE_SCOPE_CLASS),
                        "an unscoped selector in {css}"
                    );
                    let combinators: Vec<_> = components
                        .iter()
                        .filter_map(Component::as_combinator)
                        .collect();
                    assert!(
                        !matches!(
                            combinators.first(),
                            Some(Combinator::NextSibling | Combinator::LaterSibling)
                        ),
                        "the container's siblings are reachable in {css}"
                    );
                }
                assert!(style.rules.0.is_empty(), "nested rules survived in {css}");
            }
            CssRule::Media(media) => assert_scoped(&media.rules, css),
            CssRule::Supports(supports) => assert_scoped(&supports.rules, css),
            CssRule::Container(container) => assert_scoped(&container.rules, css),
            CssRule::Keyframes(_) => {}
            other => panic!("a {other:?} survived in {css}"),
        }
    }
}

#[test]
fn ordinary_profile_css_is_kept_and_scoped() {
    let result = clean_with(
        "body { background: pink url(https://img.example/tile.png) repeat; }\nh1 { color: hotpink }\n.top-friends li:nth-child(2n) a:hover { text-decoration: underline }",
        &EveryImageCopied,
    );
    assert_eq!(
        result.css,
        ".ts-profile{background:pink url(/media/css/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png)}.ts-profile h1{color:#ff69b4}.ts-profile .top-friends li:nth-child(2n) a:hover{text-decoration:underline}"
    );
    assert!(result.removed.is_empty(), "{:?}", result.removed);
}

#[test]
fn document_roots_become_the_container() {
    assert_eq!(clean("html{color:red}").css, ".ts-profile{color:red}");
    assert_eq!(clean(":root{color:red}").css, ".ts-profile{color:red}");
    assert_eq!(
        clean("html body p{color:red}").css,
        ".ts-profile p{color:red}"
    );
    assert_eq!(clean("body > p{color:red}").css, ".ts-profile>p{color:red}");
    assert_eq!(
        clean("body.dark p{color:red}").css,
        ".ts-profile.dark p{color:red}"
    );
    assert_eq!(
        clean("BODY::before{content:'x'}").css,
        ".ts-profile:before{content:\"x\"}"
    );
    assert_eq!(clean("*{color:red}").css, ".ts-profile *{color:red}");
}

#[test]
fn selectors_cannot_reach_outside_the_container() {
    for hostile in [
        "body ~ header { display: none }",
        "body + nav { display: none }",
        "html > body ~ * { display: none }",
        ":root ~ .site-header { display: none }",
        "& ~ header { display: none }",
        "body { & ~ header { display: none } }",
    ] {
        let result = sanitize(hostile).map(|r| r.css);
        match result {
            Ok(css) => {
                assert_invariants(&css);
                assert!(
                    !css.contains("header") && !css.contains("nav"),
                    "{hostile} -> {css}"
                );
            }
            Err(CssError::Syntax { .. }) => {}
            Err(other) => panic!("{hostile}: {other}"),
        }
    }
    // Pseudo-classes that look around cannot escape either: they still match inside only
    // (and :has() is refused for its cost).
    let css = clean(
        ":is(body, html) ~ header, :has(~ header), :not(.ts-profile) .site-header{display:none}",
    )
    .css;
    for scoped in [
        ".ts-profile :is(body,html)~header",
        ".ts-profile :not(.ts-profile) .site-header",
    ] {
        assert!(css.contains(scoped), "{scoped} missing from {css}");
    }
    assert!(!css.contains(":has("), "{css}");
}

#[test]
fn breaking_out_of_the_style_element_is_impossible() {
    for hostile in [
        "p { content: '</style><script>alert(1)</script>' }",
        "p { content: \"<!--\" }",
        "p { content: '\\3c /style>' }",
        "p { font-family: \"</STYLE>\" }",
        "p::after { content: '\\00003C/style\\00003E' }",
        "p[title='</style>'] { color: red }",
        ".a\\3c \\/style\\3e { color: red }",
    ] {
        let stored = sanitize(hostile).unwrap().css;
        assert_invariants(&stored);
        assert!(!stored.contains('<'), "{hostile} -> {stored}");
    }
    // Markup outside any rule is not CSS.
    assert!(matches!(
        sanitize("</style><script>alert(1)</script>"),
        Err(CssError::Syntax { .. })
    ));
    assert!(matches!(
        sanitize("<!-- p{color:red} -->"),
        Ok(_) | Err(CssError::Syntax { .. })
    ));
}

#[test]
fn dangerous_at_rules_are_removed() {
    let result = clean(
        "@import url(https://evil.example/x.css);\n@namespace svg url(http://www.w3.org/2000/svg);\n\
         @font-face { font-family: system-ui; src: url(https://evil.example/f.woff2) }\n\
         @property --ts-blue { syntax: '<color>'; inherits: false; initial-value: red }\n\
         @page { margin: 0 }\n@layer base { p { color: red } }\n@unknown-thing { x: y }\np{color:blue}",
    );
    assert_eq!(result.css, ".ts-profile p{color:#00f}");
    for what in [
        "@import",
        "@namespace",
        "@font-face",
        "@property",
        "@page",
        "@layer",
        "@unknown-thing",
    ] {
        assert!(
            result.removed.iter().any(|r| r.contains(what)),
            "{what} not reported in {:?}",
            result.removed
        );
    }
    // A @charset is dropped by the parser itself.
    assert_eq!(
        clean("@charset \"utf-8\"; p{color:red}").css,
        ".ts-profile p{color:red}"
    );
}

#[test]
fn at_rules_that_wrap_rules_keep_them_scoped() {
    let css = clean("@media (max-width: 600px) { body { background: pink } @supports (display: grid) { .a { display: grid } } }").css;
    assert_eq!(css, "@media (max-width:600px){.ts-profile{background:pink}@supports (display:grid){.ts-profile .a{display:grid}}}");
    let css = clean("@container (min-width: 400px) { h2 { font-size: 2em } }").css;
    assert!(css.contains(".ts-profile h2"), "{css}");
}

#[test]
fn urls_only_for_https_images() {
    let result = clean_with(
        "a { background: url('javascript:alert(1)') }\n\
         b { background-image: url('http://tracker.example/p.gif') }\n\
         c { background: url(data:text/html;base64,PHNjcmlwdD4=) }\n\
         d { background: url('data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E') }\n\
         e { list-style-image: url(//evil.example/x.png) }\n\
         f { background: url(https://img.example/ok.png) }\n\
         g { background: url(data:image/png;base64,iVBORw0KGgo=) }\n\
         h { cursor: url(file:///etc/passwd), auto }\n\
         i { background: image-set('javascript:alert(1)' 1x) }",
        &EveryImageCopied,
    );
    let copied = format!(".ts-profile f{{background:url({})}}", fake_copy());
    assert!(result.css.contains(&copied), "{}", result.css);
    assert!(
        result.css.contains("data:image/png;base64,iVBORw0KGgo="),
        "{}",
        result.css
    );
    for gone in ["tracker", "text/html", "svg", "evil", "file:", "javascript"] {
        assert!(
            !result.css.contains(gone),
            "{gone} survived: {}",
            result.css
        );
    }
    let huge = format!(
        "p {{ background: url(data:image/png;base64,{}) }}",
        "A".repeat(MAX_DATA_URL_BYTES)
    );
    assert!(
        !clean(&huge).css.contains("data:"),
        "oversized data URLs are removed"
    );
}

#[test]
fn script_and_binding_properties_are_removed() {
    let result = clean(
        "p { behavior: url(x.htc); -moz-binding: url(https://evil.example/x.xml#b); width: expression(alert(1)); color: red }\n\
         q { --x: url('javascript:alert(1)'); --y: expression(alert(1)); --z: image-set('https://t.example/a' 1x); --ok: 4px }\n\
         r { color: var(--x) }",
    );
    assert!(
        result.css.contains(".ts-profile p{color:red}"),
        "{}",
        result.css
    );
    assert!(result.css.contains("--ok:4px"), "{}", result.css);
    assert!(
        result.css.contains(".ts-profile r{color:var(--x)}"),
        "var() stays; --x itself was removed: {}",
        result.css
    );
    for gone in [
        "behavior",
        "binding",
        "expression",
        "javascript",
        "image-set",
        "--x:",
        "--y:",
        "--z:",
    ] {
        assert!(
            !result.css.contains(gone),
            "{gone} survived: {}",
            result.css
        );
    }
    assert!(result.removed.len() >= 6, "{:?}", result.removed);
}

#[test]
fn escapes_and_comments_do_not_smuggle_anything() {
    for hostile in [
        "p { posit\\69 on: fixed; top: 0 }",
        "p { position/**/:/**/fixed }",
        "p { POSITION : FIXED }",
        "p { position: f\\69 xed }",
        "p { background: \\75 rl('javascript:alert(1)') }",
        "p { background: u\\rl(http://evil.example/x.png) }",
        "p { background: url('java\\73 cript:alert(1)') }",
        "p { width: expr/**/ession(alert(1)) }",
        "p { -moz-bind\\69 ng: url(https://evil.example/x.xml) }",
    ] {
        let css = clean(hostile).css.to_ascii_lowercase();
        assert!(
            !css.contains("fixed") && !css.contains("evil") && !css.contains("javascript"),
            "{hostile} -> {css}"
        );
    }
    assert_eq!(
        clean("p { posit\\69 on: fixed }").css,
        ".ts-profile p{position:absolute}"
    );
}

#[test]
fn unicode_look_alikes_are_not_properties() {
    // Fullwidth and Cyrillic letters make different (unknown) names, which are removed.
    let result = clean("p { ｐosition: fixed; pоsition: fixed; color: red } ｐ { color: blue }");
    assert!(!result.css.contains("fixed"), "{}", result.css);
    assert!(
        result.css.starts_with(".ts-profile p{color:red}"),
        "{}",
        result.css
    );
}

#[test]
fn positioning_cannot_cover_the_site() {
    let result = clean("a { position: fixed; z-index: 2147483647 } b { position: sticky; z-index: -99999 } c { position: var(--p) } d { z-index: var(--z) }");
    let css = &result.css;
    for expected in [
        "position:absolute",
        "z-index:10",
        "position:relative",
        "z-index:-10",
    ] {
        assert!(css.contains(expected), "{expected} missing from {css}");
    }
    assert!(
        !css.contains("fixed") && !css.contains("sticky") && !css.contains("var("),
        "{css}"
    );
    assert_eq!(result.removed.len(), 2, "{:?}", result.removed);
}

#[test]
fn important_declarations_are_sanitized_too() {
    let css = clean("p { position: fixed !important; background: url(http://evil.example/x) !important; color: red !important }").css;
    assert!(
        css.contains("position:absolute!important") && css.contains("color:red!important"),
        "{css}"
    );
    assert!(!css.contains("evil"), "{css}");
}

#[test]
fn keyframes_are_kept_with_clean_declarations() {
    let css = clean("@keyframes glow { from { background: url(http://evil.example/a.png) } to { opacity: .5 } } p { animation: glow 2s infinite }").css;
    assert!(
        css.contains("@keyframes glow") && css.contains("opacity:.5"),
        "{css}"
    );
    assert!(!css.contains("evil"), "{css}");
}

#[test]
fn limits_are_clear_errors() {
    let huge = "p{color:red}".repeat(MAX_CSS_BYTES / 12 + 1);
    assert!(matches!(sanitize(&huge), Err(CssError::TooLarge { .. })));
    assert!(sanitize(&huge).unwrap_err().to_string().contains("64 KiB"));

    let deep = format!(
        "{}p{{color:red}}{}",
        "@media screen{".repeat(1000),
        "}".repeat(1000)
    );
    match sanitize(&deep) {
        Err(CssError::TooDeep { line: 1, column }) => assert!(column > 1),
        other => panic!("{other:?}"),
    }
    let deep_selector = format!("p{}{}{{color:red}}", ":is(".repeat(500), ")".repeat(500));
    assert!(matches!(
        sanitize(&deep_selector),
        Err(CssError::TooDeep { .. })
    ));
    // Brackets inside strings and comments do not count.
    clean(&format!(
        "p{{content:\"{}\"}} /* {} */",
        "(".repeat(100),
        "{".repeat(100)
    ));
}

#[test]
fn syntax_errors_name_line_and_column() {
    let error = sanitize("p { color: red }\nq { color: red;\n  ] }").unwrap_err();
    match &error {
        CssError::Syntax { line, column, .. } => assert!(*line == 3 && *column >= 3, "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().starts_with("line 3, column "), "{error}");
    // An unquoted url() with a parenthesis inside is malformed CSS, refused with its place.
    let error = sanitize("p {\n  background: url(javascript:alert(1))\n}").unwrap_err();
    assert!(error.to_string().starts_with("line 2, column "), "{error}");
}

#[test]
fn a_multibyte_character_where_a_scheme_would_end_is_no_panic() {
    // Byte 5 of `dataéx` falls inside the `é`: slicing there panicked.
    let result =
        clean("p { background: url(dataéx) } q { background: url('data\u{e9}:image/png,x') }");
    assert!(!result.css.contains("data"), "{}", result.css);
    assert_eq!(result.removed.len(), 2, "{:?}", result.removed);
}

#[test]
fn a_type_selector_beside_the_root_cannot_merge_into_the_class() {
    // Found by the property test: `div:root` became `.ts-profilediv`, a class outside.
    let result = clean("div:root { color: red } -preview:root { color: blue } *:root { color: green } body:hover { color: pink }");
    assert_eq!(
        result.css,
        ".ts-profile{color:green}.ts-profile:hover{color:pink}"
    );
    assert_eq!(result.removed.len(), 2, "{:?}", result.removed);
}

#[test]
fn a_less_than_sign_in_a_raw_value_is_removed_not_escaped_into_garbage() {
    // Found by the property test: `<!--` became `\3c !--`, which does not re-parse.
    let result = clean("p { color: <!-- } q { --x: a < b; color: red }");
    assert_eq!(result.css, ".ts-profile q{color:red}");
    assert_eq!(result.removed.len(), 2, "{:?}", result.removed);
}

#[test]
fn what_would_not_parse_again_is_refused_not_stored() {
    // Found by the property test: `:\ ` (an escaped space) prints as `: `.
    let error = sanitize(":\\  { content: var(--x) }").unwrap_err();
    assert!(
        error.to_string().contains("cannot be kept as written"),
        "{error}"
    );
}

#[test]
fn no_comment_survives_not_even_a_license_comment() {
    let css = clean("/*! javascript:alert(1) expression( */ p { color: red } /* plain */").css;
    assert_eq!(css, ".ts-profile p{color:red}");
}

#[test]
fn control_characters_are_refused_with_their_place() {
    assert_eq!(
        sanitize("p {\n  --x: fixed\u{1};\n}"),
        Err(CssError::Control {
            line: 2,
            column: 13
        })
    );
    assert!(sanitize("p { content: '\u{0}' }")
        .unwrap_err()
        .to_string()
        .starts_with("line 1, column 15: remove"));
    assert!(
        sanitize("p {\tcolor: red\r\n}\u{c}").is_ok(),
        "CSS whitespace is not refused"
    );
}

#[test]
fn empty_input_is_empty_output() {
    assert_eq!(clean("").css, "");
    assert_eq!(clean("  /* only a comment */ ").css, "");
}
#[test]
fn standard_properties_the_parser_does_not_model_are_kept() {
    let css = clean("p::after { content: ' ♥ ' counter(hearts); counter-increment: hearts; cursor: pointer } q { quotes: '«' '»' }").css;
    for kept in [
        "content:\" ♥ \" counter(hearts)",
        "counter-increment:hearts",
        "cursor:pointer",
        "quotes:",
    ] {
        assert!(css.contains(kept), "{kept} missing from {css}");
    }
    let css =
        clean("p { content: url(http://evil.example/x.png); cursor: url('javascript:x'), auto; }")
            .css;
    assert!(
        !css.contains("evil") && !css.contains("javascript"),
        "{css}"
    );
}
