//! Operator holiday feeds: GOV.UK's bank-holidays.json and iCalendar files.
//! Parsing only; `OperatorHolidays` decides how they override the standard
//! list. Errors name the place in the input that is wrong.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use serde_json::Value;
use thiserror::Error;

use super::{Division, Holiday, HolidaySource};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error("GOV.UK JSON is not valid JSON (line {line}, column {column}): {message}")]
    JsonSyntax {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("GOV.UK JSON, {location}: {problem}")]
    JsonField { location: String, problem: String },

    #[error("iCalendar line {line}: {problem}")]
    IcsLine { line: usize, problem: String },

    #[error("iCalendar event starting at line {line}: {problem}")]
    IcsEvent { line: usize, problem: String },

    #[error(
        "iCalendar file does not say which division its holidays belong to ({detail}); \
         pass the division explicitly (england-and-wales, scotland or northern-ireland)"
    )]
    IcsNoDivision { detail: String },
}

/// Parse GOV.UK's bank-holidays.json:
/// `{"england-and-wales": {"division": "england-and-wales", "events":
/// [{"title", "date", "notes", "bunting"}, …]}, …}`.
pub fn parse_govuk_json(text: &str) -> Result<Vec<Holiday>, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ImportError::JsonSyntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let field_err =
        |location: String, problem: String| ImportError::JsonField { location, problem };
    let Value::Object(blocks) = root else {
        return Err(field_err(
            "top level".into(),
            "expected an object keyed by division (england-and-wales, scotland, northern-ireland)"
                .into(),
        ));
    };

    let mut out = Vec::new();
    for (key, block) in &blocks {
        let division: Division = key
            .parse()
            .map_err(|e: super::CalendarError| field_err(format!("key {key:?}"), e.to_string()))?;
        let Value::Object(block) = block else {
            return Err(field_err(format!("{key:?}"), "expected an object".into()));
        };
        if let Some(named) = block.get("division") {
            if named.as_str() != Some(key.as_str()) {
                return Err(field_err(
                    format!("{key:?}.division"),
                    format!("is {named}, which does not match its key {key:?}"),
                ));
            }
        }
        let Some(Value::Array(events)) = block.get("events") else {
            return Err(field_err(
                format!("{key:?}.events"),
                "missing, or not an array of events".into(),
            ));
        };
        let mut seen = BTreeSet::new();
        for (i, event) in events.iter().enumerate() {
            let at = |field: &str| format!("{key:?}.events[{i}].{field}");
            let Value::Object(event) = event else {
                return Err(field_err(
                    format!("{key:?}.events[{i}]"),
                    "expected an object".into(),
                ));
            };
            let date_text = event
                .get("date")
                .and_then(Value::as_str)
                .ok_or_else(|| field_err(at("date"), "missing, or not a string".into()))?;
            let date = parse_iso_date(date_text).ok_or_else(|| {
                field_err(
                    at("date"),
                    format!("{date_text:?} is not a date in YYYY-MM-DD form"),
                )
            })?;
            let title = event
                .get("title")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| field_err(at("title"), "missing or empty".into()))?;
            if !seen.insert(date) {
                return Err(field_err(
                    at("date"),
                    format!("{date} appears more than once in this division"),
                ));
            }
            out.push(Holiday {
                date,
                division,
                title: title.to_string(),
                source: HolidaySource::Operator,
            });
        }
    }
    Ok(out)
}

fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    // chrono accepts unpadded fields; the feed format is strictly padded.
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// One unfolded content line and the physical line it started on.
struct ContentLine {
    line: usize,
    name: String,
    params: Vec<String>,
    value: String,
}

