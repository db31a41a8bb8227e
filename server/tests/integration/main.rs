//! The integration tests, as one test binary: each test binary links the whole app (about
//! 900 MB with line tables), so one binary instead of a dozen saves gigabytes of disk and
//! a link per file. The harness (`support`) starts one throwaway PostgreSQL cluster for all
//! of them; every test still gets its own database.

mod support;

mod accounts;
mod binary;
mod client_api;
mod client_core;
mod client_login;
mod crawlers;
mod delivery;
mod documents;
mod edits;
mod federation_delivery;
mod home;
mod inbox;
mod lists;
mod live;
mod profile_css;
mod profile_statuses;
mod profiles;
mod reblogs;
mod reliability;
mod reliability_http;
mod safety;
mod scheduled;
mod schema;
mod search;
mod security_auth;
mod security_input;
mod streaming;
mod thoughts;
mod visibility;
