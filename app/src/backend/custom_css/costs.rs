//! What profile CSS may cost to paint. A sheet once froze visitors' pages for 15 s and more
//! (large blurs, hundreds of shadow layers, filters animated at every frame), so every
//! property whose paint cost grows with its values is bounded here, and what cannot be
//! bounded is refused. The limits leave room for what MySpace pages are made of: glows,
//! soft shadows, neon text, a few layered backgrounds.
//!
//! | What | Limit |
//! |---|---|
//! | `filter` | at most 4 functions, at most 2 `drop-shadow()`; `blur()` and `drop-shadow()` blur at most 16px; no `url()` (SVG filters) |
//! | `box-shadow` | at most 6 layers; blur at most 64px, spread at most ±32px |
//! | `text-shadow` | at most 6 layers; blur at most 32px, spread at most ±8px |
//! | `background`, `background-image`, `mask`, `mask-image` | at most 8 layers |
//! | `transform`, `scale` | scale factors (and a `matrix()`'s) within ±4; no `perspective` (function or property), `translateZ()`, `translate3d()` with a depth, `matrix3d()` |
//! | `backdrop-filter`, `will-change` | refused |
//! | in `@keyframes` | no `filter`, `backdrop-filter`, `box-shadow`, `text-shadow`, `mask*` (each frame would repaint them) |
//!
//! Enlarging transforms are bounded because an element scaled twentyfold needs a raster the
//! size of twenty screens: Chromium then drops tiles elsewhere on the page, the site's header
//! included. Depth (perspective, translateZ) enlarges without bound, so it is refused.
//!
//! Radii (blur and spread) count only in absolute units (px, or in, cm, mm, Q, pt, pc, which
//! convert to px): `em`, `%`, viewport and container units and `calc()` depend on sizes the
//! sheet itself can make huge, so they are refused with that reason. For the same reason
//! these properties cannot be set through `var()`: its value is only known in the browser.

use lightningcss::{
    properties::{
        custom::{Token, TokenList, TokenOrValue},
        effects::{Filter, FilterList},
        transform::{Perspective, Scale, Transform},
        Property,
    },
    values::{length::Length, percentage::NumberOrPercentage},
};

pub const MAX_FILTER_FUNCTIONS: usize = 4;
pub const MAX_DROP_SHADOWS: usize = 2;
pub const MAX_FILTER_BLUR_PX: f32 = 16.0;
pub const MAX_SHADOW_LAYERS: usize = 6;
pub const MAX_BOX_SHADOW_BLUR_PX: f32 = 64.0;
pub const MAX_BOX_SHADOW_SPREAD_PX: f32 = 32.0;
pub const MAX_TEXT_SHADOW_BLUR_PX: f32 = 32.0;
pub const MAX_TEXT_SHADOW_SPREAD_PX: f32 = 8.0;
pub const MAX_IMAGE_LAYERS: usize = 8;
pub const MAX_SCALE: f32 = 4.0;

/// Refused wherever they appear, with why.
const REFUSED: &[(&str, &str)] = &[
    (
        "backdrop-filter",
        "it filters everything behind the box at every paint",
    ),
    (
        "will-change",
        "it makes a compositing layer of each element it matches",
    ),
];

/// Properties whose cost depends on their values, which must then be known when saving.
const BOUNDED: &[&str] = &[
    "filter",
    "box-shadow",
    "text-shadow",
    "background",
    "background-image",
    "mask",
    "mask-image",
    "transform",
    "scale",
    "perspective",
];

