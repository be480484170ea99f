//! What the site's templates are given: plain data, already masked, with every URL relative
//! to the site's root (templates put `{{@root.root}}` before it, so a page in `councils/`
//! links back up). The same shapes fill the sample contexts the templates are checked
//! against when `foi publish` starts, so a template that names a field these do not have
//! fails there, with its file and line, before anything is written.

use serde::Serialize;

/// About the site as a whole (every page).
#[derive(Debug, Clone, Serialize)]
pub struct SiteInfo {
    pub title: String,
    /// The requester's name: the only thing about them the site shows.
    pub requester: String,
    pub generated_on: String,
    /// Whether email addresses and phone numbers were masked.
    pub masked: bool,
}

/// One page's context: the site, where the root is from this page (`""` or `"../"`), the
/// page's title, and the page's own data.
#[derive(Debug, Serialize)]
pub struct Frame<'a, T: Serialize> {
    pub site: &'a SiteInfo,
    pub root: &'a str,
    pub title: String,
    #[serde(flatten)]
    pub page: &'a T,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameUrl {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub id: i32,
    pub partner_city: String,
    pub partner_province: String,
    pub relationship: String,
    pub status: String,
    pub since_year: Option<i32>,
    pub ended_year: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineLine {
    pub date: String,
    /// The kind of event, in words ("response received").
    pub what: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub reference: String,
    /// In words ("response received").
    pub state: String,
    /// The latest outcome staff recorded, in words ("partially successful").
    pub outcome: Option<String>,
    pub exemptions: Vec<String>,
    /// The partner cities it asks about.
    pub links: String,
    pub sent_on: Option<String>,
    pub due_on: Option<String>,
    pub timeline: Vec<TimelineLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouncilView {
    pub slug: String,
    pub name: String,
    pub nation: String,
    pub url: String,
    pub links: Vec<LinkView>,
    pub requests: Vec<RequestView>,
    /// How many published documents it sent.
    pub documents: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: i32,
    /// As shown: the attachment's name, or "Text of the reply of 16 March 2026".
    pub title: String,
    pub kind: Option<String>,
    pub pages: i32,
    pub received_on: Option<String>,
    pub references: Vec<String>,
    pub councils: Vec<NameUrl>,
    /// Its page of text.
    pub url: String,
    /// The copied file, when it was copied.
    pub file_url: Option<String>,
    pub file_size: Option<String>,
    /// Why the file was not copied (its text page still is).
    pub withheld: Option<String>,
    /// Why some or all of its text could not be read.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    pub value: String,
    pub source: String,
    /// The source's page of text, when that document is published.
    pub url: Option<String>,
    pub excerpt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactGroup {
    pub key: String,
    pub label: String,
    pub facts: Vec<FactView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestState {
    pub reference: String,
    pub state: String,
}

/// One link's row of the agreements register (also `register.json`).
#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    pub link_id: i32,
    pub council: String,
    pub council_slug: String,
    pub council_url: String,
    pub nation: String,
    pub partner_city: String,
    pub partner_province: String,
    pub relationship: String,
    pub link_status: String,
    pub requests: Vec<RequestState>,
    /// Its published documents.
    pub documents: Vec<NameUrl>,
    /// Confirmed facts, in the register's column order.
    pub facts: Vec<FactGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexPage {
    pub councils: Vec<CouncilView>,
    pub register: Vec<RegisterEntry>,
    pub documents: Vec<DocumentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouncilPage {
    pub council: CouncilView,
    pub register: Vec<RegisterEntry>,
    pub documents: Vec<DocumentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageText {
    pub number: i32,
    pub ocr: bool,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentPage {
    pub document: DocumentView,
    pub pages: Vec<PageText>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchPage {
    /// How many pages and councils the index holds.
    pub entries: usize,
}

/// One entry of `search-index.json`: a published document's page, or a council.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchEntry {
    pub title: String,
    pub url: String,
    /// Folded as `foi search` folds (`crate::search::fold`): the page's script folds the
    /// query the same way, so case and accents are ignored and Chinese is found by its
    /// characters.
    pub text: String,
}

impl SearchEntry {
    /// `text` must already be masked: what is folded here is what the site publishes.
    pub fn new(title: impl Into<String>, url: impl Into<String>, text: &str) -> Self {
        SearchEntry {
            title: title.into(),
            url: url.into(),
            text: crate::search::fold(text),
        }
    }
}

/// The pages the site is made of: (template name, where its root is from the page).
pub const PAGES: &[(&str, &str)] = &[
    ("index", ""),
    ("council", "../"),
    ("document", "../"),
    ("search", ""),
];

/// Contexts every page template must render against: one with every field and list filled
/// (so no branch goes unchecked) and one with everything empty (the `{{else}}` branches).
pub fn samples() -> Vec<(&'static str, serde_json::Value)> {
    let site = SiteInfo {
        title: "Sample campaign".into(),
        requester: "Sample Requester".into(),
        generated_on: "2 March 2026".into(),
        masked: true,
    };
    let link = LinkView {
        id: 1,
        partner_city: "Ningbo".into(),
        partner_province: "Zhejiang".into(),
        relationship: "twinning".into(),
        status: "active".into(),
        since_year: Some(2005),
        ended_year: Some(2020),
    };
    let request = RequestView {
        reference: "foi-2026-0001".into(),
        state: "response received".into(),
        outcome: Some("partially successful".into()),
        exemptions: vec!["s27".into()],
        links: "Ningbo".into(),
        sent_on: Some("2 March 2026".into()),
        due_on: Some("30 March 2026".into()),
        timeline: vec![TimelineLine {
            date: "2 March 2026".into(),
            what: "sent".into(),
            detail: "sent to [email removed]".into(),
        }],
    };
    let council = CouncilView {
        slug: "sample-council".into(),
        name: "Sample Council".into(),
        nation: "England".into(),
        url: "councils/sample-council.html".into(),
        links: vec![link],
        requests: vec![request],
        documents: 1,
    };
    let document = DocumentView {
        id: 1,
        title: "agreement.pdf".into(),
        kind: Some("agreement".into()),
        pages: 1,
        received_on: Some("16 March 2026".into()),
        references: vec!["foi-2026-0001".into()],
        councils: vec![NameUrl {
            name: "Sample Council".into(),
            url: "councils/sample-council.html".into(),
        }],
        url: "documents/1.html".into(),
        file_url: Some("files/1-agreement.pdf".into()),
        file_size: Some("12.3 KB".into()),
        withheld: Some("it holds the requester's postal address".into()),
        note: Some("page 2 is a scan".into()),
    };
    let entry = RegisterEntry {
        link_id: 1,
        council: "Sample Council".into(),
        council_slug: "sample-council".into(),
        council_url: "councils/sample-council.html".into(),
        nation: "England".into(),
        partner_city: "Ningbo".into(),
        partner_province: "Zhejiang".into(),
        relationship: "twinning".into(),
        link_status: "active".into(),
        requests: vec![RequestState {
            reference: "foi-2026-0001".into(),
            state: "response received".into(),
        }],
        documents: vec![NameUrl {
            name: "agreement.pdf".into(),
            url: "documents/1.html".into(),
        }],
        facts: vec![FactGroup {
            key: "signed_on".into(),
            label: "signed on".into(),
            facts: vec![FactView {
                value: "2005-04-12".into(),
                source: "document 1 (agreement.pdf), page 1, foi-2026-0001".into(),
                url: Some("documents/1.html#page-1".into()),
                excerpt: Some("signed on 12 April 2005".into()),
            }],
        }],
    };
    let full_index = IndexPage {
        councils: vec![council.clone()],
        register: vec![entry.clone()],
        documents: vec![document.clone()],
    };
    let empty_index = IndexPage {
        councils: Vec::new(),
        register: Vec::new(),
        documents: Vec::new(),
    };
    let full_council = CouncilPage {
        council: council.clone(),
        register: vec![entry],
        documents: vec![document.clone()],
    };
    let empty_council = CouncilPage {
        council: CouncilView {
            links: Vec::new(),
            requests: Vec::new(),
            documents: 0,
            ..council
        },
        register: Vec::new(),
        documents: Vec::new(),
    };
    let full_document = DocumentPage {
        document: document.clone(),
        pages: vec![PageText {
            number: 1,
            ocr: true,
            text: "Text".into(),
        }],
    };
    let empty_document = DocumentPage {
        document: DocumentView {
            kind: None,
            received_on: None,
            references: Vec::new(),
            councils: Vec::new(),
            file_url: None,
            file_size: None,
            withheld: None,
            note: None,
            ..document
        },
        pages: Vec::new(),
    };
    vec![
        ("index", framed(&site, "", &full_index)),
        ("index", framed(&site, "", &empty_index)),
        ("council", framed(&site, "../", &full_council)),
        ("council", framed(&site, "../", &empty_council)),
        ("document", framed(&site, "../", &full_document)),
        ("document", framed(&site, "../", &empty_document)),
        ("search", framed(&site, "", &SearchPage { entries: 2 })),
        ("search", framed(&site, "", &SearchPage { entries: 0 })),
    ]
}

fn framed<T: Serialize>(site: &SiteInfo, root: &str, page: &T) -> serde_json::Value {
    serde_json::to_value(Frame {
        site,
        root,
        title: "Sample".into(),
        page,
    })
    .unwrap_or_default()
}
