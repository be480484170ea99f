//! Importing authorities and twinning links, and seeding the shipped data, on SQLite and PostgreSQL.

use crate::common;

use common::TestDb;
use foi::import::{parse_authorities, parse_twinnings};
use foi::store::{authorities, twinnings, StoreError};

const GOOD: &str = "name,nation,foi_email,website,tags\n\
Sheffield City Council,England,foi@sheffield.gov.uk,https://www.sheffield.gov.uk,city twinned\n\
Glasgow City Council,Scotland,,,city\n\
Belfast City Council,Northern Ireland,,,\n";

async fn import_upserts_and_derives_regimes(db: TestDb) {
    let conn = db.connect().await;
    let rows = parse_authorities("good.csv", GOOD).unwrap();
    let s = authorities::upsert_rows(&conn, "good.csv", &rows)
        .await
        .unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (3, 0, 0));

    let glasgow = authorities::get_by_slug(&conn, "glasgow-city-council")
        .await
        .unwrap();
    assert_eq!(glasgow.regime, "FOISA");
    assert_eq!(glasgow.nation, "Scotland");
    assert_eq!(glasgow.foi_email, None);
    let belfast = authorities::get_by_slug(&conn, "belfast-city-council")
        .await
        .unwrap();
    assert_eq!(belfast.regime, "FOIA");

    // Second run: nothing changes. A changed email and tags are updated; a blank cell keeps what is stored.
    let s = authorities::upsert_rows(&conn, "good.csv", &rows)
        .await
        .unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 3));
    let changed = "slug,name,nation,foi_email,tags\n\
                   sheffield-city-council,Sheffield City Council,England,,city\n\
                   glasgow-city-council,Glasgow City Council,Scotland,foi@glasgow.gov.uk,city\n";
    let s = authorities::upsert_rows(
        &conn,
        "c.csv",
        &parse_authorities("c.csv", changed).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!((s.created, s.updated), (0, 2));
    let sheffield = authorities::get_by_slug(&conn, "sheffield-city-council")
        .await
        .unwrap();
    assert_eq!(sheffield.foi_email.as_deref(), Some("foi@sheffield.gov.uk"));
    assert_eq!(authorities::tags_of(&sheffield), vec!["city"]);
    let tagged = authorities::list(&conn, Some("city")).await.unwrap();
    assert_eq!(tagged.len(), 2);
    assert!(authorities::list(&conn, Some("twinned"))
        .await
        .unwrap()
        .is_empty());
}

async fn a_bad_row_on_line_7_writes_nothing(db: TestDb) {
    let conn = db.connect().await;
    authorities::upsert_rows(
        &conn,
        "good.csv",
        &parse_authorities("good.csv", GOOD).unwrap(),
    )
    .await
    .unwrap();
    let bad = "name,nation,foi_email\n\
               A Council,England,foi@a.gov.uk\n\
               B Council,England,foi@b.gov.uk\n\
               C Council,Wales,\n\
               D Council,Scotland,foi@d.gov.uk\n\
               E Council,England,foi@e.gov.uk\n\
               F Council,England,foi at f.gov.uk\n\
               G Council,England,foi@g.gov.uk\n";
    let err = parse_authorities("councils.csv", bad).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].line, 7);
    assert_eq!(err.errors[0].field.as_deref(), Some("foi_email"));
    assert!(
        err.to_string()
            .contains("councils.csv:line 7, field foi_email"),
        "{err}"
    );
    // Nothing from the bad file reached the database; what was there is intact.
    assert_eq!(authorities::list(&conn, None).await.unwrap().len(), 3);
    assert!(authorities::find_by_slug(&conn, "a-council")
        .await
        .unwrap()
        .is_none());
}

