//! A real browser for the tests: headless Chromium driven through chromedriver with just
//! enough of the WebDriver protocol (no client crate), and the programs and ports it needs.

use std::path::{Path, PathBuf};

/// A program on the PATH (or at one of the usual Debian places).
pub fn program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        if name.starts_with('/') {
            if Path::new(name).is_file() {
                return Some(PathBuf::from(name));
            }
            continue;
        }
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when the test ends, however it ends.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn wait_for(url: &str, what: &str) {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} did not answer at {url} within 10 seconds");
}

/// Just enough of the WebDriver protocol for this test.
pub struct Browser {
    pub http: reqwest::Client,
    pub session: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let url = if path.is_empty() {
            self.session.clone()
        } else {
            format!("{}/{path}", self.session)
        };
        let req = self.http.request(method.clone(), &url);
        let req = if method == reqwest::Method::GET || method == reqwest::Method::DELETE {
            req
        } else {
            req.json(&body)
        };
        let resp: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
        if resp["value"].get("error").is_some() {
            panic!("WebDriver {method} {path}: {}", resp["value"]);
        }
        resp["value"].clone()
    }

    /// The driver's answer to a GET, error or not.
    async fn answer(&self, path: &str) -> serde_json::Value {
        let resp: serde_json::Value = self
            .http
            .get(format!("{}/{path}", self.session))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        resp["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(
            reqwest::Method::POST,
            "url",
            serde_json::json!({ "url": url }),
        )
        .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "url", serde_json::Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The first element matching `css`, waiting up to 10 seconds for it.
    pub async fn find(&self, css: &str) -> String {
        for _ in 0..100 {
            let url = format!("{}/element", self.session);
            let resp: serde_json::Value = self
                .http
                .post(&url)
                .json(&serde_json::json!({ "using": "css selector", "value": css }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = resp["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no element {css} on {}", self.url().await);
    }

    pub async fn text(&self, element: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("element/{element}/text"),
            serde_json::Value::Null,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("element/{element}/click"),
            serde_json::json!({}),
        )
        .await;
    }

    /// Clicks an element that leaves the page (a form's button, a link) and waits until
    /// that page is gone, so that the next lookup reads the new page and never the old one:
    /// under load the old document can outlive the click long enough to be read.
    pub async fn submit(&self, element: &str) {
        self.click(element).await;
        let mut last = serde_json::Value::Null;
        for _ in 0..100 {
            let value = self.answer(&format!("element/{element}/name")).await;
            match value.get("error").and_then(|e| e.as_str()) {
                Some("stale element reference") | Some("no such element") => return,
                // Asked while the new page loads, chromedriver can answer "unknown error"
                // (it cannot tell the loading status): ask again.
                _ => {
                    last = value;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
            }
        }
        panic!(
            "the page did not change after the click; it is at {} (last answer: {last})",
            self.url().await
        );
    }

    pub async fn type_into(&self, element: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("element/{element}/value"),
            serde_json::json!({ "text": text }),
        )
        .await;
    }

    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let png = self
            .call(reqwest::Method::GET, "screenshot", serde_json::Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

impl Browser {
    /// chromedriver on a free loopback port and a headless Chromium session in it; the
    /// driver is killed when the returned `Child` is dropped.
    pub async fn start() -> (Browser, Child) {
        let (Some(chromium), Some(chromedriver)) = (
            program(&[
                "/usr/lib/chromium/chromium",
                "chromium",
                "chromium-browser",
                "google-chrome",
            ]),
            program(&["chromedriver"]),
        ) else {
            panic!(
                "the browser tests need Chromium and chromedriver (Debian packages chromium and \
                 chromium-driver): run scripts/install-deps.sh"
            );
        };
        let driver_port = free_port();
        let child = Child(
            std::process::Command::new(&chromedriver)
                .arg(format!("--port={driver_port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let driver = format!("http://127.0.0.1:{driver_port}");
        wait_for(&format!("{driver}/status"), "chromedriver").await;
        let http = reqwest::Client::new();
        let session: serde_json::Value = http
            .post(format!("{driver}/session"))
            .json(&serde_json::json!({
                "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1280,1000"]
                    }
                }}
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver could not start Chromium: {session}"));
        (
            Browser {
                http,
                session: format!("{driver}/session/{id}"),
            },
            child,
        )
    }

    /// Waits up to 10 seconds for the page's address to end with `suffix`.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if url.ends_with(suffix) {
                return url;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the browser did not reach …{suffix}; it is at {}",
            self.url().await
        );
    }

    /// The whole page's visible text.
    pub async fn page_text(&self) -> String {
        let body = self.find("body").await;
        self.text(&body).await
    }

    /// Picks the option with this value in a <select>.
    pub async fn select(&self, css: &str, value: &str) {
        let option = self.find(&format!("{css} option[value=\"{value}\"]")).await;
        self.click(&option).await;
    }

    pub async fn quit(&self) {
        self.call(reqwest::Method::DELETE, "", serde_json::Value::Null)
            .await;
    }
}
