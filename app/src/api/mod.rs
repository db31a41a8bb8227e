//! Server functions: typed calls from the browser (or a plain form post) to the server.
//! Each one parses its input, then delegates to `backend`, which owns the rules.

pub mod timeline;
