//! `liveboard-bench chart`: SVG charts of the JSON Lines records, written by hand.
//!
//! SVG is text: a chart is a few dozen `<line>`, `<path>`, `<rect>` and `<text>` elements
//! in a coordinate system we choose, so no plotting library is needed. What takes care is
//! the same as on paper:
//!
//! * **Axes that read well.** Value axes start at 0 and end on a "nice" number; their ticks
//!   are 1, 2 or 5 × 10ⁿ apart ([`nice_ticks`]). Connection counts span decades (1k, 10k,
//!   19.5k), so an x axis whose values span 10× or more is logarithmic, with a tick at each
//!   measured size.
//! * **Every series told apart without color.** Each has its own color (the Okabe–Ito
//!   palette, readable with the common color-vision deficiencies), its own dash pattern and
//!   marker, and for bars its own hatching; the legend shows all three.
//! * **Accessible.** `role="img"` with `<title>` and `<desc>`: the description lists every
//!   value, so a screen reader gets the data, not only "a chart". Text is 14 px or larger.
//! * **Honest.** The subtitle says how many runs each point is the median of, the commit,
//!   the date and the load average during the runs.
//!
//! The charts, each skipped when its records are absent:
//!
//! | file | from | shows |
//! |---|---|---|
//! | `fanout-cpu-per-delivery.svg` | `fanout`, rate 0, window 1 | server CPU µs per delivery vs subscribers |
//! | `fanout-deliveries.svg` | the same | deliveries/s vs subscribers |
//! | `fanout-latency.svg` | the last `fanout` with a rate | latency percentiles per server |
//! | `idle-memory.svg` | `idle` | server KiB per idle connection vs connections |
//! | `echo-cpu.svg` | `echo` | server CPU µs per message per server |
//!
//! For each server and size the latest record wins, so appending a re-run replaces a point.

use std::{collections::BTreeMap, fmt::Write as _, path::PathBuf};

use crate::{
    report::{self, ResultRecord},
    server::ServerKind,
};

/// `chart`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ChartArgs {
    /// The JSON Lines file `--json` wrote.
    #[arg(long)]
    pub input: PathBuf,
    /// The directory to write the SVG files into (created if absent).
    #[arg(long)]
    pub out: PathBuf,
}

