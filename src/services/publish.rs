//! `foi publish --out DIR`: a static website of what the campaign found, from what the
//! database holds, for hosting anywhere: the councils and their links, each request's state,
//! outcome and timeline, the agreements register (also as CSV and JSON), the documents staff
//! marked publishable with their text page by page, and a search page over a JSON index.
//!
//! Privacy: nothing about the requester but their name goes on the site (their email, the
//! sending and reply addresses, Message-IDs and postal address are taken out of every text,
//! and a file that holds them and cannot be rewritten is not copied); other email addresses
//! and phone numbers are masked unless staff ask otherwise. Before the new site replaces the
//! old, every file in it is checked once more for the requester's details.
//!
//! The site is built in a folder next to DIR and renamed into place, so a failure half-way
//! leaves the site that was there as it was. DIR is only ever replaced when it is empty or
//! holds the marker file an earlier `foi publish` wrote.

use super::documents::{self as docs, DocumentFilter, DocumentRow};
use super::findings::{self, Fact, LinkRegister};
use super::requests::{self as reqs, RequestDetail};
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::publish::names::{self, uk_date, words};
use crate::publish::view::{
    CouncilPage, CouncilView, DocumentPage, DocumentView, FactGroup, FactView, Frame, IndexPage,
    LinkView, NameUrl, PageText, RegisterEntry, RequestState, RequestView, SearchEntry, SearchPage,
    SiteInfo, TimelineLine, PAGES,
};
use crate::publish::{timeline, Redactor, SiteTemplates};
use crate::settings::Settings;
use crate::store::authorities::{self, AuthorityModel};
use crate::store::inbound::{self, AttachmentModel};
use crate::store::twinnings;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The file that says a folder is a site `foi publish` wrote, and may be replaced by the next.
pub const MARKER: &str = ".foi-site";

pub const DEFAULT_TITLE: &str = "UK councils' twinning agreements with Chinese cities";

#[derive(Debug, Clone)]
pub struct Publish {
    pub out: PathBuf,
    /// Mask every email address and phone number (the requester's details go regardless).
    pub mask: bool,
    pub title: Option<String>,
}

/// What `foi publish` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub out: PathBuf,
    /// Where the site templates came from ("built in", or their folder).
    pub templates: String,
    /// HTML pages written.
    pub pages: usize,
    pub councils: usize,
    /// Documents staff marked publishable.
    pub documents: usize,
    /// Of those, the files copied into `files/`.
    pub files: usize,
    /// Every file of the site together.
    pub bytes: u64,
    pub masked: bool,
    /// An earlier site was replaced.
    pub replaced: bool,
    /// Documents whose file was held back, and why.
    pub warnings: Vec<String>,
}

/// The site templates: `<templates_dir>/site/` when it is there, else the ones built into
/// the program. Checked against sample pages; a broken one is named with its file and line.
pub fn site_templates(settings: &Settings) -> ServiceResult<SiteTemplates> {
    let dir = settings.paths.templates_dir.join("site");
    Ok(if dir.is_dir() {
        SiteTemplates::load(&dir)?
    } else {
        SiteTemplates::embedded()?
    })
}

/// What takes the requester's details (always) and other contacts (when `mask`) out of text.
/// Our Message-IDs are on the reply domain, so that domain covers them with the reply
/// addresses. The sending address's domain is not taken whole: it may be a public mail
/// service whose other users' addresses are no business of ours.
pub fn redactor(settings: &Settings, mask: bool) -> Redactor {
    let name = settings.requester.name.trim();
    // An address block that starts with the requester's name must not take the name, which
    // the site shows, out of every text.
    let postal: Vec<String> = settings
        .requester
        .postal_address
        .iter()
        .filter(|l| !l.trim().eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    Redactor::new(mask)
        .private_address(&settings.requester.email)
        .private_address(&settings.mail.from_address)
        .private_domain(&settings.mail.reply_domain)
        .postal_address(&postal)
}

pub async fn publish(
    app: &AppContext,
    now: DateTime<Utc>,
    input: Publish,
) -> ServiceResult<Published> {
    // The templates first: a broken one stops everything before any work is done.
    let templates = site_templates(&app.settings)?;
    let (out, target) = check_target(&input.out)?;
    let red = redactor(&app.settings, input.mask);
    let site = SiteInfo {
        title: input
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TITLE.to_string()),
        requester: app.settings.requester.name.clone(),
        generated_on: uk_date(london_date(now)),
        masked: input.mask,
    };
    let content = gather(app, &red).await?;

    let tmp = sibling(&out, "new")?;
    std::fs::create_dir(&tmp).map_err(|e| files_error(&tmp, "create", e))?;
    let written = write_site(app, &templates, &site, &red, &content, &tmp)
        .and_then(|w| check_site(&tmp, &red).map(|()| w));
    let mut w = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let replaced = target == Target::Site;
    if let Err(e) = swap_into_place(&tmp, &out, target) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(ServiceError::Files(format!(
            "cannot put the new site in place at {}: {e}; the folder was left as it was",
            out.display()
        )));
    }
    w.warnings.sort();
    Ok(Published {
        out,
        templates: templates.origin.clone(),
        pages: w.pages,
        councils: content.councils.len(),
        documents: content.documents.len(),
        files: w.files,
        bytes: w.bytes,
        masked: input.mask,
        replaced,
        warnings: w.warnings,
    })
}

