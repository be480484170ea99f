//! The staff dashboard (`foi run` serves it; here `web::Application` on port 0 against a
//! fresh database, on SQLite and PostgreSQL): no page or API route without a session, the
//! session rotated at login and ended at logout, CSRF refusal, login throttling, a council's
//! `<script>` shown as text, upload limits, downloads as attachments, actions on the
//! timeline under the staff member's name, and the JSON API. Then the whole thing in a real
//! browser (headless Chromium, SQLite only).

use crate::common::{self, TestDb};
use crate::support::browser::Browser;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use foi::mail::MailTransport;
use foi::services::ingest::Ingested;
use reqwest::header;
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery";

fn t0() -> DateTime<Utc> {
    // Requests sent some weeks before today, so their clocks run on the real calendar.
    let d = Utc::now() - Duration::days(40);
    Utc.with_ymd_and_hms(d.year(), d.month(), d.day(), 10, 0, 0)
        .unwrap()
}

/// The dashboard served on a free loopback port; it stops when this is dropped.
pub struct Served {
    pub base: String,
    pub app: Arc<foi::AppContext>,
    _stop: tokio::sync::watch::Sender<bool>,
}

pub async fn serve(settings: foi::settings::Settings) -> Served {
    let (transport, _sent) = MailTransport::memory();
    let app = Arc::new(
        foi::AppContext::build(settings)
            .await
            .unwrap()
            .with_transport(transport)
            .with_worker("test"),
    );
    let web = foi::web::Application::build(app.clone(), "127.0.0.1:0")
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", web.port());
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(web.run_until_stopped(rx));
    Served {
        base,
        app,
        _stop: tx,
    }
}

fn settings(db: &TestDb) -> foi::settings::Settings {
    let mut s = db.settings();
    s.mail.outbox.per_minute = 0;
    s.mail.outbox.per_domain_per_minute = 0;
    s
}

/// An HTTP client that follows no redirects (so they can be checked) and keeps one cookie.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    pub csrf: String,
}

fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.to_string())
}

fn set_cookie_token(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

fn field(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookie: None,
            csrf: String::new(),
        }
    }

    fn with_cookie(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => r.header(header::COOKIE, format!("foi_session={c}")),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.with_cookie(self.http.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut pairs: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        pairs.extend_from_slice(form);
        self.with_cookie(self.http.post(format!("{}{path}", self.base)))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&pairs).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// Tries to log in; the response as it came.
    pub async fn try_login(&self, name: &str, password: &str) -> reqwest::Response {
        let page = self
            .http
            .get(format!("{}/login", self.base))
            .send()
            .await
            .unwrap();
        let pre = set_cookie_token(&cookie_value(&page, "foi_login").unwrap());
        let html = page.text().await.unwrap();
        let token = field(&html, "csrf");
        let mut req = self
            .http
            .post(format!("{}/login", self.base))
            .header(header::COOKIE, format!("foi_login={pre}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("csrf", token.as_str()),
                    ("name", name),
                    ("password", password),
                    ("next", "/"),
                ])
                .unwrap(),
            );
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, format!("foi_session={c}"));
        }
        req.send().await.unwrap()
    }

    pub async fn login(&mut self, name: &str, password: &str) {
        let res = self.try_login(name, password).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login failed");
        self.cookie = Some(set_cookie_token(
            &cookie_value(&res, "foi_session").unwrap(),
        ));
        let s: serde_json::Value = self.get("/api/session").await.json().await.unwrap();
        self.csrf = s["csrf"].as_str().unwrap().to_string();
    }
}

async fn staff(app: &foi::AppContext, name: &str) {
    foi::services::staff::add_user(app, Utc::now(), name, PASSWORD)
        .await
        .unwrap();
}

/// A council with a link and an email request to it, sent at t0; returns its reference.
async fn sent_request(app: &foi::AppContext) -> (String, String) {
    let (slug, link) =
        common::council_with_link(app, "Southvale Council", "foi@southvale.example.gov.uk").await;
    let l = common::Queue::new(app, t0())
        .queue_one(
            "twinning-agreement",
            &slug,
            Some(link),
            &BTreeMap::new(),
            false,
            false,
        )
        .await
        .unwrap();
    let out = common::run_job(app, "dispatch", t0()).await.unwrap();
    assert!(out.starts_with("1 sent"), "{out}");
    (l.reference, slug)
}

