//! Pieces of UI the pages share.

pub mod avatar;
pub mod composer;
pub mod form;
pub mod layout;
pub mod live;
pub mod loading;
pub mod meta;
pub mod navigation;
pub mod profile;
pub mod thought;
pub mod timeline;
