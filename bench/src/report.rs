//! Results as data: one JSON object per `compare` call, appended to the `--json` file as
//! one line ([JSON Lines](https://jsonlines.org/)), so a whole suite's results sit in one
//! file that `liveboard-bench chart` renders and `liveboard-bench check-results` checks.
//!
//! A record says what was measured (the scenario and its parameters), on what (the git
//! commit of the tree the tool ran in, when there is one), when (UTC, ISO 8601) and under
//! what load (the load average before and after), and then, per server, **every run's
//! figures** and their medians, so a reader can judge the spread and not only the median.
//! A figure that could not be measured (NaN: e.g. no kernel slab figure) is `null`.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::OpenOptions,
    io::Write,
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

use crate::{runner::Metrics, server::ServerOptions, stats::median};

/// What a scenario was asked to do: its name and its parameters, as `main` built them.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `echo`, `fanout`, `idle`, `shutdown` or `cluster`.
    pub name: &'static str,
    /// The parameters that tell this measurement apart (subscribers, rate, …).
    pub params: Vec<(&'static str, serde_json::Value)>,
    /// The table's heading.
    pub title: String,
}

/// One figure per name; `None` for a figure that could not be measured.
pub type Figures = BTreeMap<String, Option<f64>>;

/// One server's results in one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerResult {
    /// The server's label (`liveboard`, `tungstenite`, `fastwebsockets`).
    pub server: String,
    /// Every run's figures, in the order they were measured.
    pub runs: Vec<Figures>,
    /// The median of the runs, per figure.
    pub median: Figures,
}

/// One line of the JSON Lines file: one scenario at one size, every server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub scenario: String,
    pub params: BTreeMap<String, serde_json::Value>,
    pub title: String,
    /// `git rev-parse --short HEAD` where the tool ran, if that is a git checkout. With
    /// `--liveboard-bin` the measured build may come from elsewhere: see `liveboard_bin`.
    pub commit: Option<String>,
    /// The `--liveboard-bin` given, if any.
    pub liveboard_bin: Option<String>,
    /// The `--liveboard-arg`s given (e.g. a heartbeat interval), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub liveboard_args: Vec<String>,
    /// When the scenario started, UTC, e.g. `2026-12-01T18:07:08Z`.
    pub date: String,
    /// The 1-, 5- and 15-minute load averages before the first run and after the last.
    pub load_start: Option<[f64; 3]>,
    pub load_end: Option<[f64; 3]>,
    pub servers: Vec<ServerResult>,
}

impl ResultRecord {
    /// A parameter as a number (`subs`, `rate`, `window`, `conns`, …).
    pub fn param_f64(&self, name: &str) -> Option<f64> {
        self.params.get(name).and_then(serde_json::Value::as_f64)
    }

    /// A parameter as text (`transport`).
    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(serde_json::Value::as_str)
    }
}

/// The figures of one run, with NaN (not measured) as `None`.
fn figures(m: &Metrics) -> Figures {
    m.iter()
        .map(|(name, v)| (name.to_string(), v.is_finite().then_some(*v)))
        .collect()
}

/// The median of each figure over `runs`, ignoring runs where it was not measured.
fn medians(runs: &[Figures]) -> Figures {
    let names: BTreeSet<&String> = runs.iter().flat_map(|r| r.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let vals: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.get(name).copied().flatten())
                .collect();
            (name.clone(), median(&vals))
        })
        .collect()
}

/// What the machine and the tree looked like around one `compare` call.
pub struct Context {
    pub commit: Option<String>,
    pub liveboard_bin: Option<String>,
    pub liveboard_args: Vec<String>,
    pub date: String,
    pub load_start: Option<[f64; 3]>,
}

impl Context {
    /// Reads the commit, the date and the load average now, before the first run.
    pub fn now(server: &ServerOptions) -> Self {
        Self::for_binary(server.liveboard_bin.as_deref(), &server.liveboard_args)
    }