/// Parse all-day VEVENTs (`DTSTART;VALUE=DATE:YYYYMMDD` plus `SUMMARY`).
/// The division is `default_division` if given, else whichever one
/// X-WR-CALNAME names.
pub fn parse_ics(
    text: &str,
    default_division: Option<Division>,
) -> Result<Vec<Holiday>, ImportError> {
    let lines = content_lines(text)?;
    if !lines
        .iter()
        .any(|l| l.name == "BEGIN" && l.value.eq_ignore_ascii_case("VCALENDAR"))
    {
        return Err(ImportError::IcsLine {
            line: 1,
            problem: "no BEGIN:VCALENDAR found; this is not an iCalendar file".into(),
        });
    }

    let mut calname: Option<(usize, String)> = None;
    let mut events: Vec<(NaiveDate, String)> = Vec::new();
    let mut current: Option<EventDraft> = None;
    // Components nested inside a VEVENT (e.g. VALARM) carry their own
    // properties, which must not be mistaken for the event's.
    let mut nested_depth = 0usize;

    for l in &lines {
        let upper_value = l.value.to_ascii_uppercase();
        match (l.name.as_str(), current.as_mut()) {
            ("BEGIN", None) if upper_value == "VEVENT" => {
                current = Some(EventDraft::new(l.line));
            }
            ("BEGIN", Some(draft)) if upper_value == "VEVENT" => {
                return Err(ImportError::IcsEvent {
                    line: draft.line,
                    problem: format!(
                        "no END:VEVENT before the next BEGIN:VEVENT at line {}",
                        l.line
                    ),
                });
            }
            ("BEGIN", Some(_)) => nested_depth += 1,
            ("END", Some(_)) if nested_depth > 0 => nested_depth -= 1,
            ("END", Some(draft)) if upper_value == "VEVENT" => {
                events.push(draft.finish()?);
                current = None;
            }
            ("END", None) if upper_value == "VEVENT" => {
                return Err(ImportError::IcsLine {
                    line: l.line,
                    problem: "END:VEVENT without a matching BEGIN:VEVENT".into(),
                });
            }
            (_, Some(_)) if nested_depth > 0 => {}
            ("X-WR-CALNAME", None) => calname = Some((l.line, unescape_text(&l.value))),
            ("DTSTART", Some(draft)) => draft.start = Some(parse_ics_date(l, "DTSTART")?),
            ("DTEND", Some(draft)) => draft.end = Some(parse_ics_date(l, "DTEND")?),
            ("SUMMARY", Some(draft)) => draft.summary = Some(unescape_text(&l.value)),
            ("RRULE" | "RDATE", Some(_)) => {
                return Err(ImportError::IcsLine {
                    line: l.line,
                    problem: format!(
                        "{} (recurring events) is not supported: list each bank holiday as its own event",
                        l.name
                    ),
                });
            }
            _ => {}
        }
    }
    if let Some(draft) = current {
        return Err(ImportError::IcsEvent {
            line: draft.line,
            problem: "the file ends before END:VEVENT".into(),
        });
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }

    let division = match default_division {
        Some(d) => d,
        None => division_from_calname(calname)?,
    };
    Ok(events
        .into_iter()
        .map(|(date, title)| Holiday {
            date,
            division,
            title,
            source: HolidaySource::Operator,
        })
        .collect())
}

struct EventDraft {
    line: usize,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    summary: Option<String>,
}

impl EventDraft {
    fn new(line: usize) -> Self {
        EventDraft {
            line,
            start: None,
            end: None,
            summary: None,
        }
    }

    fn finish(&self) -> Result<(NaiveDate, String), ImportError> {
        let event_err = |problem: String| ImportError::IcsEvent {
            line: self.line,
            problem,
        };
        let start = self
            .start
            .ok_or_else(|| event_err("missing DTSTART;VALUE=DATE:YYYYMMDD".into()))?;
        let summary = self
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| event_err("missing or empty SUMMARY (the holiday's title)".into()))?;
        // An all-day event ends (exclusively) the next day; anything longer
        // would silently drop days if we kept only DTSTART.
        if let Some(end) = self.end {
            if end != start + Duration::days(1) && end != start {
                return Err(event_err(format!(
                    "DTEND {} makes \"{summary}\" span more than one day; list each day as its own event",
                    end.format("%Y%m%d")
                )));
            }
        }
        Ok((start, summary.to_string()))
    }
}