/// Reads the records, writes every chart they have data for, and says what it wrote.
pub fn run(args: &ChartArgs) -> Result<(), String> {
    let records = report::read_all(&args.input)?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let charts = charts(&records);
    if charts.is_empty() {
        return Err(format!(
            "{}: no records to chart (run a scenario with --json first)",
            args.input.display()
        ));
    }
    for chart in charts {
        let path = args.out.join(chart.file);
        std::fs::write(&path, chart.svg)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// One rendered chart.
pub struct Rendered {
    pub file: &'static str,
    pub svg: String,
}

const CPU_PER_DELIVERY: &str = "server CPU µs/delivery";
const DELIVERIES: &str = "deliveries/s";
const KIB_PER_CONNECTION: &str = "server KiB/connection";
const CPU_PER_MESSAGE: &str = "server CPU µs/message";

/// Every chart `records` hold data for.
pub fn charts(records: &[ResultRecord]) -> Vec<Rendered> {
    let window_1: Vec<&ResultRecord> = records
        .iter()
        .filter(|r| {
            r.scenario == "fanout"
                && r.param_f64("rate") == Some(0.0)
                && r.param_f64("window") == Some(1.0)
        })
        .collect();
    let with_rate = records
        .iter()
        .rev()
        .find(|r| r.scenario == "fanout" && r.param_f64("rate").is_some_and(|r| r > 0.0));
    let idle: Vec<&ResultRecord> = records.iter().filter(|r| r.scenario == "idle").collect();
    let echo: Vec<&ResultRecord> = records.iter().filter(|r| r.scenario == "echo").collect();

    let mut out = Vec::new();
    let mut line = |file, title: &str, y_label: &str, metric, x_param, rows: &[&ResultRecord]| {
        let series = line_series(rows, x_param, metric, |_| None);
        if !series.is_empty() {
            let chart = LineChart {
                id: file,
                title: title.into(),
                subtitle: provenance(rows),
                x_label: x_label(x_param).into(),
                y_label: y_label.into(),
                series,
            };
            out.push(Rendered {
                file,
                svg: chart.render(),
            });
        }
    };
    line(
        "fanout-cpu-per-delivery.svg",
        "Fan-out: server CPU per delivery (lower is better)",
        "server CPU µs per delivery",
        CPU_PER_DELIVERY,
        "subs",
        &window_1,
    );
    line(
        "fanout-deliveries.svg",
        "Fan-out: deliveries per second on one core (higher is better)",
        "deliveries/s",
        DELIVERIES,
        "subs",
        &window_1,
    );
    let idle_series = line_series(&idle, "conns", KIB_PER_CONNECTION, |r| {
        Some(match r.param_str("transport") {
            Some("sse") => (1, "SSE"),
            _ => (0, "WebSocket"),
        })
    });
    if !idle_series.is_empty() {
        let chart = LineChart {
            id: "idle-memory.svg",
            title: "Idle connections: server memory per connection (lower is better)".into(),
            subtitle: provenance(&idle),
            x_label: x_label("conns").into(),
            y_label: "server KiB per connection".into(),
            series: idle_series,
        };
        out.push(Rendered {
            file: "idle-memory.svg",
            svg: chart.render(),
        });
    }
    if let Some(r) = with_rate {
        if let Some(chart) = latency_chart(r) {
            out.push(Rendered {
                file: "fanout-latency.svg",
                svg: chart.render(),
            });
        }
    }
    if let Some(chart) = echo_chart(&echo) {
        out.push(Rendered {
            file: "echo-cpu.svg",
            svg: chart.render(),
        });
    }
    out
}

fn x_label(param: &str) -> &'static str {
    match param {
        "subs" => "subscribers",
        _ => "connections",
    }
}

/// Where a sort puts a server: ours first, then the peers in the tool's order.
fn server_rank(name: &str) -> usize {
    ServerKind::ALL
        .iter()
        .position(|k| k.label() == name)
        .unwrap_or(ServerKind::ALL.len())
}

/// One series per server (and per `variant`, e.g. the transport: its rank, then its name,
/// so variants come in the order given), a point per value of
/// `x_param`: the median of `metric`. A later record replaces an earlier one's point.
fn line_series(
    rows: &[&ResultRecord],
    x_param: &str,
    metric: &str,
    variant: impl Fn(&ResultRecord) -> Option<(u8, &'static str)>,
) -> Vec<Series> {
    // (variant, server rank, server) → x (as bits, for ordering) → y
    type Key = (Option<(u8, &'static str)>, usize, String);
    let mut by_series: BTreeMap<Key, BTreeMap<u64, f64>> = BTreeMap::new();
    for r in rows {
        let Some(x) = r.param_f64(x_param).filter(|x| *x > 0.0) else {
            continue;
        };
        for s in &r.servers {
            if let Some(Some(y)) = s.median.get(metric) {
                by_series
                    .entry((variant(r), server_rank(&s.server), s.server.clone()))
                    .or_default()
                    .insert(x.to_bits(), *y);
            }
        }
    }
    // Positive floats order like their bits.
    by_series
        .into_iter()
        .map(|((variant, _, server), points)| Series {
            name: match variant {
                Some((_, v)) => format!("{server} ({v})"),
                None => server,
            },
            points: points
                .into_iter()
                .map(|(x, y)| (f64::from_bits(x), y))
                .collect(),
        })
        .collect()
}

/// "median of 3 runs · commit abc1234 · 2026-12-01 · load 1.2–3.4" for the records used.
fn provenance(rows: &[&ResultRecord]) -> String {
    let runs = rows
        .iter()
        .flat_map(|r| r.servers.iter().map(|s| s.runs.len()))
        .max()
        .unwrap_or(0);
    let mut parts = vec![if runs == 1 {
        "one run".to_owned()
    } else {
        format!("median of {runs} runs")
    }];
    let mut commits: Vec<&str> = rows.iter().filter_map(|r| r.commit.as_deref()).collect();
    commits.sort_unstable();
    commits.dedup();
    if !commits.is_empty() {
        parts.push(format!("commit {}", commits.join(", ")));
    }
    let mut dates: Vec<&str> = rows.iter().filter_map(|r| r.date.get(..10)).collect();
    dates.sort_unstable();
    dates.dedup();
    match dates.as_slice() {
        [] => {}
        [one] => parts.push(one.to_string()),
        [first, .., last] => parts.push(format!("{first} to {last}")),
    }
    let loads: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.load_start, r.load_end])
        .flatten()
        .map(|l| l[0])
        .collect();
    if let (Some(lo), Some(hi)) = (
        loads.iter().copied().reduce(f64::min),
        loads.iter().copied().reduce(f64::max),
    ) {
        parts.push(format!("load average {lo:.1}–{hi:.1}"));
    }
    parts.join(" · ")
}

/// Grouped bars: one group per latency percentile the record has (`latency p50 ms`, …),
/// one bar per server.
fn latency_chart(r: &ResultRecord) -> Option<BarChart> {
    let first = r.servers.first()?;
    let metrics: Vec<&String> = first
        .median
        .keys()
        .filter(|k| k.starts_with("latency ") && k.ends_with(" ms"))
        .collect();
    if metrics.is_empty() {
        return None;
    }
    // p50 < p90 < p99 < max, whatever the names sort as.
    let mut metrics = metrics;
    metrics.sort_by_key(|m| {
        let p = m.trim_start_matches("latency ").trim_end_matches(" ms");
        p.trim_start_matches('p')
            .parse::<f64>()
            .map_or(u64::MAX, |v| (v * 1000.0) as u64)
    });
    let mut servers: Vec<_> = r.servers.iter().collect();
    servers.sort_by_key(|s| server_rank(&s.server));
    Some(BarChart {
        id: "fanout-latency.svg",
        title: format!(
            "Fan-out latency, {} subscribers × {} messages/s (lower is better)",
            r.param_f64("subs").map_or("?".into(), tick_label),
            r.param_f64("rate").map_or("?".into(), tick_label)
        ),
        subtitle: provenance(&[r]),
        y_label: "publish → delivery, ms".into(),
        groups: metrics
            .iter()
            .map(|m| {
                m.trim_start_matches("latency ")
                    .trim_end_matches(" ms")
                    .to_owned()
            })
            .collect(),
        series: servers
            .iter()
            .map(|s| Series {
                name: s.server.clone(),
                points: metrics
                    .iter()
                    .enumerate()
                    .filter_map(|(i, m)| Some((i as f64, (*s.median.get(*m)?)?)))
                    .collect(),
            })
            .collect(),
    })
}

/// Bars: one group per echo size (connections), one bar per server.
fn echo_chart(rows: &[&ResultRecord]) -> Option<BarChart> {
    let series = line_series(rows, "conns", CPU_PER_MESSAGE, |_| None);
    let mut sizes: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    if sizes.is_empty() {
        return None;
    }
    Some(BarChart {
        id: "echo-cpu.svg",
        title: "Echo: server CPU per message (lower is better)".into(),
        subtitle: provenance(rows),
        y_label: "server CPU µs per message".into(),
        groups: sizes
            .iter()
            .map(|n| format!("{} connections", tick_label(*n)))
            .collect(),
        series: series
            .into_iter()
            .map(|s| Series {
                points: s
                    .points
                    .iter()
                    .filter_map(|(x, y)| Some((sizes.iter().position(|n| n == x)? as f64, *y)))
                    .collect(),
                name: s.name,
            })
            .collect(),
    })
}

/// A named series of (x, y) points; for bar charts x is the group's index.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// How one series looks: color, line dash, marker, bar hatching.
struct Style {
    color: &'static str,
    dash: &'static str,
    marker: Marker,
    /// The hatch lines' path in a 10 × 10 tile; empty for a solid bar.
    hatch: &'static str,
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

/// Okabe–Ito colors, each with its own dash, marker and hatching.
const STYLES: [Style; 5] = [
    Style {
        color: "#0072B2",
        dash: "",
        marker: Marker::Circle,
        hatch: "",
    },
    Style {
        color: "#D55E00",
        dash: "9 5",
        marker: Marker::Square,
        hatch: "M-1,1 l2,-2 M0,10 l10,-10 M9,11 l2,-2",
    },
    Style {
        color: "#009E73",
        dash: "2 4",
        marker: Marker::Triangle,
        hatch: "M0,2.5 h10 M0,7.5 h10",
    },
    Style {
        color: "#CC79A7",
        dash: "12 4 2 4",
        marker: Marker::Diamond,
        hatch: "M-1,9 l2,2 M0,0 l10,10 M9,-1 l2,2",
    },
    Style {
        color: "#E69F00",
        dash: "5 3",
        marker: Marker::Cross,
        hatch: "M2.5,0 v10 M7.5,0 v10",
    },
];

fn style(i: usize) -> &'static Style {
    &STYLES[i % STYLES.len()]
}

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 550.0;
const TOP: f64 = 80.0;
const BOTTOM: f64 = 390.0;

/// A mapping from data values to pixels, linear or logarithmic.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
    pub log: bool,
}

impl Scale {
    pub fn map(&self, v: f64) -> f64 {
        let f = |x: f64| if self.log { x.log10() } else { x };
        let (d0, d1) = (f(self.domain.0), f(self.domain.1));
        let t = if d1 == d0 {
            0.5
        } else {
            (f(v) - d0) / (d1 - d0)
        };
        self.range.0 + t * (self.range.1 - self.range.0)
    }
}

/// A "nice" number near `x`: 1, 2, 5 or 10 × 10ⁿ (the classic axis-labelling rule).
/// `round` picks the nearest; otherwise the smallest not below `x`.
fn nice(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let f = x / 10f64.powf(exp);
    let nf = if round {
        match f {
            f if f < 1.5 => 1.0,
            f if f < 3.0 => 2.0,
            f if f < 7.0 => 5.0,
            _ => 10.0,
        }
    } else {
        match f {
            f if f <= 1.0 => 1.0,
            f if f <= 2.0 => 2.0,
            f if f <= 5.0 => 5.0,
            _ => 10.0,
        }
    };
    nf * 10f64.powf(exp)
}

/// About `target` ticks covering `[lo, hi]`, a nice step apart, starting and ending on a
/// multiple of the step.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let step = nice(nice(hi - lo, false) / (target.max(2) - 1) as f64, true);
    let (first, last) = ((lo / step).floor() as i64, (hi / step).ceil() as i64);
    // Rounded to the step's decimals, so 3 × 0.2 is 0.6 and not 0.6000000000000001.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (first..=last)
        .map(|i| (i as f64 * step * scale).round() / scale)
        .collect()
}