    /// The same, for a scenario that takes `--liveboard-bin` and `--liveboard-arg` itself.
    pub fn for_binary(liveboard_bin: Option<&Path>, liveboard_args: &[String]) -> Self {
        Context {
            commit: git_commit(),
            liveboard_bin: liveboard_bin.map(|p| p.display().to_string()),
            liveboard_args: liveboard_args.to_vec(),
            date: iso8601_utc(SystemTime::now()),
            load_start: load_average(),
        }
    }

    /// The record for `scenario`, with `results` as (server label, every run's metrics).
    pub fn finish(self, scenario: &Scenario, results: Vec<(String, Vec<Metrics>)>) -> ResultRecord {
        ResultRecord {
            scenario: scenario.name.to_owned(),
            params: scenario
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            title: scenario.title.clone(),
            commit: self.commit,
            liveboard_bin: self.liveboard_bin,
            liveboard_args: self.liveboard_args,
            date: self.date,
            load_start: self.load_start,
            load_end: load_average(),
            servers: results
                .into_iter()
                .map(|(server, runs)| {
                    let runs: Vec<Figures> = runs.iter().map(figures).collect();
                    ServerResult {
                        server,
                        median: medians(&runs),
                        runs,
                    }
                })
                .collect(),
        }
    }
}

/// Appends `record` as one line to `path` (created if absent).
pub fn append(path: &Path, record: &ResultRecord) -> Result<(), String> {
    let mut line =
        serde_json::to_string(record).map_err(|e| format!("cannot encode the results: {e}"))?;
    line.push('\n');
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

/// Reads every record of a JSON Lines file; blank lines are skipped, a bad line is an
/// error naming its line number.
pub fn read_all(path: &Path) -> Result<Vec<ResultRecord>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_lines(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_lines(text: &str) -> Result<Vec<ResultRecord>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Figures that count failures: any run with one above zero fails `check-results`.
pub const FAILURE_FIGURES: [&str; 6] = [
    "missing",
    "duplicates",
    "subscribers cut",
    "connections failed",
    "no Close frame",
    "other close code",
];

/// What `check-results` checks, with no timing in it: every scenario in `expected` has at
/// least one record, every record has every server's runs, and no run counts a failure
/// (a message missing or delivered twice, a subscriber cut, a connection that could not
/// be opened, a client without its Close 1001). Returns one
/// line per record on success, every problem found otherwise.
pub fn check(records: &[ResultRecord], expected: &[String]) -> Result<String, String> {
    let mut problems = Vec::new();
    for name in expected {
        if !records.iter().any(|r| &r.scenario == name) {
            problems.push(format!("{name}: no record"));
        }
    }
    let mut summary = String::new();
    for r in records {
        if r.servers.is_empty() || r.servers.iter().any(|s| s.runs.is_empty()) {
            problems.push(format!("{}: a server has no runs", r.title));
        }
        for s in &r.servers {
            for (i, run) in s.runs.iter().enumerate() {
                for figure in FAILURE_FIGURES {
                    if let Some(Some(n)) = run.get(figure).filter(|n| n.is_some_and(|n| n > 0.0)) {
                        problems.push(format!(
                            "{}, {}, run {}: {figure} = {n}",
                            r.title,
                            s.server,
                            i + 1
                        ));
                    }
                }
            }
        }
        summary += &format!("ok  {} ({})\n", r.title, servers(r.servers.len()));
    }
    if problems.is_empty() {
        Ok(summary)
    } else {
        Err(problems.join("\n"))
    }
}

fn servers(n: usize) -> String {
    match n {
        1 => "1 server".into(),
        n => format!("{n} servers"),
    }
}

/// The short commit of the tree the tool runs in, if `git` finds one.
fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

/// The three load averages from `/proc/loadavg`.
pub fn load_average() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut it = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// `t` as `YYYY-MM-DDTHH:MM:SSZ` (UTC), without a date library: whole days since 1970
/// turned into a civil date with Howard Hinnant's `civil_from_days` algorithm.
pub fn iso8601_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month (1–12) and day (1–31) of the day `z` days after 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01, so a leap day is the last day of its "year".
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the 400-year era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the March-based year
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sample() -> ResultRecord {
        let scenario = Scenario {
            name: "fanout",
            params: vec![
                ("subs", 1000.into()),
                ("rate", 0.into()),
                ("transport", "ws".into()),
            ],
            title: "fanout: 1000 subscribers".into(),
        };
        let ctx = Context {
            commit: Some("abc1234".into()),
            liveboard_bin: None,
            liveboard_args: vec!["--heartbeat-interval-ms=1000".into()],
            date: "2026-12-01T18:07:08Z".into(),
            load_start: Some([1.0, 2.0, 3.0]),
        };
        let run = |v: f64| -> Metrics { vec![("deliveries/s", v), ("kernel slab", f64::NAN)] };
        ctx.finish(
            &scenario,
            vec![("liveboard".into(), vec![run(10.0), run(30.0), run(20.0)])],
        )
    }

    #[test]
    fn a_record_survives_a_json_lines_round_trip_with_unmeasured_figures_as_null() {
        let record = sample();
        let line = serde_json::to_string(&record).unwrap();
        assert!(!line.contains('\n'), "one record must be one line");
        assert!(line.contains(r#""kernel slab":null"#), "{line}");
        let back = parse_lines(&format!("{line}\n\n{line}\n")).unwrap();
        assert_eq!(back, vec![record.clone(), record]);
        assert_eq!(back[0].param_f64("subs"), Some(1000.0));
        assert_eq!(back[0].param_str("transport"), Some("ws"));
    }

    #[test]
    fn the_record_keeps_every_run_and_the_median_of_each_figure() {
        let s = &sample().servers[0];
        assert_eq!(s.runs.len(), 3);
        assert_eq!(s.runs[1]["deliveries/s"], Some(30.0));
        assert_eq!(s.median["deliveries/s"], Some(20.0));
        assert_eq!(s.median["kernel slab"], None);
    }

    #[test]
    fn a_bad_line_is_reported_by_its_number() {
        let err = parse_lines("\n{not json}\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn dates_are_iso_8601_utc_across_leap_days_and_centuries() {
        let at = |s: u64| iso8601_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(at(1_796_148_428), "2026-12-01T18:07:08Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn the_load_average_is_the_first_three_fields() {
        assert_eq!(
            parse_loadavg("10.91 10.13 9.18 3/812 4242\n"),
            Some([10.91, 10.13, 9.18])
        );
        assert_eq!(parse_loadavg("garbage"), None);
    }

    #[test]
    fn check_results_passes_clean_records_and_names_every_failure() {
        let clean = sample();
        assert!(check(std::slice::from_ref(&clean), &["fanout".into()]).is_ok());

        let err = check(
            std::slice::from_ref(&clean),
            &["fanout".into(), "echo".into()],
        )
        .unwrap_err();
        assert_eq!(err, "echo: no record");

        let mut lossy = clean;
        lossy.servers[0].runs[2].insert("missing".into(), Some(3.0));
        lossy.servers[0].runs[0].insert("missing".into(), Some(0.0));
        let err = check(&[lossy], &[]).unwrap_err();
        assert_eq!(
            err,
            "fanout: 1000 subscribers, liveboard, run 3: missing = 3"
        );
    }

    #[test]
    fn check_results_fails_a_cluster_run_with_duplicates_or_failed_connections() {
        let mut run = sample();
        run.servers[0].runs[0].insert("duplicates".into(), Some(2.0));
        run.servers[0].runs[1].insert("connections failed".into(), Some(1.0));
        let err = check(&[run], &[]).unwrap_err();
        assert!(err.contains("run 1: duplicates = 2"), "{err}");
        assert!(err.contains("run 2: connections failed = 1"), "{err}");
    }
}