/// The council's reply to `reference`, carrying `body` as its text.
async fn reply(app: &foi::AppContext, reference: &str, subject: &str, body: &str) -> i32 {
    let raw = format!(
        "From: FOI Team <foi@southvale.example.gov.uk>\r\n\
         To: {}\r\n\
         Subject: {subject}\r\n\
         Message-ID: <{}@southvale.example.gov.uk>\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        app.settings.reply_address(reference),
        foi::files::sha256_hex(body.as_bytes()),
    );
    match common::Inbox(app)
        .ingest(raw.as_bytes(), "test", t0() + Duration::days(10))
        .await
        .unwrap()
    {
        Ingested::Stored { id, .. } => id,
        other => panic!("{other:?}"),
    }
}

const GET_PAGES: &[&str] = &[
    "/",
    "/charts/days-taken.svg",
    "/requests",
    "/requests/foi-2026-0001",
    "/messages/1",
    "/attachments/1",
    "/queue",
    "/drafts",
    "/drafts/1",
    "/requests/foi-2026-0001/approve",
    "/inbox",
    "/findings",
    "/documents",
    "/documents/1",
    "/search?q=x",
    "/authorities",
    "/authorities/southvale-council",
    "/twinnings",
];

const POST_PAGES: &[&str] = &[
    "/logout",
    "/queue",
    "/requests/foi-2026-0001/classify",
    "/requests/foi-2026-0001/clock",
    "/requests/foi-2026-0001/response",
    "/requests/foi-2026-0001/review",
    "/requests/foi-2026-0001/review-outcome",
    "/requests/foi-2026-0001/complaint",
    "/requests/foi-2026-0001/approve",
    "/drafts/1",
    "/inbox/1/assign",
    "/findings/1/decide",
    "/documents/1/facts",
    "/authorities/import",
    "/authorities/southvale-council/email",
];

const API: &[(&str, &str)] = &[
    ("GET", "/api/session"),
    ("GET", "/api/status"),
    ("GET", "/api/stats"),
    ("GET", "/api/requests"),
    ("GET", "/api/requests/foi-2026-0001"),
    ("POST", "/api/requests/foi-2026-0001/classify"),
    ("POST", "/api/queue"),
    ("GET", "/api/drafts"),
    ("GET", "/api/findings"),
    ("GET", "/api/search?q=x"),
    ("GET", "/api/authorities"),
    ("GET", "/api/nothing-here"),
];

async fn no_route_without_a_session(db: TestDb) {
    let s = serve(settings(&db)).await;
    sent_request(&s.app).await;
    let c = Client::new(&s.base);
    for path in GET_PAGES {
        let res = c.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path}");
        let to = res.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(to.starts_with("/login?next=%2F"), "GET {path} → {to}");
    }
    for path in POST_PAGES {
        let res = c.post(path, &[("x", "1")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "POST {path}");
        assert!(res.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login"));
    }
    for (method, path) in API {
        let url = format!("{}{path}", s.base);
        let res = match *method {
            "GET" => c.http.get(&url).send().await.unwrap(),
            _ => c
                .http
                .post(&url)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap(),
        };
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("log in"), "{body}");
    }
    // A made-up session cookie is no session.
    let mut forged = Client::new(&s.base);
    forged.cookie = Some("0".repeat(64));
    assert_eq!(forged.get("/").await.status(), StatusCode::SEE_OTHER);
    // Only these answer without one.
    assert_eq!(c.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(c.get("/login").await.status(), StatusCode::OK);
    assert_eq!(c.get("/static/style.css").await.status(), StatusCode::OK);
    // The login page sends nobody elsewhere: `next` is a path on this site or nothing.
    let page = c
        .get("/login?next=//evil.example.org/")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"next\" value=\"/\""), "{page}");
}

