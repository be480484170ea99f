//! Importing authorities and twinning links, and seeding the shipped data, on SQLite and PostgreSQL.

mod common;

use common::TestDb;
use foi::import::{parse_authorities, parse_twinnings};
use foi::store::{authorities, twinnings};

const GOOD: &str = "name,nation,foi_email,website,tags\n\
Sheffield City Council,England,foi@sheffield.gov.uk,https://www.sheffield.gov.uk,city twinned\n\
Glasgow City Council,Scotland,,,city\n\
Belfast City Council,Northern Ireland,,,\n";

async fn import_upserts_and_derives_regimes(db: TestDb) {
    let conn = db.connect().await;
    let rows = parse_authorities("good.csv", GOOD).unwrap();
    let s = authorities::upsert_rows(&conn, &rows).await.unwrap();
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
    let s = authorities::upsert_rows(&conn, &rows).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 3));
    let changed = "slug,name,nation,foi_email,tags\n\
                   sheffield-city-council,Sheffield City Council,England,,city\n\
                   glasgow-city-council,Glasgow City Council,Scotland,foi@glasgow.gov.uk,city\n";
    let s = authorities::upsert_rows(&conn, &parse_authorities("c.csv", changed).unwrap())
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
    authorities::upsert_rows(&conn, &parse_authorities("good.csv", GOOD).unwrap())
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
    let first = foi::seed::run(&conn).await.unwrap();
    assert_eq!(first.twinnings.links_created, 40);
    assert_eq!(first.twinnings.authorities_created, 31);
    assert_eq!(first.emails_filled, 6);
    let second = foi::seed::run(&conn).await.unwrap();
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
    foi::seed::run(&conn).await.unwrap();
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
    let s = twinnings::import_rows(&conn, &parse_twinnings("t.tsv", &v1).unwrap())
        .await
        .unwrap();
    assert_eq!((s.authorities_created, s.links_created), (1, 1));
    let v2 = format!("{header}Test Borough Council\tTest\tEngland\tHangzhou\tZhejiang\ttwinning\t1990\tended\t2023\t\tdecided\n");
    let s = twinnings::import_rows(&conn, &parse_twinnings("t.tsv", &v2).unwrap())
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

db_tests!(
    import_upserts_and_derives_regimes,
    a_bad_row_on_line_7_writes_nothing,
    seed_is_idempotent_and_never_invents_addresses,
    twinning_import_updates_by_authority_and_partner,
);