fn parse_ics_date(l: &ContentLine, field: &str) -> Result<NaiveDate, ImportError> {
    let err = |problem: String| ImportError::IcsLine {
        line: l.line,
        problem,
    };
    let value_param = l.params.iter().find_map(|p| {
        p.strip_prefix("VALUE=")
            .or_else(|| p.strip_prefix("value="))
    });
    if let Some(kind) = value_param {
        if !kind.eq_ignore_ascii_case("DATE") {
            return Err(err(format!(
                "{field} has VALUE={kind}; bank holidays must be all-day dates ({field};VALUE=DATE:YYYYMMDD)"
            )));
        }
    }
    let value = l.value.trim();
    if value.contains('T') {
        return Err(err(format!(
            "{field} {value:?} is a date-time; bank holidays must be all-day dates ({field};VALUE=DATE:YYYYMMDD)"
        )));
    }
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!(
            "{field} {value:?} is not a date in YYYYMMDD form"
        )));
    }
    NaiveDate::parse_from_str(value, "%Y%m%d")
        .map_err(|_| err(format!("{field} {value:?} is not a real calendar date")))
}

fn division_from_calname(calname: Option<(usize, String)>) -> Result<Division, ImportError> {
    let Some((line, name)) = calname else {
        return Err(ImportError::IcsNoDivision {
            detail: "it has no X-WR-CALNAME".into(),
        });
    };
    let normal = name.to_lowercase().replace(['-', '_'], " ");
    let mut found = Vec::new();
    if normal.contains("england") || normal.contains("wales") {
        found.push(Division::EnglandAndWales);
    }
    if normal.contains("scotland") || normal.contains("scottish") {
        found.push(Division::Scotland);
    }
    if normal.contains("northern ireland") {
        found.push(Division::NorthernIreland);
    }
    match found[..] {
        [one] => Ok(one),
        [] => Err(ImportError::IcsNoDivision {
            detail: format!("X-WR-CALNAME {name:?} on line {line} names no division"),
        }),
        _ => Err(ImportError::IcsNoDivision {
            detail: format!("X-WR-CALNAME {name:?} on line {line} names more than one division"),
        }),
    }
}

/// Unfold (RFC 5545 §3.1: a line starting with space or tab continues the
/// previous one) and split each content line into name, params and value.
fn content_lines(text: &str) -> Result<Vec<ContentLine>, ImportError> {
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, prev)) => prev.push_str(rest),
                None => {
                    return Err(ImportError::IcsLine {
                        line: i + 1,
                        problem: "continuation line with nothing to continue".into(),
                    })
                }
            }
        } else if !raw.trim().is_empty() {
            logical.push((i + 1, raw.to_string()));
        }
    }

    let mut out = Vec::with_capacity(logical.len());
    for (line, text) in logical {
        let Some(colon) = first_unquoted_colon(&text) else {
            return Err(ImportError::IcsLine {
                line,
                problem: format!("expected NAME:VALUE, found {text:?}"),
            });
        };
        let (head, value) = (&text[..colon], &text[colon + 1..]);
        let mut parts = head.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
        let params = parts.map(|p| p.trim().to_string()).collect();
        out.push(ContentLine {
            line,
            name,
            params,
            value: value.to_string(),
        });
    }
    Ok(out)
}