// ---------------------------------------------------------------------------------------
// What the site shows, read from the database and masked.

struct Council {
    authority: AuthorityModel,
    links: Vec<LinkView>,
    requests: Vec<RequestView>,
}

/// A document staff marked publishable, with what publishing it needs from the database.
struct Document {
    row: DocumentRow,
    /// Its text as read: (page, read by OCR, text), not yet masked.
    pages: Vec<(i32, bool, String)>,
    attachment: Option<AttachmentModel>,
    /// For a reply's own text not yet read into pages: the message's subject and text.
    message_text: Option<String>,
}

struct Content {
    councils: Vec<Council>,
    registers: Vec<LinkRegister>,
    documents: Vec<Document>,
}

async fn gather(app: &AppContext, red: &Redactor) -> ServiceResult<Content> {
    let mut councils: BTreeMap<String, Council> = BTreeMap::new();
    for (link, authority) in twinnings::list(&app.db, None, None).await? {
        councils
            .entry(authority.slug.clone())
            .or_insert_with(|| Council {
                authority,
                links: Vec::new(),
                requests: Vec::new(),
            })
            .links
            .push(LinkView {
                id: link.id,
                partner_city: link.partner_city,
                partner_province: link.partner_province,
                relationship: link.relationship,
                status: link.status,
                since_year: link.since_year,
                ended_year: link.ended_year,
            });
    }
    for row in reqs::list(app, &Default::default()).await? {
        let detail = reqs::show(app, &row.reference).await?;
        if !councils.contains_key(&row.authority) {
            let authority = authorities::get_by_slug(&app.db, &row.authority).await?;
            councils.insert(
                row.authority.clone(),
                Council {
                    authority,
                    links: Vec::new(),
                    requests: Vec::new(),
                },
            );
        }
        if let Some(c) = councils.get_mut(&row.authority) {
            c.requests.push(request_view(&detail, red));
        }
    }
    let mut councils: Vec<Council> = councils.into_values().collect();
    councils.sort_by(|a, b| a.authority.name.cmp(&b.authority.name));
    let mut documents = Vec::new();
    for row in docs::list(app, &DocumentFilter::default()).await? {
        if !row.publishable {
            continue;
        }
        let pages: Vec<(i32, bool, String)> = crate::store::documents::pages(&app.db, row.id)
            .await?
            .into_iter()
            .map(|p| (p.page, p.ocr, p.text))
            .collect();
        let attachment = match row.attachment_id {
            Some(id) => inbound::attachment(&app.db, id).await?,
            None => None,
        };
        let message_text = match (row.attachment_id, pages.is_empty()) {
            (None, true) => inbound::get(&app.db, row.message_id)
                .await?
                .map(|m| format!("{}\n\n{}", m.subject, m.body)),
            _ => None,
        };
        documents.push(Document {
            row,
            pages,
            attachment,
            message_text,
        });
    }
    Ok(Content {
        councils,
        registers: findings::list(app).await?,
        documents,
    })
}

