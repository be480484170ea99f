//! Logging in and out, and the guard in front of every other route: a page without a live
//! session is sent to `/login`, an `/api/` call gets 401 JSON; and every POST must carry the
//! session's CSRF token (a form field `csrf`, or the `X-CSRF-Token` header for the API).

use super::error::WebError;
use super::views::LoginPage;
use super::WebState;
use crate::services::staff::{self, LoginError, Session};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "foi_session";
/// The login form's own CSRF token (double-submit: the cookie and the form field must match),
/// since there is no session yet to hold one.
const LOGIN_COOKIE: &str = "foi_login";

/// A cookie's value from the request's Cookie headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

fn secure(state: &WebState, headers: &HeaderMap) -> bool {
    state.app.settings.web.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool, same_site: &str) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

fn unauthorised(path: &str, query: Option<&str>) -> Response {
    if is_api(path) {
        return WebError::new(StatusCode::UNAUTHORIZED, "log in first: no live session")
            .json()
            .into_response();
    }
    let next = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/login?{q}")).into_response()
}

/// The guard: a live session, and on anything but GET/HEAD its CSRF token.
pub async fn require_session(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let token = cookie(req.headers(), SESSION_COOKIE).unwrap_or_default();
    let session = match staff::session(&state.app, chrono::Utc::now(), &token).await {
        Ok(Some(s)) => s,
        Ok(None) => return unauthorised(&path, req.uri().query()),
        Err(e) => return WebError::from(e).into_response(),
    };
    let req = if matches!(*req.method(), Method::GET | Method::HEAD) {
        req
    } else {
        let limit = state.app.settings.web.max_upload_bytes as usize;
        match check_csrf(req, &session.csrf, limit).await {
            Ok(req) => req,
            Err(e) => {
                let e = if is_api(&path) { e.json() } else { e };
                return e.into_response();
            }
        }
    };
    let mut req = req;
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// Reads the token from the header, or from the form body (URL-encoded or multipart), and
/// hands the request on with its body intact.
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, WebError> {
    let refused = || {
        WebError::new(
            StatusCode::FORBIDDEN,
            "this form is out of date or did not come from the dashboard (its security token \
             does not match): go back, reload the page and try again",
        )
    };
    if let Some(h) = req.headers().get("x-csrf-token") {
        return match h.to_str() {
            Ok(v) if same(v, expected) => Ok(req),
            _ => Err(refused()),
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))?;
    let given = if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&content_type, bytes.clone(), "csrf").await
    } else {
        None
    };
    match given {
        Some(v) if same(&v, expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(refused()),
    }
}

pub fn too_large(limit: usize) -> WebError {
    WebError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is larger than the dashboard accepts ({limit} bytes, [web] max_upload_bytes); nothing was stored"
        ),
    )
}

async fn multipart_field(content_type: &str, bytes: Bytes, name: &str) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut m = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = m.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path on this site: never `//host` or a full URL (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn login_page(
    state: &WebState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    error: Option<String>,
) -> Response {
    let token = random_token();
    let html = state.views.login(&LoginPage {
        csrf: token.clone(),
        next: next.to_string(),
        error,
    });
    (
        status,
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &token, 3600, secure(state, headers), "Strict"),
        )],
        html,
    )
        .into_response()
}

pub async fn login_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    login_page(
        &state,
        &headers,
        StatusCode::OK,
        &safe_next(q.next.as_deref()),
        None,
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &f.csrf) {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            &next,
            Some("the login form was out of date: try again".into()),
        );
    }
    let address = peer.ip().to_string();
    match staff::login(
        &state.app,
        chrono::Utc::now(),
        &f.name,
        &f.password,
        &address,
    )
    .await
    {
        Ok(done) => {
            let secure = secure(&state, &headers);
            let max_age = (done.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &done.token, max_age, secure, "Lax")
                    .parse()
                    .expect("a cookie of hex and ASCII is a header value"),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, "", 0, secure, "Strict")
                    .parse()
                    .expect("an ASCII cookie is a header value"),
            );
            res
        }
        Err(LoginError::Service(e)) => WebError::from(e).into_response(),
        Err(e) => {
            let status = match e {
                LoginError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            login_page(&state, &headers, status, &next, Some(e.to_string()))
        }
    }
}

pub async fn logout(
    State(state): State<WebState>,
    Extension(_session): Extension<Session>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        staff::logout(&state.app, &token).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, secure(&state, &headers), "Lax")
            .parse()
            .expect("an ASCII cookie is a header value"),
    );
    Ok(res)
}