async fn seed_is_idempotent_and_never_invents_addresses(db: TestDb) {
    let conn = db.connect().await;
    let first = foi::services::seed::run(&db.app().await).await.unwrap();
    assert_eq!(first.twinnings.links_created, 40);
    assert_eq!(first.twinnings.authorities_created, 31);
    assert_eq!(first.emails_filled, 6);
    let second = foi::services::seed::run(&db.app().await).await.unwrap();
    assert_eq!(second.twinnings.links_created, 0);
    assert_eq!(second.twinnings.links_unchanged, 40);
    assert_eq!(second.emails_filled, 0);

    let links = twinnings::list(&conn, None, None).await.unwrap();
    assert_eq!(links.len(), 40);
    let active = twinnings::list(&conn, Some(foi::domain::TwinningStatus::Active), None)
        .await
        .unwrap();
    assert!(active.iter().all(|(t, _)| t.status == "active"));
    assert_eq!(active.len(), 17);

    let nottingham = authorities::get_by_slug(&conn, "nottingham-city-council")
        .await
        .unwrap();
    assert_eq!(
        nottingham.foi_email.as_deref(),
        Some("foi@nottinghamcity.gov.uk")
    );
    assert!(nottingham
        .foi_email_source
        .unwrap()
        .contains("nottinghamchildrenspartnership"));
    // Birmingham's page offers only a form: the data leaves the address blank, and so do we.
    let birmingham = authorities::get_by_slug(&conn, "birmingham-city-council")
        .await
        .unwrap();
    assert_eq!(birmingham.foi_email, None);
    assert!(first
        .authorities_without_email
        .contains(&"birmingham-city-council".to_string()));
    let edinburgh = authorities::get_by_slug(&conn, "city-of-edinburgh-council")
        .await
        .unwrap();
    assert_eq!(edinburgh.regime, "FOISA");

    // An address staff set by hand survives a re-seed.
    let email =
        foi::domain::EmailAddress::parse("information.requests@nottinghamcity.gov.uk").unwrap();
    authorities::set_email(&conn, "nottingham-city-council", &email, "set by staff")
        .await
        .unwrap();
    foi::services::seed::run(&db.app().await).await.unwrap();
    let nottingham = authorities::get_by_slug(&conn, "nottingham-city-council")
        .await
        .unwrap();
    assert_eq!(
        nottingham.foi_email.as_deref(),
        Some("information.requests@nottinghamcity.gov.uk")
    );
}

async fn twinning_import_updates_by_authority_and_partner(db: TestDb) {
    let conn = db.connect().await;
    let header = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\tended_year\tsource\tnotes\n";
    let v1 = format!("{header}Test Borough Council\tTest\tEngland\tHangzhou\tZhejiang\ttwinning\t1990\tactive\t\t\t\n");
    let s = twinnings::import_rows(&conn, "t.tsv", &parse_twinnings("t.tsv", &v1).unwrap())
        .await
        .unwrap();
    assert_eq!((s.authorities_created, s.links_created), (1, 1));
    let v2 = format!("{header}Test Borough Council\tTest\tEngland\tHangzhou\tZhejiang\ttwinning\t1990\tended\t2023\t\tdecided\n");
    let s = twinnings::import_rows(&conn, "t.tsv", &parse_twinnings("t.tsv", &v2).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (s.authorities_created, s.links_created, s.links_updated),
        (0, 0, 1)
    );
    let links = twinnings::list(&conn, None, None).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0.status, "ended");
    assert_eq!(links[0].0.ended_year, Some(2023));

    let missing_column = "uk_authority\tnation\n X\tEngland\n";
    let err = parse_twinnings("m.tsv", missing_column)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing columns") && err.contains("chinese_partner"),
        "{err}"
    );
}

const LINKS_HEADER: &str = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n";