fn request_view(d: &RequestDetail, red: &Redactor) -> RequestView {
    let outcome = d
        .messages
        .iter()
        .filter_map(|m| m.outcome.as_ref())
        .max_by_key(|o| o.recorded_at);
    RequestView {
        reference: d.row.reference.clone(),
        state: words(d.row.state.as_str()),
        outcome: outcome.map(|o| words(&o.outcome)),
        exemptions: outcome.map(|o| o.exemptions.clone()).unwrap_or_default(),
        links: d.row.partner_city.clone().unwrap_or_default(),
        sent_on: d.row.sent_at.map(|t| uk_date(london_date(t))),
        due_on: d
            .deadlines
            .as_ref()
            .and_then(|x| x.response_due)
            .map(uk_date),
        timeline: d
            .timeline
            .iter()
            .filter(|e| timeline::is_public(&e.kind))
            .map(|e| TimelineLine {
                date: uk_date(london_date(e.at)),
                what: words(&e.kind.as_str()),
                detail: timeline::public_detail(&red.apply(&e.detail)),
            })
            .collect(),
    }
}

fn council_url(slug: &str) -> String {
    format!("councils/{}.html", names::url_safe(slug, "council"))
}

fn document_url(id: i32) -> String {
    format!("documents/{id}.html")
}

// ---------------------------------------------------------------------------------------
// Writing the site into a folder.

/// What has been written so far.
#[derive(Default)]
struct Written {
    pages: usize,
    files: usize,
    bytes: u64,
    warnings: Vec<String>,
}

struct Out<'a> {
    root: &'a Path,
    w: Written,
}

impl Out<'_> {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> ServiceResult<()> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| files_error(parent, "create", e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| files_error(&path, "write", e))?;
        self.w.bytes += bytes.len() as u64;
        if rel.ends_with(".html") {
            self.w.pages += 1;
        }
        Ok(())
    }

    fn page<T: Serialize>(
        &mut self,
        templates: &SiteTemplates,
        site: &SiteInfo,
        (template, rel): (&str, &str),
        title: String,
        data: &T,
    ) -> ServiceResult<()> {
        let root = PAGES
            .iter()
            .find(|(p, _)| *p == template)
            .map(|(_, r)| *r)
            .unwrap_or("");
        let html = templates.render(
            template,
            &Frame {
                site,
                root,
                title,
                page: data,
            },
        )?;
        self.write(rel, html.as_bytes())
    }
}

/// A published document as the pages show it, with its text.
struct DocumentOut {
    view: DocumentView,
    pages: Vec<PageText>,
}

