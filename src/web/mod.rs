//! The staff dashboard: server-rendered pages (axum, Handlebars with escaping on) and a JSON
//! API under `/api/`, served by `foi run` on `[web] bind`. Every handler parses its input,
//! calls one use case in `services/` with the signed-in staff member as the actor, and
//! renders the outcome; there is no business logic here.
//!
//! `Application::build(ctx, bind)` binds (port 0 in tests) and `run_until_stopped` serves
//! until the stop signal, as the daemon's jobs do.

mod api;
mod auth;
mod error;
mod forms;
mod headers;
mod pages;
mod views;

use crate::app::AppContext;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::WebError;

/// What every handler is given: the application context and the page templates.
#[derive(Clone)]
pub struct WebState {
    pub app: Arc<AppContext>,
    pub views: Arc<views::Views>,
}

pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    /// Binds `bind` ("127.0.0.1:0" for any free port) and builds the routes; the page
    /// templates are checked here, so a broken one stops start-up.
    pub async fn build(ctx: Arc<AppContext>, bind: &str) -> anyhow::Result<Application> {
        let views = views::Views::new()?;
        let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
            anyhow::anyhow!("cannot serve the dashboard on {bind} ([web] bind): {e}")
        })?;
        let state = WebState {
            app: ctx,
            views: Arc::new(views),
        };
        Ok(Application {
            listener,
            router: router(state),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Serves until `stop` turns true; requests under way are finished first.
    pub async fn run_until_stopped(
        self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        })
        .await
    }
}

fn router(state: WebState) -> Router {
    let limit = state.app.settings.web.max_upload_bytes as usize;
    let protected = Router::new()
        .route("/", get(pages::overview::show))
        .route("/charts/{file}", get(pages::overview::chart))
        .route("/logout", post(auth::logout))
        .route("/requests", get(pages::requests::list))
        .route("/requests/{reference}", get(pages::requests::show))
        .route(
            "/requests/{reference}/classify",
            post(pages::replies::classify),
        )
        .route("/requests/{reference}/clock", post(pages::replies::clock))
        .route(
            "/requests/{reference}/response",
            post(pages::replies::log_response),
        )
        .route("/requests/{reference}/review", post(pages::drafts::review))
        .route(
            "/requests/{reference}/review-outcome",
            post(pages::drafts::review_outcome),
        )
        .route(
            "/requests/{reference}/complaint",
            post(pages::drafts::complaint),
        )
        .route(
            "/requests/{reference}/approve",
            get(pages::drafts::approval).post(pages::drafts::approve),
        )
        .route("/messages/{id}", get(pages::requests::message))
        .route("/attachments/{id}", get(pages::requests::attachment))
        .route("/queue", get(pages::queue::form).post(pages::queue::submit))
        .route("/drafts", get(pages::drafts::list))
        .route(
            "/drafts/{id}",
            get(pages::drafts::edit_form).post(pages::drafts::edit),
        )
        .route("/inbox", get(pages::replies::unmatched))
        .route("/inbox/{id}/assign", post(pages::replies::assign))
        .route("/findings", get(pages::findings::register))
        .route("/findings/{id}/decide", post(pages::findings::decide))
        .route("/documents", get(pages::findings::documents))
        .route("/documents/{id}", get(pages::findings::document))
        .route("/documents/{id}/facts", post(pages::findings::record_fact))
        .route("/search", get(pages::findings::search))
        .route("/authorities", get(pages::directory::authorities))
        .route("/authorities/import", post(pages::directory::import))
        .route("/authorities/{slug}", get(pages::directory::authority))
        .route(
            "/authorities/{slug}/email",
            post(pages::directory::set_email),
        )
        .route("/twinnings", get(pages::directory::twinnings))
        .nest("/api", api::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_session,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/static/{file}", get(views::asset))
        .merge(protected)
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::secure,
        ))
        .with_state(state)
}