/// `Err(why)` when `property` costs too much to paint, or its cost cannot be known.
pub fn check(property: &Property<'_>) -> Result<(), String> {
    let id = property.property_id();
    let name = id.name().to_ascii_lowercase();
    if let Some((name, why)) = REFUSED
        .iter()
        .find(|(refused, _)| unprefixed(&name) == *refused)
    {
        return Err(format!("`{name}` ({why})"));
    }
    match property {
        Property::Filter(FilterList::Filters(filters), _) => check_filters(filters),
        Property::BoxShadow(shadows, _) => check_shadows(
            "box-shadow",
            shadows.iter().map(|shadow| (&shadow.blur, &shadow.spread)),
            MAX_BOX_SHADOW_BLUR_PX,
            MAX_BOX_SHADOW_SPREAD_PX,
        ),
        Property::TextShadow(shadows) => check_shadows(
            "text-shadow",
            shadows.iter().map(|shadow| (&shadow.blur, &shadow.spread)),
            MAX_TEXT_SHADOW_BLUR_PX,
            MAX_TEXT_SHADOW_SPREAD_PX,
        ),
        Property::Background(layers) => check_layers("background", layers.len()),
        Property::BackgroundImage(layers) => check_layers("background-image", layers.len()),
        Property::Mask(layers, _) => check_layers("mask", layers.len()),
        Property::MaskImage(layers, _) => check_layers("mask-image", layers.len()),
        Property::Transform(list, _) => list.0.iter().try_for_each(check_transform),
        Property::Scale(Scale::XYZ { x, y, z }) => [x, y, z]
            .into_iter()
            .try_for_each(|factor| check_scale("a scale", factor)),
        Property::Perspective(Perspective::Length(_), _) => {
            Err("`perspective` (depth enlarges what it holds without bound)".into())
        }
        Property::Unparsed(unparsed)
            if BOUNDED.contains(&name.as_str()) && !is_keyword(&unparsed.value) =>
        {
            let variable = unparsed
                .value
                .0
                .iter()
                .any(|token| matches!(token, TokenOrValue::Var(_) | TokenOrValue::Env(_)));
            Err(if variable {
                format!("`{name}` set through var() (its cost would only be known in the browser)")
            } else {
                format!("`{name}` with a value it does not take, or whose cost cannot be bounded (radii in px)")
            })
        }
        _ => Ok(()),
    }
}

/// Whether animating `property` in `@keyframes` would repaint something costly at every frame.
pub fn costly_to_animate(property: &Property<'_>) -> bool {
    let id = property.property_id();
    let name = id.name().to_ascii_lowercase();
    let name = unprefixed(&name);
    matches!(
        name,
        "filter" | "backdrop-filter" | "box-shadow" | "text-shadow" | "will-change"
    ) || name.starts_with("mask")
}

fn unprefixed(name: &str) -> &str {
    ["-webkit-", "-moz-", "-ms-", "-o-"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(name)
}

/// A value the parser kept as tokens that is only a CSS-wide keyword (`inherit`, `none`, …):
/// it takes a value from elsewhere that is bounded already.
fn is_keyword(value: &TokenList<'_>) -> bool {
    let mut words = value.0.iter().filter(|token| !token.is_whitespace());
    let keyword = |token: &TokenOrValue<'_>| match token {
        TokenOrValue::Token(Token::Ident(word)) => {
            matches!(
                word.to_ascii_lowercase().as_str(),
                "inherit" | "initial" | "unset" | "revert" | "revert-layer" | "none"
            )
        }
        _ => false,
    };
    matches!((words.next(), words.next()), (Some(only), None) if keyword(only))
}