fn write_site(
    app: &AppContext,
    templates: &SiteTemplates,
    site: &SiteInfo,
    red: &Redactor,
    content: &Content,
    dir: &Path,
) -> ServiceResult<Written> {
    let mut out = Out {
        root: dir,
        w: Written::default(),
    };
    out.write(
        MARKER,
        format!(
            "This folder is a site written by `foi publish` on {}. The next `foi publish` \
             with this folder as --out replaces everything in it.\n",
            site.generated_on
        )
        .as_bytes(),
    )?;
    let council_names: HashMap<&str, &str> = content
        .councils
        .iter()
        .map(|c| (c.authority.slug.as_str(), c.authority.name.as_str()))
        .collect();

    // Documents first: the register links to the ones that made it.
    let mut documents: Vec<DocumentOut> = Vec::new();
    let mut search: Vec<SearchEntry> = Vec::new();
    for d in &content.documents {
        let p = publish_document(app, red, d, &council_names, &mut out)?;
        for page in &p.pages {
            search.push(SearchEntry::new(
                format!(
                    "{}, page {}{}",
                    p.view.title,
                    page.number,
                    in_councils(&p.view.councils)
                ),
                format!("{}#page-{}", p.view.url, page.number),
                &page.text,
            ));
        }
        documents.push(p);
    }
    let published: HashMap<i32, &DocumentRow> = content
        .documents
        .iter()
        .map(|d| (d.row.id, &d.row))
        .collect();
    let message_texts: HashMap<i32, i32> = content
        .documents
        .iter()
        .filter(|d| d.row.attachment_id.is_none())
        .map(|d| (d.row.message_id, d.row.id))
        .collect();

    let register: Vec<RegisterEntry> = content
        .registers
        .iter()
        .map(|r| register_entry(r, red, &published, &message_texts))
        .collect();
    let public: Vec<LinkRegister> = content
        .registers
        .iter()
        .map(|r| public_register(r, red, &published, &message_texts))
        .collect();
    let mut csv = Vec::new();
    findings::register_rows(&public)
        .write_csv(&mut csv)
        .map_err(|e| ServiceError::Files(format!("cannot write register.csv: {e}")))?;
    out.write("register.csv", &csv)?;
    out.write("register.json", &json(&register)?)?;

    let views: Vec<DocumentView> = documents.iter().map(|d| d.view.clone()).collect();
    let mut councils = Vec::new();
    for c in &content.councils {
        let slug = &c.authority.slug;
        let mine: Vec<DocumentView> = views
            .iter()
            .filter(|d| {
                published
                    .get(&d.id)
                    .is_some_and(|r| r.authorities.contains(slug))
            })
            .cloned()
            .collect();
        let view = CouncilView {
            slug: slug.clone(),
            name: c.authority.name.clone(),
            nation: c.authority.nation.clone(),
            url: council_url(slug),
            links: c.links.clone(),
            requests: c.requests.clone(),
            documents: mine.len(),
        };
        let entries: Vec<RegisterEntry> = register
            .iter()
            .filter(|e| e.council_slug == *slug)
            .cloned()
            .collect();
        let mut words_of = vec![view.name.clone(), view.nation.clone()];
        for l in &view.links {
            words_of.extend([l.partner_city.clone(), l.partner_province.clone()]);
        }
        for e in &entries {
            for g in &e.facts {
                words_of.extend(g.facts.iter().map(|f| f.value.clone()));
            }
        }
        search.push(SearchEntry::new(
            view.name.clone(),
            view.url.clone(),
            &words_of.join("\n"),
        ));
        let page = CouncilPage {
            council: view.clone(),
            register: entries,
            documents: mine,
        };
        out.page(
            templates,
            site,
            ("council", &view.url),
            view.name.clone(),
            &page,
        )?;
        councils.push(view);
    }
    for d in &documents {
        let page = DocumentPage {
            document: d.view.clone(),
            pages: d.pages.clone(),
        };
        out.page(
            templates,
            site,
            ("document", &d.view.url),
            d.view.title.clone(),
            &page,
        )?;
    }
    let index = IndexPage {
        councils,
        register,
        documents: views,
    };
    out.page(
        templates,
        site,
        ("index", "index.html"),
        "Councils, requests and agreements".into(),
        &index,
    )?;
    out.write("search-index.json", &json(&search)?)?;
    out.page(
        templates,
        site,
        ("search", "search.html"),
        "Search".into(),
        &SearchPage {
            entries: search.len(),
        },
    )?;
    Ok(out.w)
}

fn json<T: Serialize>(value: &T) -> ServiceResult<Vec<u8>> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| ServiceError::Files(format!("cannot write JSON: {e}")))
}