async fn login_rotates_the_session_and_logout_ends_it(db: TestDb) {
    let mut settings = settings(&db);
    settings.web.secure_cookies = true;
    let s = serve(settings).await;
    staff(&s.app, "ada").await;
    let mut c = Client::new(&s.base);
    // A session id planted before login is not the one used after it.
    c.cookie = Some("a".repeat(64));
    let res = c.try_login("ada", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = cookie_value(&res, "foi_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set.contains(flag), "{flag} missing from {set}");
    }
    let first = set_cookie_token(&set);
    assert_ne!(first, "a".repeat(64));
    c.cookie = Some(first.clone());
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    // Logging in again gives a new session id.
    c.login("ada", PASSWORD).await;
    let second = c.cookie.clone().unwrap();
    assert_ne!(first, second);
    // Only the token's hash is stored.
    let db_text = format!("{:?}", foi::store::staff::users(&s.app.db).await.unwrap());
    assert!(!db_text.contains(&second));
    // Logout ends it: the cookie no longer opens anything.
    let res = c.post("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(cookie_value(&res, "foi_session")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(c.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/api/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The other session is still live until it too ends; disabling the account ends it.
    let mut other = Client::new(&s.base);
    other.cookie = Some(first);
    assert_eq!(other.get("/").await.status(), StatusCode::OK);
    foi::services::staff::disable_user(&s.app, "ada")
        .await
        .unwrap();
    assert_eq!(other.get("/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Client::new(&s.base)
            .try_login("ada", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn logins_are_throttled_per_account_and_per_address(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    staff(&s.app, "bea").await;
    let c = Client::new(&s.base);
    for _ in 0..foi::services::staff::MAX_FAILURES_PER_ACCOUNT {
        let res = c.try_login("ada", "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let page = res.text().await.unwrap();
        assert!(page.contains("the name or password is wrong"), "{page}");
    }
    // Even the right password is refused now, and says why.
    let res = c.try_login("ada", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("too many failed logins for this account"));
    // Another account from the same address still logs in…
    assert_eq!(
        c.try_login("bea", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // …until the address has failed too often, whichever names it tried.
    let tried = foi::services::staff::MAX_FAILURES_PER_ACCOUNT;
    for i in tried..foi::services::staff::MAX_FAILURES_PER_ADDRESS {
        let res = c.try_login(&format!("nobody{i}"), "wrong password!").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = c.try_login("bea", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("from this address"));
}

async fn forms_without_the_csrf_token_are_refused(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    reply(&s.app, &reference, "Your request", "We refuse.").await;
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let path = format!("/requests/{reference}/classify");
    let good = c.csrf.clone();
    for bad in ["", "0000", &"f".repeat(64)] {
        c.csrf = bad.to_string();
        let res = c.post(&path, &[("outcome", "refused")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "token {bad:?}");
        assert!(res.text().await.unwrap().contains("security token"));
    }
    // A multipart form without it, and an API call without the header.
    let res = c
        .with_cookie(
            c.http
                .post(format!("{}/requests/{reference}/response", s.base)),
        )
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XX")
        .body(
            "--XX\r\nContent-Disposition: form-data; name=\"outcome\"\r\n\r\nrefused\r\n--XX--\r\n",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .with_cookie(
            c.http
                .post(format!("{}/api/requests/{reference}/classify", s.base)),
        )
        .json(&serde_json::json!({"outcome": "refused"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("security token"));
    // Nothing was recorded.
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert_eq!(d.row.state.as_str(), "response_received");
    // With the token it is.
    c.csrf = good;
    let res = c
        .post(&path, &[("outcome", "refused"), ("exemptions", "s43")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert_eq!(d.row.state.as_str(), "refused");
    // On the timeline under the staff member's name, not (cli).
    let last = d
        .timeline
        .iter()
        .rev()
        .find(|e| e.detail.contains("refused"))
        .unwrap();
    assert_eq!(last.actor, "staff:ada", "{last:?}");
}

async fn a_councils_script_is_shown_as_text(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    let id = reply(
        &s.app,
        &reference,
        "Re: <script>alert(1)</script>",
        "Dear requester,\r\n<script>alert(1)</script>\r\n<img src=x onerror=alert(2)>",
    )
    .await;
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    for path in [
        format!("/requests/{reference}"),
        format!("/messages/{id}"),
        "/".into(),
    ] {
        let res = c.get(&path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers().clone();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.contains_key(header::REFERRER_POLICY));
        let page = res.text().await.unwrap();
        assert!(!page.contains("<script>alert"), "{path}: unescaped script");
        assert!(!page.contains("<img src=x"), "{path}: unescaped tag");
        if path != "/" {
            assert!(
                page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}"
            );
        }
        // The only script is the dashboard's own file.
        assert_eq!(page.matches("<script").count(), 1, "{path}");
        assert!(page.contains("<script src=\"/static/app.js\" defer></script>"));
    }
}

fn multipart(csrf: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "foi-test-boundary-7d1";
    let mut body = Vec::new();
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    for (k, v) in all {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn uploads_are_limited_and_downloads_are_attachments(db: TestDb) {
    let mut settings = settings(&db);
    settings.web.max_upload_bytes = 4096;
    let s = serve(settings).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let today = foi::calendar::london_date(Utc::now()).to_string();
    let fields = [("received", today.as_str()), ("outcome", "successful")];
    let post = |ct: String, body: Vec<u8>| {
        c.with_cookie(
            c.http
                .post(format!("{}/requests/{reference}/response", s.base)),
        )
        .header(header::CONTENT_TYPE, ct)
        .body(body)
        .send()
    };
    // Over the limit: refused whole, nothing stored.
    let big = vec![b'x'; 8000];
    let (ct, body) = multipart(&c.csrf, &fields, ("scan.pdf", &big));
    let res = post(ct, body).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("max_upload_bytes"));
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert_eq!(d.messages.len(), 1, "only our letter");
    assert_eq!(d.row.state.as_str(), "sent");
    // Within it: kept in the content-addressed store under a safe name.
    let small = b"<html><script>alert(1)</script></html>".to_vec();
    let (ct, body) = multipart(&c.csrf, &fields, ("../../evil \"name\".html", &small));
    let res = post(ct, body).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert_eq!(d.row.state.as_str(), "successful");
    let logged = d
        .messages
        .iter()
        .find(|m| !m.attachments.is_empty())
        .unwrap();
    let a = &logged.attachments[0];
    let sha = foi::files::sha256_hex(&small);
    let stored = db.dir.path().join("var/attachments");
    let found: Vec<_> = walk(&stored)
        .into_iter()
        .filter(|p| p.display().to_string().contains(&sha))
        .collect();
    assert_eq!(found.len(), 1, "stored by its SHA-256: {found:?}");
    // The download: the same bytes, as an attachment, never as a page of this site.
    let res = c.get(&format!("/attachments/{}", a.id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(!disposition.contains(".."), "{disposition}");
    assert!(!disposition.contains('/'), "{disposition}");
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), small);
    // Who recorded it.
    assert!(d.timeline.iter().any(|e| e.actor == "staff:ada"));
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn the_api_answers_in_json(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, slug) = sent_request(&s.app).await;
    reply(&s.app, &reference, "Your request", "Here it is.").await;
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let list: serde_json::Value = c
        .get("/api/requests?state=response_received")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["reference"], reference.as_str());
    assert_eq!(list[0]["nation"], "England");
    let res = c
        .with_cookie(
            c.http
                .post(format!("{}/api/requests/{reference}/classify", s.base)),
        )
        .header("X-CSRF-Token", &c.csrf)
        .json(&serde_json::json!({"outcome": "refused", "exemptions": "s99"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: serde_json::Value = res.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("s99"), "{e}");
    let res = c
        .with_cookie(
            c.http
                .post(format!("{}/api/requests/{reference}/classify", s.base)),
        )
        .header("X-CSRF-Token", &c.csrf)
        .json(&serde_json::json!({"outcome": "refused", "exemptions": "s43(2)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let done: serde_json::Value = res.json().await.unwrap();
    assert_eq!(done["state"], "refused");
    assert_eq!(done["exemptions"][0], "s43(2)");
    let queued: serde_json::Value = c
        .with_cookie(c.http.post(format!("{}/api/queue", s.base)))
        .header("X-CSRF-Token", &c.csrf)
        .json(&serde_json::json!({"template": "twinning-agreement", "authority": slug, "dry_run": true, "again": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queued["stored"], false, "{queued}");
    let one: serde_json::Value = c
        .get(&format!("/api/requests/{reference}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["state"], "refused");
    assert!(one["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "staff:ada"));
    let status: serde_json::Value = c.get("/api/status").await.json().await.unwrap();
    assert_eq!(status["total"], 1, "{status}");
    let stats = c.get("/api/stats").await;
    assert_eq!(stats.status(), StatusCode::OK);
    let chart = c.get("/charts/outcomes-by-council.svg").await;
    assert_eq!(chart.status(), StatusCode::OK);
    assert_eq!(chart.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(chart.text().await.unwrap().contains("<svg"));
    let missing = c.get("/api/requests/foi-1999-0001").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let e: serde_json::Value = missing.json().await.unwrap();
    assert!(e["error"].as_str().is_some());
}

/// At scale the request list comes in pages of 200 (filters kept from page to page) and the
/// overview's lists show 50 each and say how many more there are.
async fn long_lists_come_in_pages(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    foi::services::generate::generate(
        &s.app,
        Utc::now(),
        foi::services::generate::Generate {
            authorities: 20,
            requests: 450,
            seed: 3,
        },
    )
    .await
    .unwrap();
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let rows = |page: &str| page.matches("<tr").count();
    let first = c.get("/requests").await.text().await.unwrap();
    assert!(
        first.contains("450 request(s); 1 to 200 shown (page 1 of 3)"),
        "{first}"
    );
    let header = rows(&first) - 200;
    // (Handlebars writes `=` in an attribute as `&#x3D;`, which the browser reads back.)
    assert!(first.contains("href=\"/requests?page&#x3D;2\""), "{first}");
    assert!(!first.contains(">Previous<"));
    let last = c.get("/requests?page=3").await.text().await.unwrap();
    assert!(last.contains("401 to 450 shown (page 3 of 3)"), "{last}");
    assert_eq!(rows(&last) - header, 50);
    assert!(
        last.contains(">Previous<") && !last.contains(">Next<"),
        "{last}"
    );
    // A page past the end shows the last; a page that is no number is refused.
    let past = c.get("/requests?page=9").await.text().await.unwrap();
    assert!(past.contains("(page 3 of 3)"), "{past}");
    let res = c.get("/requests?page=zero").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The filters go with the pages.
    let sorted = c
        .get("/requests?sort=reference")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        sorted.contains("sort&#x3D;reference&amp;page&#x3D;2"),
        "{sorted}"
    );
    // The overview: at most 50 lines a list, and how many more.
    let status =
        foi::services::status::status(&s.app, Utc::now(), None, foi::services::status::Lines::All)
            .await
            .unwrap();
    let overdue = status.overdue.len();
    assert!(overdue > 50, "{overdue}");
    let overview = c.get("/").await.text().await.unwrap();
    let section = overview
        .split("<h2>Overdue</h2>")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert_eq!(section.matches("<li>").count(), 50, "{section}");
    assert!(
        section.contains(&format!("and {} more, less late", overdue - 50)),
        "{section}"
    );
}

db_tests!(
    long_lists_come_in_pages,
    no_route_without_a_session,
    login_rotates_the_session_and_logout_ends_it,
    logins_are_throttled_per_account_and_per_address,
    forms_without_the_csrf_token_are_refused,
    a_councils_script_is_shown_as_text,
    uploads_are_limited_and_downloads_are_attachments,
    the_api_answers_in_json,
);

// ---------------------------------------------------------------------------------------
// The dashboard in a real browser: headless Chromium through chromedriver.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_browser() {
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-output/dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let db = TestDb::sqlite().await;
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    reply(
        &s.app,
        &reference,
        "Your request about Ningbo",
        "We hold the agreement. It was signed on 12 April 2005 and runs for five years.\r\n\
         <script>alert(1)</script>",
    )
    .await;
    // A second council, not yet asked.
    common::council_with_link(&s.app, "Northdale Council", "foi@northdale.example.gov.uk").await;
    // The reply's text, read as a document.
    common::run_job(&s.app, "extract", Utc::now())
        .await
        .unwrap();
    let base = s.base.clone();
    let (browser, _driver) = Browser::start().await;

    // 6. An anonymous visitor is sent to the login page.
    browser.goto(&format!("{base}/requests")).await;
    browser.wait_for_url("/login?next=%2Frequests").await;
    assert!(browser.page_text().await.contains("Log in"));

    // 1. Log in (and land where they were going).
    let name = browser.find("#name").await;
    browser.type_into(&name, "ada").await;
    let password = browser.find("#password").await;
    browser.type_into(&password, PASSWORD).await;
    let button = browser.find("#login").await;
    browser.submit(&button).await;
    browser.wait_for_url("/requests").await;
    assert!(browser.page_text().await.contains(&reference));

    // 2. Queue a request through the form: preview, then queue; it is on the overview.
    browser.goto(&format!("{base}/queue")).await;
    browser.select("#template", "twinning-agreement").await;
    let council = browser
        .find("input[name=authority][value=northdale-council]")
        .await;
    browser.click(&council).await;
    let preview = browser.find("#preview").await;
    browser.submit(&preview).await;
    let letter = browser.find(".preview pre.letter").await;
    assert!(browser.text(&letter).await.contains("Ningbo"));
    assert!(browser.page_text().await.contains("nothing stored yet"));
    let queue = browser.find("#queue").await;
    browser.submit(&queue).await;
    let queued = browser.find("#queued").await;
    let text = browser.text(&queued).await;
    assert!(text.contains("Queued 1 letter"), "{text}");
    let new_ref = text
        .split_whitespace()
        .find(|w| w.starts_with("foi-"))
        .unwrap()
        .to_string();
    browser.goto(&format!("{base}/")).await;
    let overview = browser.page_text().await;
    assert!(overview.contains(&new_ref), "{overview}");
    assert!(overview.contains("Replies to classify"));
    browser.screenshot(&shots.join("overview.png")).await;

    // 3. Classify the reply: refused under s.43.
    browser.goto(&format!("{base}/requests/{reference}")).await;
    let summary = browser.find("#classify-box summary").await;
    browser.click(&summary).await;
    browser.select("#outcome", "refused").await;
    let exemptions = browser.find("#exemptions").await;
    browser.type_into(&exemptions, "s43").await;
    let submit = browser.find("#classify-submit").await;
    browser.submit(&submit).await;
    browser
        .wait_for_url(&format!("/requests/{reference}"))
        .await;
    let h1 = browser.find("h1 .state").await;
    assert_eq!(browser.text(&h1).await, "refused");
    let timeline = browser.find("table.timeline").await;
    assert!(browser.text(&timeline).await.contains("staff:ada"));
    // The council's script is on the page as text.
    assert!(browser
        .page_text()
        .await
        .contains("<script>alert(1)</script>"));

    // 4. Draft the internal review, read it, approve it.
    let summary = browser.find("#review-box summary").await;
    browser.click(&summary).await;
    let submit = browser.find("#review-submit").await;
    browser.submit(&submit).await;
    browser
        .wait_for_url(&format!("/requests/{reference}/approve"))
        .await;
    let letter = browser.find("pre.letter").await;
    assert!(browser.text(&letter).await.contains("internal review"));
    let approve = browser.find("#approve").await;
    browser.submit(&approve).await;
    browser
        .wait_for_url(&format!("/requests/{reference}"))
        .await;
    let page = browser.page_text().await;
    assert!(page.contains("internal review"), "{page}");
    assert!(!page.contains("Read and approve the drafted letter"));
    browser.screenshot(&shots.join("request.png")).await;
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert!(
        d.messages
            .iter()
            .any(|m| m.kind.as_str() == "internal_review" && m.state.as_str() == "queued"),
        "{:?}",
        d.messages
            .iter()
            .map(|m| (m.kind, m.state))
            .collect::<Vec<_>>()
    );

    // 5. Record a finding from the document: the signing date, from page 1.
    browser.goto(&format!("{base}/documents")).await;
    let doc = browser.find("table a[href^=\"/documents/\"]").await;
    browser.submit(&doc).await;
    let page1 = browser.find("#page-1 pre").await;
    assert!(browser
        .text(&page1)
        .await
        .contains("signed on 12 April 2005"));
    browser.select("#fact-field", "signed_on").await;
    let value = browser.find("#fact-value").await;
    browser.type_into(&value, "2005-04-12").await;
    browser.select("#fact-page", "1").await;
    let submit = browser.find("#fact-submit").await;
    browser.submit(&submit).await;
    browser.wait_for_url("/findings").await;
    let register = browser.find("#register").await;
    let text = browser.text(&register).await;
    assert!(text.contains("2005-04-12 [doc "), "{text}");
    assert!(text.contains("p.1]"), "{text}");
    browser.screenshot(&shots.join("findings.png")).await;

    // Logging out ends the session in the browser too.
    let out = browser.find("form.who button").await;
    browser.submit(&out).await;
    browser.wait_for_url("/login").await;
    browser.goto(&format!("{base}/findings")).await;
    browser.wait_for_url("/login?next=%2Ffindings").await;
    browser.quit().await;
}

/// `foi users …` through the binary, the password on standard input.
fn users(db: &TestDb, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .arg("users")
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn staff_accounts_from_the_command_line(db: TestDb) {
    let out = users(&db, &["add", "ada"], &format!("{PASSWORD}\n"));
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out), "added staff account ada\n");
    let out = users(&db, &["add", "bea"], "short\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("too short: use at least 10 characters"));
    let out = users(&db, &["add", "<b>"], &format!("{PASSWORD}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("is not a staff account name"));
    let out = users(&db, &["list", "--json"], "");
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "ada");
    assert_eq!(list[0]["disabled"], false);
    // The password is stored only as an argon2 hash.
    let app = db.app().await;
    let stored = foi::store::staff::find_user(&app.db, "ada")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(!stored.password_hash.contains(PASSWORD));
    let out = users(&db, &["disable", "ada"], "");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&users(&db, &["list"], "")).contains("disabled"));
    let out = users(&db, &["disable", "nobody"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("no staff account nobody"));
    // A new password enables the account again.
    let out = users(&db, &["add", "ada"], "another long password\n");
    assert!(common::stdout(&out).contains("new password set"));
}

async fn facts_suggestions_and_imports_from_the_dashboard(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    reply(
        &s.app,
        &reference,
        "Your request",
        "The agreement was signed on 12 April 2005.",
    )
    .await;
    common::run_job(&s.app, "extract", Utc::now())
        .await
        .unwrap();
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let docs = foi::services::documents::list(&s.app, &Default::default())
        .await
        .unwrap();
    let doc = docs[0].id;
    let page = c
        .get(&format!("/documents/{doc}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("signed on 12 April 2005"));
    assert!(page.contains("Confirm"), "the suggestion is offered");
    // A page the document does not have is refused, naming it; nothing stored.
    let link = foi::store::twinnings::list(&s.app.db, None, None)
        .await
        .unwrap()[0]
        .0
        .id
        .to_string();
    let res = c
        .post(
            &format!("/documents/{doc}/facts"),
            &[
                ("link", &link),
                ("field", "term"),
                ("value", "5 years"),
                ("page", "9"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("has 1 page(s) of text"));
    let res = c
        .post(
            &format!("/documents/{doc}/facts"),
            &[
                ("link", &link),
                ("field", "term"),
                ("value", "5 years"),
                ("page", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Confirm the suggestion read from it.
    let (_, suggestion) = foi::services::findings::suggestions(&s.app)
        .await
        .unwrap()
        .remove(0);
    let res = c
        .post(
            &format!("/findings/{}/decide", suggestion.id),
            &[
                ("decision", "confirm"),
                ("back", &format!("/documents/{doc}")),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        format!("/documents/{doc}").as_str()
    );
    let register = c.get("/findings").await.text().await.unwrap();
    assert!(
        register.contains(&format!("5 years [doc {doc} p.1]")),
        "{register}"
    );
    assert!(
        register.contains(&format!("2005-04-12 [doc {doc} p.1]")),
        "{register}"
    );
    let all = foi::services::findings::list(&s.app).await.unwrap();
    let facts: Vec<&String> = all[0]
        .facts
        .values()
        .flatten()
        .map(|f| &f.recorded_by)
        .collect();
    assert!(facts.iter().all(|by| *by == "staff:ada"), "{facts:?}");

    // An import with bad rows names each by line and field, and writes nothing.
    let csv = "name,nation,foi_email\nGood Council,England,foi@good.example.gov.uk\nBad Council,Atlantis,not-an-address\n";
    let (ct, body) = multipart(
        &c.csrf,
        &[("kind", "authorities")],
        ("councils.csv", csv.as_bytes()),
    );
    let res = c
        .with_cookie(c.http.post(format!("{}/authorities/import", s.base)))
        .header(header::CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("councils.csv"), "{page}");
    assert!(page.contains("line 3"), "{page}");
    assert!(page.contains("nation"), "{page}");
    assert!(
        foi::store::authorities::get_by_slug(&s.app.db, "good-council")
            .await
            .is_err()
    );
    let good = "name,nation,foi_email\nGood Council,England,foi@good.example.gov.uk\n";
    let (ct, body) = multipart(
        &c.csrf,
        &[("kind", "authorities")],
        ("councils.csv", good.as_bytes()),
    );
    let res = c
        .with_cookie(c.http.post(format!("{}/authorities/import", s.base)))
        .header(header::CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("1 added"));
    // Setting the FOI email from the council's page.
    let res = c
        .post(
            "/authorities/good-council/email",
            &[("email", "not an address")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .post(
            "/authorities/good-council/email",
            &[("email", "requests@good.example.gov.uk")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let a = foi::store::authorities::get_by_slug(&s.app.db, "good-council")
        .await
        .unwrap();
    assert_eq!(a.foi_email.as_deref(), Some("requests@good.example.gov.uk"));
}

db_tests!(
    staff_accounts_from_the_command_line,
    facts_suggestions_and_imports_from_the_dashboard,
);

async fn drafts_and_unmatched_mail_from_the_dashboard(db: TestDb) {
    let s = serve(settings(&db)).await;
    staff(&s.app, "ada").await;
    let (reference, _) = sent_request(&s.app).await;
    reply(&s.app, &reference, "Your request", "We refuse.").await;
    let mut c = Client::new(&s.base);
    c.login("ada", PASSWORD).await;
    let res = c
        .post(
            &format!("/requests/{reference}/classify"),
            &[("outcome", "refused")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = c
        .post(&format!("/requests/{reference}/review"), &[("grounds", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()[header::LOCATION],
        format!("/requests/{reference}/approve").as_str()
    );
    let draft = foi::services::drafts::list(&s.app).await.unwrap().remove(0);
    assert!(c
        .get("/drafts")
        .await
        .text()
        .await
        .unwrap()
        .contains(&format!("/drafts/{}", draft.id)));
    // Edited in the browser (CRLF line ends), kept with LF, marked as staff's words.
    let res = c
        .post(
            &format!("/drafts/{}", draft.id),
            &[
                ("subject", "Internal review please"),
                ("body", "Dear Officer,\r\nMy own words.\r\n"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let shown = foi::services::drafts::show(&s.app, draft.id).await.unwrap();
    assert_eq!(shown.body, "Dear Officer,\nMy own words.\n");
    assert_eq!(shown.edited_by.as_deref(), Some("staff:ada"));
    // Approving what was not shown sends nothing.
    let res = c
        .post(
            &format!("/requests/{reference}/approve"),
            &[("fingerprint", "stale")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("nothing was sent"));
    assert_eq!(foi::services::drafts::list(&s.app).await.unwrap().len(), 1);
    let page = c
        .get(&format!("/requests/{reference}/approve"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("My own words."));
    let fingerprint = field(&page, "fingerprint");
    let res = c
        .post(
            &format!("/requests/{reference}/approve"),
            &[("fingerprint", &fingerprint)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(foi::services::drafts::list(&s.app)
        .await
        .unwrap()
        .is_empty());
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert_eq!(d.row.state.as_str(), "internal_review");

    // Mail nobody could match waits in the holding pen until staff file it.
    let raw = "From: someone@elsewhere.example.org\r\nTo: info@campaign.example.org\r\n\
               Subject: About your letter\r\nMessage-ID: <lost-1@elsewhere.example.org>\r\n\
               Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nWe hold nothing further.\r\n";
    let Ingested::Stored {
        id,
        reference: None,
        ..
    } = common::Inbox(&s.app)
        .ingest(raw.as_bytes(), "test", Utc::now())
        .await
        .unwrap()
    else {
        panic!("expected an unmatched message");
    };
    assert!(c
        .get("/inbox")
        .await
        .text()
        .await
        .unwrap()
        .contains("About your letter"));
    let res = c
        .post(
            &format!("/inbox/{id}/assign"),
            &[("reference", "foi-1999-0001")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c
        .post(&format!("/inbox/{id}/assign"), &[("reference", &reference)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!c
        .get("/inbox")
        .await
        .text()
        .await
        .unwrap()
        .contains("About your letter"));
    let d = foi::services::requests::show(&s.app, &reference)
        .await
        .unwrap();
    assert!(d.messages.iter().any(|m| m.id == id));
}

db_tests!(drafts_and_unmatched_mail_from_the_dashboard);