async fn links_find_a_council_by_name_under_its_own_slug(db: TestDb) {
    let conn = db.connect().await;
    let councils = "slug,name,nation,foi_email\n\
                    sheffield,Sheffield City Council,England,foi@sheffield.example.org\n\
                    brighton-hove,Brighton and Hove City Council,England,\n";
    authorities::upsert_rows(
        &conn,
        "councils.csv",
        &parse_authorities("councils.csv", councils).unwrap(),
    )
    .await
    .unwrap();
    let links = format!(
        "{LINKS_HEADER}\
         SHEFFIELD CITY COUNCIL\tSheffield\tEngland\tChengdu\tSichuan\tfriendship\t2010\tactive\n\
         Sheffield City Council.\tSheffield\tEngland\tAnshan\tLiaoning\ttwinning\t1983\tended\n\
         Brighton & Hove City Council\tBrighton\tEngland\tXi'an\tShaanxi\tfriendship\t2012\tactive\n"
    );
    let s = twinnings::import_rows(&conn, "l.tsv", &parse_twinnings("l.tsv", &links).unwrap())
        .await
        .unwrap();
    assert_eq!((s.authorities_created, s.links_created), (0, 3));
    let all = authorities::list(&conn, None).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.slug.as_str()).collect::<Vec<_>>(),
        vec!["brighton-hove", "sheffield"]
    );
    let mut owners: Vec<(String, String)> = twinnings::list(&conn, None, None)
        .await
        .unwrap()
        .into_iter()
        .map(|(t, a)| (a.slug, t.partner_city))
        .collect();
    owners.sort();
    assert_eq!(
        owners,
        vec![
            ("brighton-hove".into(), "Xi'an".into()),
            ("sheffield".into(), "Anshan".into()),
            ("sheffield".into(), "Chengdu".into()),
        ]
    );
    // The name as staff stored it stays.
    let sheffield = authorities::get_by_slug(&conn, "sheffield").await.unwrap();
    assert_eq!(sheffield.name, "Sheffield City Council");

    // An authorities file without slugs finds it by name too.
    let update =
        "name,nation,foi_email\nsheffield city council,England,foi2@sheffield.example.org\n";
    let s = authorities::upsert_rows(&conn, "u.csv", &parse_authorities("u.csv", update).unwrap())
        .await
        .unwrap();
    assert_eq!((s.created, s.updated), (0, 1));
    let sheffield = authorities::get_by_slug(&conn, "sheffield").await.unwrap();
    assert_eq!(
        sheffield.foi_email.as_deref(),
        Some("foi2@sheffield.example.org")
    );
    assert_eq!(authorities::list(&conn, None).await.unwrap().len(), 2);
}

async fn a_name_two_councils_share_is_an_error_and_writes_nothing(db: TestDb) {
    let conn = db.connect().await;
    let councils = "slug,name,nation\n\
                    newtown-a,Newtown Council,Wales\n\
                    newtown-b,Newtown Council.,Wales\n";
    authorities::upsert_rows(
        &conn,
        "councils.csv",
        &parse_authorities("councils.csv", councils).unwrap(),
    )
    .await
    .unwrap();
    let links = format!(
        "{LINKS_HEADER}\
         Oldtown Council\tOldtown\tWales\tHarbin\tHeilongjiang\ttwinning\t1990\tactive\n\
         newtown council\tNewtown\tWales\tWuhan\tHubei\ttwinning\t1990\tactive\n"
    );
    let err = twinnings::import_rows(
        &conn,
        "links.tsv",
        &parse_twinnings("links.tsv", &links).unwrap(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Rows(_)), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.contains("links.tsv:line 3, field uk_authority")
            && shown.contains("newtown-a")
            && shown.contains("newtown-b"),
        "{shown}"
    );
    // Not even the good row's council or link was written.
    assert!(twinnings::list(&conn, None, None).await.unwrap().is_empty());
    assert_eq!(authorities::list(&conn, None).await.unwrap().len(), 2);

    let update = "name,nation,foi_email\nNewtown Council,Wales,foi@newtown.example.org\n";
    let err =
        authorities::upsert_rows(&conn, "u.csv", &parse_authorities("u.csv", update).unwrap())
            .await
            .unwrap_err()
            .to_string();
    assert!(err.contains("u.csv:line 2, field name"), "{err}");
    assert!(authorities::list(&conn, None)
        .await
        .unwrap()
        .iter()
        .all(|a| a.foi_email.is_none()));
}

async fn seed_finds_councils_staff_imported_under_their_own_slugs(db: TestDb) {
    let conn = db.connect().await;
    let councils = "slug,name,nation\nnottingham,Nottingham City Council,England\n";
    authorities::upsert_rows(
        &conn,
        "councils.csv",
        &parse_authorities("councils.csv", councils).unwrap(),
    )
    .await
    .unwrap();
    let s = foi::services::seed::run(&db.app().await).await.unwrap();
    assert_eq!(s.twinnings.authorities_created, 30);
    assert!(authorities::find_by_slug(&conn, "nottingham-city-council")
        .await
        .unwrap()
        .is_none());
    let nottingham = authorities::get_by_slug(&conn, "nottingham").await.unwrap();
    // Its link and its FOI address from the shipped contacts found it by name.
    assert_eq!(
        nottingham.foi_email.as_deref(),
        Some("foi@nottinghamcity.gov.uk")
    );
    let links = twinnings::for_authority(&conn, nottingham.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].partner_city, "Ningbo");
}