/// A tick or value label: 19500 → "19.5k", 0.25 → "0.25", 12.0 → "12".
pub fn tick_label(v: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    let a = v.abs();
    if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 100.0 {
        trim(format!("{v:.0}"))
    } else if a >= 10.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.2}"))
    }
}

/// Text made safe inside SVG elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The parts every chart has: the root element, `<title>`, `<desc>`, heading, subtitle,
/// y axis with its grid and label. Returns the SVG so far and the y scale.
fn frame(
    id: &str,
    title: &str,
    subtitle: &str,
    desc: &str,
    y_label: &str,
    y_max: f64,
) -> (String, Scale) {
    let id = escape(id.trim_end_matches(".svg"));
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="15" fill="#1a1a1a">
<title id="{id}-title">{t}</title>
<desc id="{id}-desc">{d}</desc>
<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>
<text x="{cx}" y="30" text-anchor="middle" font-size="19" font-weight="600">{t}</text>
<text x="{cx}" y="54" text-anchor="middle" font-size="14" fill="#444444">{st}</text>
"##,
        t = escape(title),
        d = escape(desc),
        st = escape(subtitle),
        cx = WIDTH / 2.0,
    );
    // Headroom above the highest value, for its label.
    let ticks = nice_ticks(0.0, y_max * 1.08, 6);
    let y = Scale {
        domain: (0.0, *ticks.last().unwrap_or(&1.0)),
        range: (BOTTOM, TOP),
        log: false,
    };
    for t in &ticks {
        let py = y.map(*t);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{RIGHT}" y1="{py:.1}" y2="{py:.1}" stroke="#d9d9d9"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="14">{}</text>"##,
            LEFT - 8.0,
            py + 5.0,
            tick_label(*t)
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{BOTTOM}" stroke="#1a1a1a"/><line x1="{LEFT}" x2="{RIGHT}" y1="{BOTTOM}" y2="{BOTTOM}" stroke="#1a1a1a"/>
<text transform="translate(24 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        (TOP + BOTTOM) / 2.0,
        escape(y_label)
    );
    (s, y)
}

