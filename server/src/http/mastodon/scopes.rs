//! Every client-API route with what it asks of the caller (Mastodon's scope table). The API's
//! router is built only from [`Routes`], whose methods take the access rule beside the
//! handler, so a route without a declared scope cannot be written; the rule is enforced
//! before the handler runs. [`super::table`] lists them all for the tests.

use app::backend::{api_keys::Caller, Backend};
use axum::{
    extract::Request,
    handler::Handler,
    http::{Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{self, MethodRouter},
    Router,
};

use super::ApiError;

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a token (instance information, OAuth itself).
    Anyone,
    /// Any valid token (an app checking its own).
    Token,
    /// Anyone; a token, if one is sent, must grant the scope (Mastodon's
    /// `authorize_if_got_token!`: a `write`-only token cannot read private statuses here).
    Open(&'static str),
    /// A token that grants the scope and acts for a person.
    User(&'static str),
}

/// One route of the table.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// The API's routes, each with its [`Access`].
#[derive(Default)]
pub struct Routes {
    /// Each path's methods, merged into one router per path when the API is built.
    paths: Vec<(&'static str, MethodRouter<Backend>)>,
    table: Vec<Route>,
}

impl Routes {
    pub fn get<H: Handler<T, Backend>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::GET, path, access, routing::get(handler))
    }

    pub fn post<H: Handler<T, Backend>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::POST, path, access, routing::post(handler))
    }

    pub fn put<H: Handler<T, Backend>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PUT, path, access, routing::put(handler))
    }

    pub fn patch<H: Handler<T, Backend>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::PATCH, path, access, routing::patch(handler))
    }

    pub fn delete<H: Handler<T, Backend>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::DELETE, path, access, routing::delete(handler))
    }

    /// Every method (listed as `GET` in the table).
    pub fn any<H: Handler<T, Backend>, T: 'static>(
        mut self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        // `any` is all fallback, which only `layer` reaches.
        let guarded = routing::any(handler).layer(middleware::from_fn(
            move |request: Request, next: Next| enforce(access, request, next),
        ));
        self.paths.push((path, guarded));
        self.table.push(Route {
            method: Method::GET,
            path,
            access,
        });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        for (path, methods) in other.paths {
            self = self.with(path, methods);
        }
        self.table.extend(other.table);
        self
    }

    pub fn into_parts(self) -> (Router<Backend>, Vec<Route>) {
        let router = self
            .paths
            .into_iter()
            .fold(Router::new(), |router, (path, methods)| {
                router.route(path, methods)
            });
        (router, self.table)
    }

    fn add(
        self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<Backend>,
    ) -> Self {
        let guarded =
            handler.route_layer(middleware::from_fn(move |request: Request, next: Next| {
                enforce(access, request, next)
            }));
        let mut routes = self.with(path, guarded);
        routes.table.push(Route {
            method,
            path,
            access,
        });
        routes
    }

    /// Adds `methods` to `path`, beside the methods it already has.
    fn with(mut self, path: &'static str, methods: MethodRouter<Backend>) -> Self {
        match self
            .paths
            .iter()
            .position(|(existing, _)| *existing == path)
        {
            Some(index) => {
                let (_, existing) = self.paths.remove(index);
                self.paths.insert(index, (path, existing.merge(methods)));
            }
            None => self.paths.push((path, methods)),
        }
        self
    }
}

/// Refuses a caller the route's access rule does not admit (401 without a needed token, 403
/// for a token without the scope, 422 for an app's own token where a person must act).
async fn enforce(access: Access, request: Request, next: Next) -> Response {
    let caller = request.extensions().get::<Caller>();
    let refusal = match (access, caller) {
        (Access::Anyone, _) => None,
        (Access::Token | Access::User(_), None) => Some(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "The access token is invalid",
        )),
        (Access::Token, Some(_)) | (Access::Open(_), None) => None,
        (Access::Open(scope) | Access::User(scope), Some(caller))
            if !caller.scopes.allow(scope) =>
        {
            Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            ))
        }
        (Access::User(_), Some(caller)) if caller.user_id.is_none() => Some(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This method requires an authenticated user",
        )),
        (Access::Open(_) | Access::User(_), Some(_)) => None,
    };
    match refusal {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    }
}
