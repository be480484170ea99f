//! Template helpers: `uk_date` ("2026-11-28" → "28 November 2026"), `join`, and `and_list`
//! (`{{and_list twinnings "partner_city"}}` → "Wuhan, Chengdu and Anshan").

use chrono::NaiveDate;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};

pub fn register(h: &mut Handlebars<'_>) {
    h.register_helper("uk_date", Box::new(uk_date));
    h.register_helper("join", Box::new(join));
    h.register_helper("and_list", Box::new(and_list));
}

/// "A", "A and B", "A, B and C": how a letter names several things in a sentence.
pub fn and_list_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn and_list(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let list = h
        .param(0)
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("and_list", 0)))?
        .value();
    let field = h
        .param(1)
        .and_then(|p| p.value().as_str().map(str::to_string));
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let items: Vec<String> = match list {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| match &field {
                Some(f) => v.get(f).map(text).ok_or_else(|| {
                    RenderError::from(RenderErrorReason::Other(format!(
                        "and_list: an item has no field '{f}'"
                    )))
                }),
                None => Ok(text(v)),
            })
            .collect::<Result<_, _>>()?,
        serde_json::Value::Null => Vec::new(),
        other => {
            return Err(RenderError::from(RenderErrorReason::Other(format!(
                "and_list needs a list, got {other}"
            ))))
        }
    };
    out.write(&and_list_of(&items))?;
    Ok(())
}

pub fn format_uk_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn uk_date(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let param = h
        .param(0)
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("uk_date", 0)))?;
    let value = param.value();
    let text = value.as_str().ok_or_else(|| {
        RenderError::from(RenderErrorReason::Other(format!(
            "uk_date needs a date such as \"2026-11-28\", got {} ({})",
            value,
            param
                .relative_path()
                .map(String::as_str)
                .unwrap_or("a literal")
        )))
    })?;
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        RenderError::from(RenderErrorReason::Other(format!(
            "uk_date: '{text}' is not a YYYY-MM-DD date"
        )))
    })?;
    out.write(&format_uk_date(date))?;
    Ok(())
}

fn join(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let list = h
        .param(0)
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("join", 0)))?
        .value();
    let sep = h.param(1).and_then(|p| p.value().as_str()).unwrap_or(", ");
    let items: Vec<String> = match list {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        serde_json::Value::Null => Vec::new(),
        other => {
            return Err(RenderError::from(RenderErrorReason::Other(format!(
                "join needs a list, got {other}"
            ))))
        }
    };
    out.write(&items.join(sep))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_the_british_way() {
        assert_eq!(
            format_uk_date(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()),
            "28 November 2026"
        );
        assert_eq!(
            format_uk_date(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()),
            "1 March 2025"
        );
    }

    #[test]
    fn helpers_render_and_fail_clearly() {
        let mut h = Handlebars::new();
        h.set_strict_mode(true);
        register(&mut h);
        let data = serde_json::json!({"d": "2024-04-25", "l": ["a", "b"], "bad": "25/04/2024",
            "links": [{"c": "Wuhan"}, {"c": "Chengdu"}, {"c": "Anshan"}]});
        assert_eq!(
            h.render_template("{{uk_date d}} {{join l \" and \"}}", &data)
                .unwrap(),
            "25 April 2024 a and b"
        );
        assert_eq!(
            h.render_template("{{and_list links \"c\"}}; {{and_list l}}", &data)
                .unwrap(),
            "Wuhan, Chengdu and Anshan; a and b"
        );
        let err = h
            .render_template("{{and_list links \"x\"}}", &data)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no field 'x'"), "{err}");
        let err = h
            .render_template("{{uk_date bad}}", &data)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a YYYY-MM-DD date"), "{err}");
    }
}