/// The legend, right of the plot: per series a line sample, its marker or its hatched
/// swatch, and its name.
fn legend(s: &mut String, id: &str, names: &[&str], bars: bool) {
    let x = RIGHT + 24.0;
    let _ = writeln!(s, r#"<g class="legend">"#);
    for (i, name) in names.iter().enumerate() {
        let st = style(i);
        let y = TOP + 10.0 + i as f64 * 30.0;
        if bars {
            let _ = writeln!(
                s,
                r##"<rect x="{x}" y="{:.1}" width="24" height="18" fill="{}" stroke="{}"/>"##,
                y - 9.0,
                bar_fill(id, i),
                st.color
            );
        } else {
            let _ = writeln!(
                s,
                r#"<line x1="{x}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>{}"#,
                x + 30.0,
                st.color,
                st.dash,
                marker(st, x + 15.0, y)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 38.0,
            y + 5.0,
            escape(name)
        );
    }
    let _ = writeln!(s, "</g>");
}

fn marker(st: &Style, x: f64, y: f64) -> String {
    let c = st.color;
    match st.marker {
        Marker::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{c}"/>"#),
        Marker::Square => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{c}"/>"#,
            x - 5.0,
            y - 5.0
        ),
        Marker::Triangle => format!(
            r#"<path d="M{x:.1},{:.1} l6,10 h-12 z" fill="{c}"/>"#,
            y - 6.0
        ),
        Marker::Diamond => format!(
            r#"<path d="M{x:.1},{:.1} l6,6 l-6,6 l-6,-6 z" fill="{c}"/>"#,
            y - 6.0
        ),
        Marker::Cross => format!(
            r#"<path d="M{:.1},{:.1} l10,10 m0,-10 l-10,10" stroke="{c}" stroke-width="3"/>"#,
            x - 5.0,
            y - 5.0
        ),
    }
}

fn bar_fill(id: &str, i: usize) -> String {
    if style(i).hatch.is_empty() {
        style(i).color.to_owned()
    } else {
        format!("url(#{}-hatch-{i})", escape(id.trim_end_matches(".svg")))
    }
}

/// Points joined by lines, one series per server.
pub struct LineChart {
    pub id: &'static str,
    pub title: String,
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

impl LineChart {
    /// The x scale: logarithmic when the values span 10× or more.
    pub fn x_scale(&self) -> Scale {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let lo = xs.clone().fold(f64::INFINITY, f64::min);
        let hi = xs.fold(f64::NEG_INFINITY, f64::max);
        let log = lo > 0.0 && hi / lo >= 10.0;
        // Room on both sides so the first and last markers clear the axes.
        let domain = if log {
            (lo / 1.25, hi * 1.25)
        } else if hi > lo {
            let pad = (hi - lo) * 0.08;
            (lo - pad, hi + pad)
        } else {
            (lo * 0.5, hi * 1.5)
        };
        Scale {
            domain,
            range: (LEFT, RIGHT),
            log,
        }
    }

    /// "server CPU µs per delivery by subscribers. liveboard: 13.2 at 1k, …"
    fn describe(&self) -> String {
        let mut d = format!("{} by {}.", self.y_label, self.x_label);
        for s in &self.series {
            let pts: Vec<String> = s
                .points
                .iter()
                .map(|(x, y)| format!("{} at {}", tick_label(*y), tick_label(*x)))
                .collect();
            let _ = write!(d, " {}: {}.", s.name, pts.join(", "));
        }
        d
    }

    pub fn render(&self) -> String {
        let y_max = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let (mut s, y) = frame(
            self.id,
            &self.title,
            &self.subtitle,
            &self.describe(),
            &self.y_label,
            y_max,
        );
        let x = self.x_scale();
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        // A tick at each measured size (what was run); nice ticks if there are many.
        let ticks = if xs.len() <= 8 {
            xs
        } else {
            nice_ticks(x.domain.0, x.domain.1, 6)
                .into_iter()
                .filter(|t| *t >= x.domain.0 && *t <= x.domain.1)
                .collect()
        };
        for t in ticks {
            let px = x.map(t);
            let _ = writeln!(
                s,
                r##"<line x1="{px:.1}" x2="{px:.1}" y1="{BOTTOM}" y2="{:.1}" stroke="#1a1a1a"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="14">{}</text>"##,
                BOTTOM + 6.0,
                BOTTOM + 24.0,
                tick_label(t)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}{}</text>"#,
            (LEFT + RIGHT) / 2.0,
            BOTTOM + 52.0,
            escape(&self.x_label),
            if x.log { " (log scale)" } else { "" }
        );
        for (i, series) in self.series.iter().enumerate() {
            let st = style(i);
            let path: Vec<String> = series
                .points
                .iter()
                .enumerate()
                .map(|(j, (px, py))| {
                    let cmd = if j == 0 { 'M' } else { 'L' };
                    format!("{cmd}{:.1},{:.1}", x.map(*px), y.map(*py))
                })
                .collect();
            let _ = writeln!(
                s,
                r#"<g class="series" data-series="{}"><path d="{}" fill="none" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>"#,
                escape(&series.name),
                path.join(" "),
                st.color,
                st.dash
            );
            for (px, py) in &series.points {
                let _ = writeln!(s, "{}", marker(st, x.map(*px), y.map(*py)));
            }
            let _ = writeln!(s, "</g>");
        }
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        legend(&mut s, self.id, &names, false);
        s.push_str("</svg>\n");
        s
    }
}

/// Groups of bars: one group per category, one bar per series in each.
pub struct BarChart {
    pub id: &'static str,
    pub title: String,
    pub subtitle: String,
    pub y_label: String,
    pub groups: Vec<String>,
    /// Each series' points are (group index, value).
    pub series: Vec<Series>,
}

impl BarChart {
    fn describe(&self) -> String {
        let mut d = format!("{}.", self.y_label);
        for (g, group) in self.groups.iter().enumerate() {
            let bars: Vec<String> = self
                .series
                .iter()
                .filter_map(|s| {
                    let (_, v) = s.points.iter().find(|p| p.0 as usize == g)?;
                    Some(format!("{} {}", s.name, tick_label(*v)))
                })
                .collect();
            let _ = write!(d, " {group}: {}.", bars.join(", "));
        }
        d
    }

    pub fn render(&self) -> String {
        let y_max = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let (mut s, y) = frame(
            self.id,
            &self.title,
            &self.subtitle,
            &self.describe(),
            &self.y_label,
            y_max,
        );
        let id = escape(self.id.trim_end_matches(".svg"));
        s.push_str("<defs>\n");
        for i in 0..self.series.len() {
            let st = style(i);
            if !st.hatch.is_empty() {
                let _ = writeln!(
                    s,
                    r##"<pattern id="{id}-hatch-{i}" width="10" height="10" patternUnits="userSpaceOnUse"><rect width="10" height="10" fill="{}"/><path d="{}" stroke="#ffffff" stroke-width="2"/></pattern>"##,
                    st.color, st.hatch
                );
            }
        }
        s.push_str("</defs>\n");
        let group_width = (RIGHT - LEFT) / self.groups.len().max(1) as f64;
        let bar_width = group_width * 0.8 / self.series.len().max(1) as f64;
        for (g, name) in self.groups.iter().enumerate() {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                LEFT + group_width * (g as f64 + 0.5),
                BOTTOM + 26.0,
                escape(name)
            );
        }
        for (i, series) in self.series.iter().enumerate() {
            let _ = writeln!(
                s,
                r#"<g class="series" data-series="{}">"#,
                escape(&series.name)
            );
            for (g, v) in &series.points {
                let x0 = LEFT + group_width * (g + 0.1) + bar_width * i as f64;
                let top = y.map(*v);
                let _ = writeln!(
                    s,
                    r#"<rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="{}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="14">{}</text>"#,
                    bar_width - 2.0,
                    BOTTOM - top,
                    bar_fill(self.id, i),
                    style(i).color,
                    x0 + bar_width / 2.0 - 1.0,
                    top - 6.0,
                    tick_label(*v)
                );
            }
            let _ = writeln!(s, "</g>");
        }
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        legend(&mut s, self.id, &names, true);
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ServerResult;

    fn record(
        scenario: &str,
        params: &[(&str, serde_json::Value)],
        servers: &[(&str, &[(&str, f64)])],
    ) -> ResultRecord {
        ResultRecord {
            scenario: scenario.into(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            title: format!("{scenario} test"),
            commit: Some("abc1234".into()),
            liveboard_bin: None,
            liveboard_args: Vec::new(),
            date: "2026-12-01T18:07:08Z".into(),
            load_start: Some([1.5, 1.0, 1.0]),
            load_end: Some([2.5, 1.0, 1.0]),
            servers: servers
                .iter()
                .map(|(name, figures)| {
                    let f: report::Figures = figures
                        .iter()
                        .map(|(k, v)| (k.to_string(), Some(*v)))
                        .collect();
                    ServerResult {
                        server: name.to_string(),
                        runs: vec![f.clone()],
                        median: f,
                    }
                })
                .collect(),
        }
    }

    fn fanout(subs: usize, rate: u32, figures: &[(&str, f64)]) -> ResultRecord {
        record(
            "fanout",
            &[
                ("subs", subs.into()),
                ("rate", rate.into()),
                ("window", 1.into()),
            ],
            &[
                ("tungstenite", figures),
                ("liveboard", figures),
                ("fastwebsockets", figures),
            ],
        )
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn ticks_are_one_two_or_five_times_a_power_of_ten_and_cover_the_data() {
        assert_eq!(nice_ticks(0.0, 13.2, 6), vec![0.0, 5.0, 10.0, 15.0]);
        assert_eq!(
            nice_ticks(0.0, 92_500.0, 6),
            vec![0.0, 20_000.0, 40_000.0, 60_000.0, 80_000.0, 100_000.0]
        );
        assert_eq!(nice_ticks(0.0, 0.7, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8]);
        // Nothing measured (all zeros) still gives an axis.
        assert_eq!(nice_ticks(0.0, 0.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    }

    #[test]
    fn scales_map_the_domain_onto_the_range_linearly_or_by_decades() {
        let lin = Scale {
            domain: (0.0, 20.0),
            range: (400.0, 100.0),
            log: false,
        };
        assert_eq!(lin.map(0.0), 400.0);
        assert_eq!(lin.map(20.0), 100.0);
        assert_eq!(lin.map(5.0), 325.0);
        let log = Scale {
            domain: (10.0, 1000.0),
            range: (0.0, 200.0),
            log: true,
        };
        assert!((log.map(100.0) - 100.0).abs() < 1e-9);
        assert!((log.map(1000.0) - 200.0).abs() < 1e-9);
    }

    #[test]
    fn sizes_spanning_a_decade_get_a_log_axis_and_close_sizes_a_linear_one() {
        let chart = |xs: &[f64]| LineChart {
            id: "t.svg",
            title: String::new(),
            subtitle: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: vec![Series {
                name: "a".into(),
                points: xs.iter().map(|x| (*x, 1.0)).collect(),
            }],
        };
        assert!(chart(&[1000.0, 10_000.0, 19_500.0]).x_scale().log);
        let lin = chart(&[1000.0, 2000.0]).x_scale();
        assert!(!lin.log);
        assert!(lin.map(1000.0) > LEFT && lin.map(2000.0) < RIGHT);
    }

    #[test]
    fn labels_are_short_and_drop_needless_zeros() {
        assert_eq!(tick_label(19_500.0), "19.5k");
        assert_eq!(tick_label(10_000.0), "10k");
        assert_eq!(tick_label(2_500_000.0), "2.5M");
        assert_eq!(tick_label(13.24), "13.2");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(5.0), "5");
    }

    #[test]
    fn text_is_escaped_so_it_cannot_break_the_svg() {
        assert_eq!(
            escape(r#"<a & "b" 'c'>"#),
            "&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;"
        );
        let chart = LineChart {
            id: "t.svg",
            title: "p99 < 10 ms & more".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                name: "<script>".into(),
                points: vec![(1.0, 1.0)],
            }],
        };
        let svg = chart.render();
        assert!(svg.contains("p99 &lt; 10 ms &amp; more"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn a_fanout_chart_has_one_series_per_server_ours_first_and_names_them_in_the_legend() {
        let records = vec![
            fanout(1000, 0, &[(CPU_PER_DELIVERY, 13.0), (DELIVERIES, 70_000.0)]),
            fanout(
                10_000,
                0,
                &[(CPU_PER_DELIVERY, 17.0), (DELIVERIES, 60_000.0)],
            ),
        ];
        let charts = charts(&records);
        let files: Vec<&str> = charts.iter().map(|c| c.file).collect();
        assert_eq!(
            files,
            ["fanout-cpu-per-delivery.svg", "fanout-deliveries.svg"]
        );
        let svg = &charts[0].svg;
        assert_eq!(count(svg, r#"<g class="series""#), 3);
        let ours = svg.find(r#"data-series="liveboard""#).unwrap();
        let peer = svg.find(r#"data-series="tungstenite""#).unwrap();
        assert!(ours < peer, "ours is drawn (and styled) first");
        let legend = &svg[svg.find(r#"<g class="legend">"#).unwrap()..];
        for name in ["liveboard", "tungstenite", "fastwebsockets"] {
            assert!(
                legend.contains(&format!(">{name}</text>")),
                "{name} in the legend"
            );
        }
        // Two points per series, and the description carries the values.
        assert!(svg.contains("liveboard: 13 at 1k, 17 at 10k."));
        assert!(
            svg.contains(r#"role="img""#)
                && svg.contains("<title id=")
                && svg.contains("<desc id=")
        );
    }

    #[test]
    fn latency_bars_follow_the_percentiles_the_record_has_in_order() {
        let figures = [
            ("latency p99 ms", 30.0),
            ("latency p50 ms", 10.0),
            ("latency max ms", 50.0),
            ("latency p90 ms", 20.0),
        ];
        let charts = charts(&[fanout(1000, 50, &figures)]);
        assert_eq!(charts.len(), 1);
        let svg = &charts[0].svg;
        assert_eq!(charts[0].file, "fanout-latency.svg");
        let order: Vec<usize> = ["p50", "p90", "p99", "max"]
            .iter()
            .map(|p| svg.find(&format!(">{p}</text>")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert_eq!(count(svg, r#"<g class="series""#), 3);
        assert_eq!(
            count(svg, "<rect x=") - 3,
            12,
            "4 bars per server, 3 legend swatches"
        );
        assert!(svg.contains("1k subscribers × 50 messages/s"));
    }

    #[test]
    fn idle_memory_has_a_series_per_server_and_transport_and_absent_data_gives_no_chart() {
        let idle = |n: usize, transport: &str, servers: &[(&str, &[(&str, f64)])]| {
            record(
                "idle",
                &[("conns", n.into()), ("transport", transport.into())],
                servers,
            )
        };
        let kib: &[(&str, f64)] = &[(KIB_PER_CONNECTION, 2.4)];
        let records = vec![
            idle(1000, "ws", &[("liveboard", kib), ("tungstenite", kib)]),
            idle(10_000, "ws", &[("liveboard", kib), ("tungstenite", kib)]),
            idle(
                10_000,
                "sse",
                &[("liveboard", &[(KIB_PER_CONNECTION, 14.1)])],
            ),
        ];
        let charts = charts(&records);
        assert_eq!(charts.len(), 1, "only idle records: only the idle chart");
        let svg = &charts[0].svg;
        assert_eq!(count(svg, r#"<g class="series""#), 3);
        for name in [
            "liveboard (WebSocket)",
            "tungstenite (WebSocket)",
            "liveboard (SSE)",
        ] {
            assert!(svg.contains(&format!(">{name}</text>")), "{name}");
        }
        assert!(super::charts(&[]).is_empty());
    }

    #[test]
    fn a_later_record_replaces_an_earlier_point_and_the_subtitle_says_where_figures_came_from() {
        let records = vec![
            fanout(1000, 0, &[(CPU_PER_DELIVERY, 99.0)]),
            fanout(1000, 0, &[(CPU_PER_DELIVERY, 12.0)]),
        ];
        let svg = &charts(&records)[0].svg;
        assert!(svg.contains("liveboard: 12 at 1k."), "{svg}");
        assert!(svg.contains("one run · commit abc1234 · 2026-12-01 · load average 1.5–2.5"));
    }

    #[test]
    fn echo_bars_have_one_bar_per_server() {
        let cpu: &[(&str, f64)] = &[(CPU_PER_MESSAGE, 11.25)];
        let r = record(
            "echo",
            &[("conns", 64.into())],
            &[("liveboard", cpu), ("fastwebsockets", cpu)],
        );
        let charts = charts(&[r]);
        assert_eq!(charts[0].file, "echo-cpu.svg");
        assert_eq!(count(&charts[0].svg, r#"<g class="series""#), 2);
        assert!(charts[0].svg.contains(">64 connections</text>"));
    }
}