async fn bad_text_in_a_cell_is_refused_before_the_database_sees_it(db: TestDb) {
    let conn = db.connect().await;
    let long = "x".repeat(10 * 1024 * 1024);
    let text = format!(
        "name,nation,website\n\
         Good Council,England,\n\
         \"Two\nLines Council\",England,\n\
         Nul\0 Council,England,\n\
         Bell\u{7} Council,England,\n\
         \u{202E}licnuoC esreveR,England,\n\
         Isolate \u{2066}Council,England,\n\
         {},England,\n\
         Long Site Council,England,https://example.org/{long}\n\
         Also Good Council,England,\n",
        "N".repeat(201)
    );
    let err = parse_authorities("bad.csv", &text).unwrap_err();
    let at: Vec<(u64, Option<&str>)> = err
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        at,
        vec![
            (3, Some("name")),
            (5, Some("name")),
            (6, Some("name")),
            (7, Some("name")),
            (8, Some("name")),
            (9, Some("name")),
            (10, Some("website")),
        ]
    );
    let shown = err.to_string();
    assert!(
        shown.contains("bad.csv:line 5, field name: contains a NUL character"),
        "{shown}"
    );
    assert!(shown.contains("line break"), "{shown}");
    assert!(
        shown.contains("U+202E") && shown.contains("U+2066"),
        "{shown}"
    );
    assert!(shown.contains("at most 200"), "{shown}");
    assert!(
        shown.len() < 5000,
        "the error does not repeat the 10 MB value"
    );
    // 200 characters is fine (and é is one character, not two bytes' worth).
    let ok = format!("name,nation\n{}é,England\n", "N".repeat(199));
    let rows = parse_authorities("ok.csv", &ok).unwrap();
    authorities::upsert_rows(&conn, "ok.csv", &rows)
        .await
        .unwrap();
    assert_eq!(authorities::list(&conn, None).await.unwrap().len(), 1);

    let links = format!("{LINKS_HEADER}X Council\tX\tEngland\tY\0\tZ\ttwinning\t1990\tactive\n");
    let err = parse_twinnings("l.tsv", &links).unwrap_err().to_string();
    assert!(
        err.contains("l.tsv:line 2, field chinese_partner: contains a NUL"),
        "{err}"
    );
}

async fn a_short_row_is_refused_not_padded(db: TestDb) {
    let conn = db.connect().await;
    let header = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\tended_year\tsource\tnotes\n";
    let text = format!(
        "{header}\
         A Council\tA\tEngland\tHarbin\tHeilongjiang\ttwinning\t1990\tactive\t\t\t\n\
         B Council\tB\tEngland\tWuhan\tHubei\ttwinning\t1990\tactive\n"
    );
    let err = parse_twinnings("short.tsv", &text).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(err.errors[0].line, 3);
    let shown = err.to_string();
    assert!(
        shown.contains("short.tsv:line 3: 8 cells, but the header has 11 columns")
            && shown.contains("ended_year, source, notes"),
        "{shown}"
    );
    // A short row and a bad value elsewhere are reported together.
    let csv = "name,nation,foi_email\nA Council,England\nB Council,England,nope\n";
    let err = parse_authorities("c.csv", csv).unwrap_err();
    assert_eq!(
        err.errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect::<Vec<_>>(),
        vec![(2, None), (3, Some("foi_email"))]
    );
    assert!(authorities::list(&conn, None).await.unwrap().is_empty());
}

db_tests!(
    links_find_a_council_by_name_under_its_own_slug,
    a_name_two_councils_share_is_an_error_and_writes_nothing,
    seed_finds_councils_staff_imported_under_their_own_slugs,
    bad_text_in_a_cell_is_refused_before_the_database_sees_it,
    a_short_row_is_refused_not_padded,
    import_upserts_and_derives_regimes,
    a_bad_row_on_line_7_writes_nothing,
    seed_is_idempotent_and_never_invents_addresses,
    twinning_import_updates_by_authority_and_partner,
);