fn in_councils(councils: &[NameUrl]) -> String {
    if councils.is_empty() {
        return String::new();
    }
    format!(
        " ({})",
        councils
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Text formats whose words can be rewritten in the copy (masked like every other text);
/// anything else is copied byte for byte, or not at all.
fn is_text(content_type: &str, name: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    let n = name.to_ascii_lowercase();
    t.starts_with("text/")
        || t == "message/rfc822"
        || [".txt", ".csv", ".tsv", ".html", ".htm", ".md", ".eml"]
            .iter()
            .any(|x| n.ends_with(x))
}

/// Copies one document (or writes its text) into `files/` and returns how its page shows it.
fn publish_document(
    app: &AppContext,
    red: &Redactor,
    doc: &Document,
    council_names: &HashMap<&str, &str>,
    out: &mut Out,
) -> ServiceResult<DocumentOut> {
    let d = &doc.row;
    let pages: Vec<PageText> = doc
        .pages
        .iter()
        .map(|(number, ocr, text)| PageText {
            number: *number,
            ocr: *ocr,
            text: red.apply(text),
        })
        .collect();
    let received_on = d.received_at.map(|t| uk_date(london_date(t)));
    let title = match d.attachment_id {
        None => format!(
            "Text of the reply{}",
            received_on
                .as_ref()
                .map(|r| format!(" of {r}"))
                .unwrap_or_default()
        ),
        Some(_) => red.apply(&d.name),
    };
    let mut view = DocumentView {
        id: d.id,
        title,
        kind: d.kind.map(|k| words(k.as_str())),
        pages: d.pages,
        received_on,
        references: d.references.clone(),
        councils: d
            .authorities
            .iter()
            .filter_map(|s| {
                council_names.get(s.as_str()).map(|n| NameUrl {
                    name: n.to_string(),
                    url: council_url(s),
                })
            })
            .collect(),
        url: document_url(d.id),
        file_url: None,
        file_size: None,
        withheld: None,
        note: d
            .reason
            .as_deref()
            .map(|r| timeline::public_detail(&red.apply(r))),
    };
    let copy = match d.attachment_id {
        None => {
            // A reply's own text is published as text, masked like its page.
            let text = if pages.is_empty() {
                doc.message_text.as_deref().map(|t| red.apply(t))
            } else {
                Some(
                    pages
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                )
            };
            text.map(|t| {
                (
                    names::document_file(d.id, "message text.txt", "text/plain"),
                    format!("{}\n", t.trim_end()).into_bytes(),
                )
            })
            .ok_or_else(|| Withheld::Unavailable("the reply's text is not stored".into()))
        }
        Some(id) => attachment_copy(app, red, doc, id),
    };
    match copy {
        Ok((rel, bytes)) => {
            out.write(&rel, &bytes)?;
            out.w.files += 1;
            view.file_size = Some(names::size(bytes.len() as u64));
            view.file_url = Some(rel);
        }
        Err(why) => {
            let (public, staff) = match why {
                Withheld::Private(what) => (
                    "it holds personal details, which are not published (its text below has \
                     them taken out)"
                        .to_string(),
                    format!(
                        "it holds {what}, which is never published (its text page is published \
                         with it taken out); publish a redacted copy by hand, or take the mark \
                         off with `foi documents publish {} --undo`",
                        d.id
                    ),
                ),
                Withheld::Unavailable(why) => ("the file is not available".to_string(), why),
            };
            out.w.warnings.push(format!(
                "document {} ({}): its file is not published: {staff}",
                d.id, view.title
            ));
            view.withheld = Some(public);
        }
    }
    Ok(DocumentOut { view, pages })
}

/// Why a document's file is not copied.
enum Withheld {
    /// It holds this of the requester's, and cannot be rewritten.
    Private(&'static str),
    /// It cannot be read from the store.
    Unavailable(String),
}

/// The bytes to publish for an attachment, or why it is held back.
fn attachment_copy(
    app: &AppContext,
    red: &Redactor,
    doc: &Document,
    id: i32,
) -> Result<(String, Vec<u8>), Withheld> {
    let d = &doc.row;
    let a = doc
        .attachment
        .as_ref()
        .ok_or_else(|| Withheld::Unavailable(format!("attachment {id} is gone")))?;
    let path = super::attachments::source_of(app, a).map_err(Withheld::Unavailable)?;
    let bytes = std::fs::read(&path).map_err(|e| {
        Withheld::Unavailable(format!(
            "cannot read its stored file {}: {e}",
            path.display()
        ))
    })?;
    // The name too is masked: a sender's file name can hold an address.
    let rel = names::document_file(d.id, &red.apply(&d.name), &d.content_type);
    if is_text(&d.content_type, &d.name) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            return Ok((rel, red.apply(text).into_bytes()));
        }
    }
    // A file that cannot be rewritten (a PDF, a scan, a spreadsheet) is copied as it is, so
    // it must not hold the requester's details: its bytes and the text read from it are
    // looked through.
    let found = red
        .requester_details_in(&String::from_utf8_lossy(&bytes))
        .or_else(|| {
            doc.pages
                .iter()
                .find_map(|(_, _, t)| red.requester_details_in(t))
        });
    match found {
        Some(what) => Err(Withheld::Private(what)),
        None => Ok((rel, bytes)),
    }
}

/// A fact's source as the public may read it: a published document (linked) or one that
/// was not published, never the name of a document that was not.
fn public_source(
    f: &Fact,
    red: &Redactor,
    published: &HashMap<i32, &DocumentRow>,
    message_texts: &HashMap<i32, i32>,
) -> (String, Option<String>) {
    let page = f.page.map(|p| format!(", page {p}")).unwrap_or_default();
    let anchor = f.page.map(|p| format!("#page-{p}")).unwrap_or_default();
    match (f.document_id, f.message_id) {
        (Some(id), _) if published.contains_key(&id) => (
            red.apply(&f.source),
            Some(format!("{}{anchor}", document_url(id))),
        ),
        (Some(id), _) => (format!("document {id}{page} (not published)"), None),
        (None, Some(m)) => match message_texts.get(&m) {
            Some(doc) => (
                format!("the council's reply (document {doc})"),
                Some(document_url(*doc)),
            ),
            None => (format!("message {m} (not published)"), None),
        },
        (None, None) => ("no source".into(), None),
    }
}

fn register_entry(
    r: &LinkRegister,
    red: &Redactor,
    published: &HashMap<i32, &DocumentRow>,
    message_texts: &HashMap<i32, i32>,
) -> RegisterEntry {
    let facts = findings::REGISTER_COLUMNS
        .iter()
        .filter_map(|(key, label)| {
            let facts = r.facts.get(*key)?;
            Some(FactGroup {
                key: key.to_string(),
                label: label.to_string(),
                facts: facts
                    .iter()
                    .map(|f| {
                        let (source, url) = public_source(f, red, published, message_texts);
                        FactView {
                            value: red.apply(&f.value),
                            source,
                            url,
                            excerpt: f.excerpt.as_deref().map(|e| red.apply(e)),
                        }
                    })
                    .collect(),
            })
        })
        .collect();
    RegisterEntry {
        link_id: r.link_id,
        council: r.authority_name.clone(),
        council_slug: r.authority.clone(),
        council_url: council_url(&r.authority),
        nation: r.nation.clone(),
        partner_city: r.partner_city.clone(),
        partner_province: r.partner_province.clone(),
        relationship: r.relationship.clone(),
        link_status: r.link_status.clone(),
        requests: r
            .requests
            .iter()
            .map(|(reference, state)| RequestState {
                reference: reference.clone(),
                state: words(state),
            })
            .collect(),
        documents: r
            .documents
            .iter()
            .filter(|d| published.contains_key(&d.id))
            .map(|d| NameUrl {
                name: red.apply(&d.name),
                url: document_url(d.id),
            })
            .collect(),
        facts,
    }
}

/// The register as the public may read it, for `register.csv`: masked facts, published
/// documents only, no suggestions and no staff notes.
fn public_register(
    r: &LinkRegister,
    red: &Redactor,
    published: &HashMap<i32, &DocumentRow>,
    message_texts: &HashMap<i32, i32>,
) -> LinkRegister {
    let mut p = r.clone();
    p.suggestions.clear();
    p.documents.retain(|d| published.contains_key(&d.id));
    for d in &mut p.documents {
        d.name = red.apply(&d.name);
    }
    for facts in p.facts.values_mut() {
        for f in facts.iter_mut() {
            f.source = public_source(f, red, published, message_texts).0;
            f.value = red.apply(&f.value);
            f.excerpt = f.excerpt.as_deref().map(|e| red.apply(e));
            f.note = None;
        }
    }
    p
}

// ---------------------------------------------------------------------------------------
// The folder: refusing someone else's, and replacing ours in one step.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Not there yet.
    Absent,
    /// An empty folder.
    Empty,
    /// A site an earlier `foi publish` wrote.
    Site,
}