fn first_unquoted_colon(text: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const GOVUK: &str = r#"{
      "england-and-wales": {"division": "england-and-wales", "events": [
        {"title": "New Year’s Day", "date": "2028-01-03", "notes": "Substitute day", "bunting": true}
      ]},
      "scotland": {"division": "scotland", "events": [
        {"title": "Summer bank holiday", "date": "2027-08-02", "notes": "", "bunting": true},
        {"title": "St Andrew’s Day", "date": "2027-11-30", "notes": "", "bunting": true}
      ]}
    }"#;

    #[test]
    fn govuk_json_good() {
        let got = parse_govuk_json(GOVUK).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].division, Division::EnglandAndWales);
        assert_eq!(got[0].date, ymd(2028, 1, 3));
        assert_eq!(got[2].title, "St Andrew’s Day");
        assert!(got.iter().all(|h| h.source == HolidaySource::Operator));
    }

    #[test]
    fn govuk_json_bad() {
        let err = parse_govuk_json("{\"scotland\": ").unwrap_err();
        assert!(
            matches!(err, ImportError::JsonSyntax { line: 1, .. }),
            "{err}"
        );

        let err = parse_govuk_json(r#"{"wales": {"events": []}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key \"wales\""), "{err}");

        let err =
            parse_govuk_json(r#"{"scotland": {"division": "england-and-wales", "events": []}}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("does not match"), "{err}");

        let err = parse_govuk_json(r#"{"scotland": {"division": "scotland"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"scotland\".events"), "{err}");

        let bad_date = r#"{"scotland": {"events": [{"title": "X", "date": "2027-8-2"}]}}"#;
        let err = parse_govuk_json(bad_date).unwrap_err().to_string();
        assert!(
            err.contains("\"scotland\".events[0].date") && err.contains("2027-8-2"),
            "{err}"
        );

        let no_title = r#"{"scotland": {"events": [{"title": " ", "date": "2027-08-02"}]}}"#;
        let err = parse_govuk_json(no_title).unwrap_err().to_string();
        assert!(err.contains("events[0].title"), "{err}");

        let dup = r#"{"scotland": {"events": [{"title": "A", "date": "2027-08-02"},
                                              {"title": "B", "date": "2027-08-02"}]}}"#;
        let err = parse_govuk_json(dup).unwrap_err().to_string();
        assert!(
            err.contains("events[1].date") && err.contains("more than once"),
            "{err}"
        );

        let err = parse_govuk_json("[]").unwrap_err().to_string();
        assert!(err.contains("top level"), "{err}");
    }

    #[test]
    fn ics_good_with_folding_crlf_and_calname() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Scotland bank holi\r\n days\r\n\
                   BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20280807\r\nDTEND;VALUE=DATE:20280808\r\n\
                   SUMMARY:Summer bank\r\n  holiday\r\nBEGIN:VALARM\r\nDTSTART:20280806T090000\r\n\
                   END:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20281130\r\n\
                   SUMMARY:St Andrew\\, patron\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let got = parse_ics(ics, None).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].date, ymd(2028, 8, 7));
        assert_eq!(got[0].title, "Summer bank holiday");
        assert_eq!(got[0].division, Division::Scotland);
        assert_eq!(got[1].title, "St Andrew, patron");

        let forced = parse_ics(ics, Some(Division::NorthernIreland)).unwrap();
        assert!(forced
            .iter()
            .all(|h| h.division == Division::NorthernIreland));
    }

    #[test]
    fn ics_bad() {
        let wrap = |body: &str| format!("BEGIN:VCALENDAR\n{body}END:VCALENDAR\n");

        let err = parse_ics("hello\n", Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");

        let no_div = wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nSUMMARY:X\nEND:VEVENT\n");
        let err = parse_ics(&no_div, None).unwrap_err().to_string();
        assert!(err.contains("pass the division"), "{err}");

        let ambiguous = wrap(
            "X-WR-CALNAME:England and Scotland\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nSUMMARY:X\nEND:VEVENT\n",
        );
        let err = parse_ics(&ambiguous, None).unwrap_err().to_string();
        assert!(
            err.contains("more than one division") && err.contains("line 2"),
            "{err}"
        );

        let timed = wrap("BEGIN:VEVENT\nDTSTART:20280101T000000Z\nSUMMARY:X\nEND:VEVENT\n");
        let err = parse_ics(&timed, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("date-time"), "{err}");

        let bad_date = wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280231\nSUMMARY:X\nEND:VEVENT\n");
        let err = parse_ics(&bad_date, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("20280231"), "{err}");

        let no_summary = wrap("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nEND:VEVENT\n");
        let err = parse_ics(&no_summary, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("event starting at line 2") && err.contains("SUMMARY"),
            "{err}"
        );

        let no_start = wrap("BEGIN:VEVENT\nSUMMARY:X\nEND:VEVENT\n");
        let err = parse_ics(&no_start, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("DTSTART"), "{err}");

        let multi = wrap(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nDTEND;VALUE=DATE:20280104\nSUMMARY:X\nEND:VEVENT\n",
        );
        let err = parse_ics(&multi, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than one day"), "{err}");

        let rrule = wrap(
            "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\nRRULE:FREQ=YEARLY\nSUMMARY:X\nEND:VEVENT\n",
        );
        let err = parse_ics(&rrule, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("RRULE"), "{err}");

        let unterminated = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20280101\n";
        let err = parse_ics(unterminated, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("END:VEVENT"),
            "{err}"
        );

        let no_colon = wrap("BEGIN:VEVENT\nDTSTART\nEND:VEVENT\n");
        let err = parse_ics(&no_colon, Some(Division::Scotland))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("NAME:VALUE"),
            "{err}"
        );
    }
}
