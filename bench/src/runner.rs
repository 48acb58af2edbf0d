//! Runs one scenario against every server, several times, and prints the medians and the
//! ratios as a Markdown table.
//!
//! **Same run, several servers**: the servers take turns within each run, and
//! the order rotates from run to run (run 1: A B C, run 2: B C A, …), so a burst of noise
//! from the rest of the machine does not always land on the same server. Each server is
//! a fresh process per measurement. The figure reported is the **median** of the runs;
//! every run's value is printed too. With `--json FILE` each call also appends its record
//! (every run, the medians, the parameters, the load) to FILE: see [`crate::report`].

use std::{collections::BTreeMap, future::Future, path::PathBuf, time::Duration};

use crate::{
    report::{self, Context, Scenario},
    server::{ServerKind, ServerOptions, ServerProcess},
    stats::median,
};

/// Options every scenario has.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// How many times to measure each server; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Which servers, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = ServerKind::ALL)]
    pub servers: Vec<ServerKind>,
    /// The CPU the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    pub client_cpu: usize,
    /// Append each table's results to this file as one JSON object per line (JSON Lines),
    /// for `liveboard-bench chart` and `check-results`.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerOptions,
}

/// One measurement: named figures, in the order they are reported.
pub type Metrics = Vec<(&'static str, f64)>;

/// Measures `one` against each of `kinds`, `common.runs` times, prints the table and, with
/// `--json`, appends the record. `one` gets a freshly started server and owns it (dropping
/// it kills it).
pub async fn compare<F, Fut>(
    scenario: &Scenario,
    common: &Common,
    kinds: &[ServerKind],
    mut one: F,
) -> Result<(), String>
where
    F: FnMut(ServerProcess) -> Fut,
    Fut: Future<Output = Result<Metrics, String>>,
{
    let title = scenario.title.as_str();
    let context = Context::now(&common.server);
    let mut results: BTreeMap<usize, Vec<Metrics>> = BTreeMap::new();
    eprintln!("== {title}");
    for run in 0..common.runs.max(1) {
        for i in 0..kinds.len() {
            let k = (i + run) % kinds.len();
            let kind = kinds[k];
            let server = ServerProcess::start(kind, &common.server)?;
            // Let it finish starting (page faults, the runtime's threads) before measuring.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let metrics = one(server)
                .await
                .map_err(|e| format!("{title}, {kind}, run {}: {e}", run + 1))?;
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            let load = load.split_whitespace().next().unwrap_or("?").to_owned();
            eprintln!(
                "   run {} {kind:>14} (load {load}): {}",
                run + 1,
                inline(&metrics)
            );
            results.entry(k).or_default().push(metrics);
            // Give the kernel a moment to tear the sockets down.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    println!("{}", table(title, kinds, &results));
    if let Some(path) = &common.json {
        let by_server = results
            .into_iter()
            .map(|(k, runs)| (kinds[k].label().to_owned(), runs))
            .collect();
        report::append(path, &context.finish(scenario, by_server))?;
    }
    Ok(())
}

fn inline(m: &Metrics) -> String {
    m.iter()
        .map(|(name, v)| format!("{name}={}", fmt(*v)))
        .collect::<Vec<_>>()
        .join("  ")
}

/// A number with as many digits as it deserves.
pub fn fmt(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn table(title: &str, kinds: &[ServerKind], results: &BTreeMap<usize, Vec<Metrics>>) -> String {
    let ours = kinds.iter().position(|k| *k == ServerKind::Liveboard);
    let Some(names) = results.values().next().and_then(|runs| runs.first()) else {
        return String::new();
    };
    let medians: BTreeMap<usize, Vec<f64>> = results
        .iter()
        .map(|(k, runs)| {
            let col = (0..names.len())
                .map(|m| {
                    let vals: Vec<f64> =
                        runs.iter().filter_map(|r| r.get(m).map(|x| x.1)).collect();
                    median(&vals).unwrap_or(f64::NAN)
                })
                .collect();
            (*k, col)
        })
        .collect();

    let mut out = format!("\n### {title}\n\n| figure (median of runs) |");
    for k in medians.keys() {
        out += &format!(" {} |", kinds[*k]);
    }
    let others: Vec<usize> = medians
        .keys()
        .copied()
        .filter(|k| Some(*k) != ours)
        .collect();
    if let Some(o) = ours {
        for k in &others {
            out += &format!(" {} / {} |", kinds[o], kinds[*k]);
        }
    }
    out += "\n|---|";
    let cols = medians.len() + if ours.is_some() { others.len() } else { 0 };
    out += &"---:|".repeat(cols);
    out += "\n";
    for (m, (name, _)) in names.iter().enumerate() {
        out += &format!("| {name} |");
        for col in medians.values() {
            out += &format!(" {} |", fmt(col[m]));
        }
        if let Some(o) = ours.filter(|o| medians.contains_key(o)) {
            for k in &others {
                out += &format!(" {} |", fmt(medians[&o][m] / medians[k][m]));
            }
        }
        out += "\n";
    }
    out += "\nEvery run:\n\n";
    for (k, runs) in results {
        out += &format!("- {}: ", kinds[*k]);
        out += &runs.iter().map(inline).collect::<Vec<_>>().join(" ‖ ");
        out += "\n";
    }
    out
}
