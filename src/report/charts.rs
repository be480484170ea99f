//! The charts: responses over time (sent, answered and overdue per week), outcomes by council,
//! and working days taken against the statutory limit. Data in, bytes out: SVG for the site
//! and the dashboard, PNG for mail (clients do not show SVG). Drawn with plotters; text is
//! laid out with a TrueType font the caller hands over once (`use_font`).

use super::facts::{Assessed, RequestFacts};
use chrono::{Datelike, Duration, NaiveDate};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart font {0} is not a TrueType or OpenType font")]
    Font(String),
    #[error("no chart font: call report::charts::use_font first")]
    NoFont,
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

fn drawn<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

static FONT: OnceLock<()> = OnceLock::new();

/// Makes `bytes` (a TrueType/OpenType font) the charts' font. Only the first call counts.
pub fn use_font(name: &str, bytes: Vec<u8>) -> Result<(), ChartError> {
    if FONT.get().is_some() {
        return Ok(());
    }
    // plotters keeps fonts for the life of the program.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    for style in [FontStyle::Normal, FontStyle::Bold] {
        plotters::style::register_font("sans-serif", style, bytes)
            .map_err(|_| ChartError::Font(name.to_string()))?;
    }
    let _ = FONT.set(());
    Ok(())
}

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    ResponsesOverTime,
    OutcomesByCouncil,
    DaysTaken,
}

impl Chart {
    pub const ALL: [Chart; 3] = [
        Chart::ResponsesOverTime,
        Chart::OutcomesByCouncil,
        Chart::DaysTaken,
    ];

    /// The file name without extension.
    pub fn name(self) -> &'static str {
        match self {
            Chart::ResponsesOverTime => "responses-over-time",
            Chart::OutcomesByCouncil => "outcomes-by-council",
            Chart::DaysTaken => "days-taken",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Chart::ResponsesOverTime => "Requests sent, answered and overdue per week",
            Chart::OutcomesByCouncil => "Outcomes by council",
            Chart::DaysTaken => "Working days taken to answer (statutory limit marked)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekPoint {
    /// The Monday the week starts on.
    pub week: NaiveDate,
    /// Requests received by the council that week.
    pub sent: usize,
    /// Substantive answers that week.
    pub answered: usize,
    /// Requests unanswered past their due date at the end of that week.
    pub overdue: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CouncilOutcomes {
    pub council: String,
    /// By outcome, with `unanswered` for sent requests not yet answered.
    pub counts: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaysTaken {
    pub reference: String,
    pub working_days_taken: i64,
    pub working_days_limit: i64,
}

/// What the charts draw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChartData {
    pub weeks: Vec<WeekPoint>,
    pub outcomes: Vec<CouncilOutcomes>,
    pub days: Vec<DaysTaken>,
}

/// How many weeks the chart over time shows at most (the latest).
pub const MAX_WEEKS: usize = 52;
/// How many councils the outcomes chart shows at most (those with most requests).
pub const MAX_COUNCILS: usize = 30;

/// Adds requests up for the charts, page by page.
#[derive(Debug, Default)]
pub struct ChartDataBuilder {
    /// (received, responded, due in force)
    dates: Vec<(NaiveDate, Option<NaiveDate>, Option<NaiveDate>)>,
    councils: BTreeMap<String, BTreeMap<String, usize>>,
    days: Vec<DaysTaken>,
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

impl ChartDataBuilder {
    pub fn add(&mut self, f: &RequestFacts, a: &Assessed) {
        let Some(received) = a.received else { return };
        self.dates
            .push((received, a.responded, a.due_at_response.or(a.due_now)));
        let outcome = match (&a.outcome, a.unanswered) {
            (Some(o), _) => o.clone(),
            (None, true) => "unanswered".to_string(),
            (None, false) => return,
        };
        *self
            .councils
            .entry(f.authority_name.clone())
            .or_default()
            .entry(outcome)
            .or_default() += 1;
        if let (Some(taken), Some(limit)) = (a.working_days_taken, a.working_days_limit) {
            self.days.push(DaysTaken {
                reference: f.reference.clone(),
                working_days_taken: taken,
                working_days_limit: limit,
            });
        }
    }

    pub fn finish(self, today: NaiveDate) -> ChartData {
        let mut weeks = Vec::new();
        if let Some(first) = self.dates.iter().map(|d| d.0).min() {
            let last = monday(today);
            let mut start = monday(first).max(last - Duration::weeks(MAX_WEEKS as i64 - 1));
            while start <= last {
                let end = start + Duration::days(6);
                let within = |d: NaiveDate| d >= start && d <= end;
                weeks.push(WeekPoint {
                    week: start,
                    sent: self.dates.iter().filter(|d| within(d.0)).count(),
                    answered: self
                        .dates
                        .iter()
                        .filter(|d| d.1.is_some_and(within))
                        .count(),
                    overdue: self
                        .dates
                        .iter()
                        .filter(|(received, responded, due)| {
                            *received <= end
                                && due.is_some_and(|due| due < end)
                                && responded.is_none_or(|r| r > end)
                        })
                        .count(),
                });
                start += Duration::weeks(1);
            }
        }
        let mut outcomes: Vec<CouncilOutcomes> = self
            .councils
            .into_iter()
            .map(|(council, counts)| CouncilOutcomes { council, counts })
            .collect();
        let total = |c: &CouncilOutcomes| c.counts.values().sum::<usize>();
        outcomes.sort_by(|a, b| total(b).cmp(&total(a)).then(a.council.cmp(&b.council)));
        outcomes.truncate(MAX_COUNCILS);
        ChartData {
            weeks,
            outcomes,
            days: self.days,
        }
    }
}

const WIDTH: u32 = 900;
const HEIGHT: u32 = 500;

fn font_ready() -> Result<(), ChartError> {
    FONT.get().map(|_| ()).ok_or(ChartError::NoFont)
}

/// The chart as an SVG document.
pub fn svg(chart: Chart, data: &ChartData) -> Result<String, ChartError> {
    font_ready()?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(chart, data)).into_drawing_area();
        draw(chart, data, &root)?;
        root.present().map_err(drawn)?;
    }
    Ok(out)
}

/// The chart as a PNG image.
pub fn png(chart: Chart, data: &ChartData) -> Result<Vec<u8>, ChartError> {
    font_ready()?;
    let (w, h) = size(chart, data);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(chart, data, &root)?;
        root.present().map_err(drawn)?;
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(drawn)?;
        writer.write_image_data(&rgb).map_err(drawn)?;
    }
    Ok(bytes)
}