fn check_filters(filters: &[Filter<'_>]) -> Result<(), String> {
    if filters.len() > MAX_FILTER_FUNCTIONS {
        return Err(format!(
            "a filter of {} functions (at most {MAX_FILTER_FUNCTIONS})",
            filters.len()
        ));
    }
    let drop_shadows = filters
        .iter()
        .filter(|filter| matches!(filter, Filter::DropShadow(_)))
        .count();
    if drop_shadows > MAX_DROP_SHADOWS {
        return Err(format!(
            "a filter of {drop_shadows} drop-shadow() (at most {MAX_DROP_SHADOWS})"
        ));
    }
    for filter in filters {
        match filter {
            Filter::Blur(radius) => check_radius("a blur() radius", radius, MAX_FILTER_BLUR_PX)?,
            Filter::DropShadow(shadow) => {
                check_radius("a drop-shadow() blur", &shadow.blur, MAX_FILTER_BLUR_PX)?
            }
            Filter::Url(_) => {
                return Err("a filter: url() (an SVG filter; filter functions only)".into())
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_shadows<'a>(
    name: &str,
    layers: impl ExactSizeIterator<Item = (&'a Length, &'a Length)>,
    max_blur: f32,
    max_spread: f32,
) -> Result<(), String> {
    if layers.len() > MAX_SHADOW_LAYERS {
        return Err(format!(
            "a {name} of {} layers (at most {MAX_SHADOW_LAYERS})",
            layers.len()
        ));
    }
    for (blur, spread) in layers {
        check_radius(&format!("a {name} blur"), blur, max_blur)?;
        check_radius(&format!("a {name} spread"), spread, max_spread)?;
    }
    Ok(())
}

fn check_transform(transform: &Transform) -> Result<(), String> {
    let deep = |what: &str| {
        Err(format!(
            "a transform with {what} (depth enlarges without bound)"
        ))
    };
    match transform {
        Transform::Scale(x, y) => [x, y]
            .into_iter()
            .try_for_each(|factor| check_scale("a scale()", factor)),
        Transform::ScaleX(factor) | Transform::ScaleY(factor) | Transform::ScaleZ(factor) => {
            check_scale("a scale()", factor)
        }
        Transform::Scale3d(x, y, z) => [x, y, z]
            .into_iter()
            .try_for_each(|factor| check_scale("a scale3d()", factor)),
        Transform::Matrix(matrix) => {
            if [matrix.a, matrix.b, matrix.c, matrix.d]
                .iter()
                .all(|factor| factor.is_finite() && factor.abs() <= MAX_SCALE)
            {
                Ok(())
            } else {
                Err(format!("a matrix() that scales beyond {MAX_SCALE}"))
            }
        }
        Transform::Matrix3d(_) => deep("matrix3d()"),
        Transform::Perspective(_) => deep("perspective()"),
        Transform::TranslateZ(_) => deep("translateZ()"),
        Transform::Translate3d(_, _, z) if !is_zero(z) => deep("translate3d() with a depth"),
        _ => Ok(()),
    }
}

fn is_zero(length: &Length) -> bool {
    matches!(length, Length::Value(value) if value.to_px() == Some(0.0))
}

fn check_scale(what: &str, factor: &NumberOrPercentage) -> Result<(), String> {
    let value = match factor {
        NumberOrPercentage::Number(number) => *number,
        NumberOrPercentage::Percentage(percentage) => percentage.0,
    };
    if value.is_finite() && value.abs() <= MAX_SCALE {
        Ok(())
    } else {
        Err(format!("{what} of {value} (at most {MAX_SCALE}×)"))
    }
}

fn check_layers(name: &str, layers: usize) -> Result<(), String> {
    if layers > MAX_IMAGE_LAYERS {
        return Err(format!(
            "a {name} of {layers} layers (at most {MAX_IMAGE_LAYERS})"
        ));
    }
    Ok(())
}

/// A radius in px within ±`max`; other units are refused, since their size is not known here.
fn check_radius(what: &str, length: &Length, max: f32) -> Result<(), String> {
    let value = match length {
        Length::Value(value) => value,
        Length::Calc(_) => {
            return Err(format!(
                "{what} given with calc() (radii must be in px to be bounded)"
            ))
        }
    };
    let (number, unit) = value.to_unit_value();
    match value.to_px() {
        Some(px) if px.is_finite() && px.abs() <= max => Ok(()),
        Some(_) => Err(format!("{what} of {number}{unit} (at most {max}px)")),
        None => Err(format!(
            "{what} in {unit} (radii must be in px to be bounded)"
        )),
    }
}