fn files_error(path: &Path, what: &str, e: std::io::Error) -> ServiceError {
    ServiceError::Files(format!("cannot {what} {}: {e}", path.display()))
}

/// Where the site goes (a link to a folder is followed, so the folder itself is replaced),
/// and what is there now. A folder with files in it that no `foi publish` wrote is refused:
/// it is someone's, and replacing it would lose their files.
fn check_target(out: &Path) -> ServiceResult<(PathBuf, Target)> {
    if out.as_os_str().is_empty() {
        return Err(ServiceError::refused("--out needs a folder"));
    }
    match std::fs::metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((out.to_path_buf(), Target::Absent))
        }
        Err(e) => Err(files_error(out, "read", e)),
        Ok(m) if !m.is_dir() => Err(ServiceError::refused(format!(
            "{} is not a folder: give a new or empty folder for the site (nothing was written)",
            out.display()
        ))),
        Ok(_) => {
            let real = out
                .canonicalize()
                .map_err(|e| files_error(out, "read", e))?;
            let mut entries =
                std::fs::read_dir(&real).map_err(|e| files_error(&real, "read", e))?;
            if entries.next().is_none() {
                return Ok((real, Target::Empty));
            }
            if real.join(MARKER).is_file() {
                return Ok((real, Target::Site));
            }
            Err(ServiceError::refused(format!(
                "{} is not empty and holds no {MARKER} file, so it is not a site `foi publish` \
                 wrote: nothing was changed. Give a new or empty folder (the next `foi publish` \
                 into it replaces the site whole)",
                out.display()
            )))
        }
    }
}

