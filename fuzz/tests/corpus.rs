//! Replays, on the stable toolchain, every input the fuzz targets keep in the repository
//! — the hand-written seed corpus (`fuzz/corpus/<target>/`) and each input a fuzzer found
//! that broke a check (`fuzz/regressions/<target>/`) — through the same checks the
//! fuzzers run. A finding fixed once stays fixed.

use std::path::{Path, PathBuf};

use liveboard_fuzz_checks::TARGETS;

fn inputs(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (target, check) in TARGETS {
        for file in inputs(&root.join(kind).join(target)) {
            let data = std::fs::read(&file).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target} fails on {}", file.display());
            replayed += 1;
        }
    }
    replayed
}

#[test]
fn every_seed_input_passes_its_target_s_checks() {
    let replayed = replay("corpus");
    assert!(replayed >= 2 * TARGETS.len(), "only {replayed} seed inputs");
}

#[test]
fn every_input_a_fuzzer_found_passes_its_target_s_checks_now() {
    replay("regressions");
}

#[test]
fn every_target_has_a_seed_corpus_and_a_fuzz_target_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, _) in TARGETS {
        assert!(
            !inputs(&root.join("corpus").join(target)).is_empty(),
            "{target}"
        );
        let source = root
            .join("targets")
            .join("fuzz_targets")
            .join(format!("{target}.rs"));
        assert!(source.is_file(), "{} is missing", source.display());
    }
}