fn size(chart: Chart, data: &ChartData) -> (u32, u32) {
    match chart {
        // A bar per council: taller with more councils.
        Chart::OutcomesByCouncil => (WIDTH, HEIGHT.max(120 + 24 * data.outcomes.len() as u32)),
        _ => (WIDTH, HEIGHT),
    }
}

fn draw<DB: DrawingBackend>(
    chart: Chart,
    data: &ChartData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    root.fill(&WHITE).map_err(drawn)?;
    match chart {
        Chart::ResponsesOverTime => over_time(data, root),
        Chart::OutcomesByCouncil => outcomes(data, root),
        Chart::DaysTaken => days_taken(data, root),
    }
}

fn caption(chart: Chart) -> (&'static str, (&'static str, u32)) {
    (chart.title(), ("sans-serif", 20))
}

fn over_time<DB: DrawingBackend>(
    data: &ChartData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let n = data.weeks.len().max(1);
    let top = data
        .weeks
        .iter()
        .map(|w| w.sent.max(w.answered).max(w.overdue))
        .max()
        .unwrap_or(0)
        .max(1);
    let (title, font) = caption(Chart::ResponsesOverTime);
    let mut c = ChartBuilder::on(root)
        .caption(title, font)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(44)
        .build_cartesian_2d(0..n.saturating_sub(1).max(1), 0..top + top / 10 + 1)
        .map_err(drawn)?;
    let weeks = &data.weeks;
    c.configure_mesh()
        .x_labels(n.min(10))
        .x_label_formatter(&|i| {
            weeks
                .get(*i)
                .map(|w| w.week.format("%d %b %y").to_string())
                .unwrap_or_default()
        })
        .x_desc("week starting")
        .y_desc("requests")
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(drawn)?;
    type Series = (&'static str, RGBColor, fn(&WeekPoint) -> usize);
    let series: [Series; 3] = [
        ("sent", RGBColor(31, 119, 180), |w| w.sent),
        ("answered", RGBColor(44, 160, 44), |w| w.answered),
        ("overdue (end of week)", RGBColor(214, 39, 40), |w| {
            w.overdue
        }),
    ];
    for (name, colour, value) in series {
        c.draw_series(LineSeries::new(
            weeks.iter().enumerate().map(|(i, w)| (i, value(w))),
            colour.stroke_width(2),
        ))
        .map_err(drawn)?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(drawn)?;
    Ok(())
}

/// Outcomes in the order the bars stack them, with their colours.
const OUTCOMES: [(&str, RGBColor); 6] = [
    ("successful", RGBColor(44, 160, 44)),
    ("partially_successful", RGBColor(188, 189, 34)),
    ("not_held", RGBColor(127, 127, 127)),
    ("refused", RGBColor(214, 39, 40)),
    ("withdrawn", RGBColor(148, 103, 189)),
    ("unanswered", RGBColor(255, 127, 14)),
];

fn outcomes<DB: DrawingBackend>(
    data: &ChartData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let rows = &data.outcomes;
    let n = rows.len().max(1);
    let top = rows
        .iter()
        .map(|r| r.counts.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (title, font) = caption(Chart::OutcomesByCouncil);
    let mut c = ChartBuilder::on(root)
        .caption(title, font)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(230)
        // Room on the right for the legend; a segmented range of 0..k has k + 1 segments.
        .build_cartesian_2d(0..top + top / 3 + 1, (0..n - 1).into_segmented())
        .map_err(drawn)?;
    c.configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => rows
                .get(*i)
                .map(|r| shorten(&r.council, 34))
                .unwrap_or_default(),
            _ => String::new(),
        })
        .x_desc("requests")
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(drawn)?;
    for (name, colour) in OUTCOMES {
        let bars: Vec<Rectangle<(usize, SegmentValue<usize>)>> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let count = *r.counts.get(name)?;
                let before: usize = OUTCOMES
                    .iter()
                    .take_while(|(o, _)| *o != name)
                    .filter_map(|(o, _)| r.counts.get(*o))
                    .sum();
                let mut bar = Rectangle::new(
                    [
                        (before, SegmentValue::Exact(i)),
                        (before + count, SegmentValue::Exact(i + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                Some(bar)
            })
            .collect();
        c.draw_series(bars)
            .map_err(drawn)?
            .label(name.replace('_', " "))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(drawn)?;
    Ok(())
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Bins of five working days: 0–4, 5–9, … and a last one for 60 and more.
const BIN: i64 = 5;
const BINS: usize = 13;

fn days_taken<DB: DrawingBackend>(
    data: &ChartData,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), ChartError> {
    let mut on_time = [0usize; BINS];
    let mut late = [0usize; BINS];
    for d in &data.days {
        let bin = ((d.working_days_taken.max(0) / BIN) as usize).min(BINS - 1);
        if d.working_days_taken <= d.working_days_limit {
            on_time[bin] += 1;
        } else {
            late[bin] += 1;
        }
    }
    let top = (0..BINS)
        .map(|i| on_time[i] + late[i])
        .max()
        .unwrap_or(0)
        .max(1);
    let (title, font) = caption(Chart::DaysTaken);
    let mut c = ChartBuilder::on(root)
        .caption(title, font)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(44)
        .build_cartesian_2d((0..BINS - 1).into_segmented(), 0..top + top / 10 + 1)
        .map_err(drawn)?;
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(BINS)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i + 1 == BINS => format!("{}+", *i as i64 * BIN),
            SegmentValue::CenterOf(i) => {
                format!("{}–{}", *i as i64 * BIN, *i as i64 * BIN + BIN - 1)
            }
            _ => String::new(),
        })
        .x_desc("working days from receipt to answer")
        .y_desc("answers")
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(drawn)?;
    type Stack<'a> = (
        &'static str,
        RGBColor,
        &'a [usize; BINS],
        Option<&'a [usize; BINS]>,
    );
    let stacks: [Stack<'_>; 2] = [
        ("on time", RGBColor(44, 160, 44), &on_time, None),
        ("late", RGBColor(214, 39, 40), &late, Some(&on_time)),
    ];
    for (name, colour, values, below) in stacks {
        c.draw_series((0..BINS).filter(|i| values[*i] > 0).map(|i| {
            let base = below.map(|b| b[i]).unwrap_or(0);
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), base),
                    (SegmentValue::Exact(i + 1), base + values[i]),
                ],
                colour.filled(),
            );
            bar.set_margin(0, 0, 3, 3);
            bar
        }))
        .map_err(drawn)?
        .label(name)
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    // The usual limit, 20 working days: the boundary between the 15–19 and 20–24 bins.
    let limit = (20 / BIN) as usize;
    c.draw_series(std::iter::once(PathElement::new(
        vec![
            (SegmentValue::Exact(limit), 0),
            (SegmentValue::Exact(limit), top + top / 10 + 1),
        ],
        BLACK.stroke_width(2),
    )))
    .map_err(drawn)?
    .label("statutory limit: 20 working days")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    c.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(drawn)?;
    Ok(())
}