/// A new name in the same folder as `out`, so the rename into place stays on one file
/// system and cannot be half done.
fn sibling(out: &Path, what: &str) -> ServiceResult<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| files_error(&parent, "create", e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "site".into());
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    Ok(parent.join(format!(
        ".{name}.foi-publish-{what}-{}-{nanos}",
        std::process::id()
    )))
}

fn swap_into_place(tmp: &Path, out: &Path, target: Target) -> std::io::Result<()> {
    if target == Target::Absent {
        return std::fs::rename(tmp, out);
    }
    let old = sibling(out, "old").map_err(|e| std::io::Error::other(e.to_string()))?;
    std::fs::rename(out, &old)?;
    if let Err(e) = std::fs::rename(tmp, out) {
        // Put the old site back: a failed publish changes nothing.
        let _ = std::fs::rename(&old, out);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Every file of the new site, looked through once more for the requester's details: the
/// last guard before it replaces the old one (a template that prints the wrong field, say).
fn check_site(dir: &Path, red: &Redactor) -> ServiceResult<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| files_error(&d, "read", e))? {
            let path = entry.map_err(|e| files_error(&d, "read", e))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            let bytes = std::fs::read(&path).map_err(|e| files_error(&path, "read", e))?;
            let found = red
                .requester_details_in(&rel)
                .or_else(|| red.requester_details_in(&String::from_utf8_lossy(&bytes)));
            if let Some(what) = found {
                return Err(ServiceError::Files(format!(
                    "the new site's {rel} holds {what}, which is never published; nothing was changed"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_replaced_only_when_empty_or_ours() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("site");
        assert_eq!(check_target(&new).unwrap().1, Target::Absent);
        std::fs::create_dir(&new).unwrap();
        assert_eq!(check_target(&new).unwrap().1, Target::Empty);
        std::fs::write(new.join("notes.txt"), "mine").unwrap();
        let err = check_target(&new).unwrap_err().to_string();
        assert!(err.contains("holds no .foi-site file"), "{err}");
        std::fs::write(new.join(MARKER), "").unwrap();
        assert_eq!(check_target(&new).unwrap().1, Target::Site);
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(check_target(&file)
            .unwrap_err()
            .to_string()
            .contains("is not a folder"));
    }

    #[test]
    fn the_new_site_replaces_the_old_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.html"), "old").unwrap();
        let tmp = sibling(&out, "new").unwrap();
        std::fs::create_dir(&tmp).unwrap();
        std::fs::write(tmp.join("index.html"), "new").unwrap();
        swap_into_place(&tmp, &out, Target::Site).unwrap();
        assert!(!out.join("old.html").exists());
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "new"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary folder is left behind");
    }

    #[test]
    fn the_requesters_name_stays_and_the_rest_of_their_details_go() {
        let mut settings = Settings::defaults();
        settings.requester.name = "Ada Campaigner".into();
        settings.requester.email = "ada@mail.example.com".into();
        settings.requester.postal_address = vec!["Ada Campaigner".into(), "1 High Street".into()];
        let red = redactor(&settings, false);
        assert_eq!(
            red.apply("Ada Campaigner, 1 High Street, ada@mail.example.com, bo@mail.example.com"),
            "Ada Campaigner, [address removed], [email removed], bo@mail.example.com"
        );
    }

    #[test]
    fn a_site_holding_the_requesters_details_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let red = Redactor::new(true).private_address("ada@campaign.example.org");
        std::fs::create_dir(dir.path().join("files")).unwrap();
        std::fs::write(dir.path().join("files/1-a.txt"), "nothing here").unwrap();
        check_site(dir.path(), &red).unwrap();
        std::fs::write(
            dir.path().join("files/2-b.txt"),
            "write to ADA@campaign.example.org",
        )
        .unwrap();
        let err = check_site(dir.path(), &red).unwrap_err().to_string();
        assert!(
            err.contains("files/2-b.txt holds the requester's email"),
            "{err}"
        );
    }

    #[test]
    fn text_files_are_told_from_binary_ones() {
        assert!(is_text("text/plain; charset=utf-8", "a"));
        assert!(is_text("application/octet-stream", "notes.TXT"));
        assert!(!is_text("application/pdf", "agreement.pdf"));
    }
}
