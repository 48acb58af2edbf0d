//! The TypeScript in `web/lib/generated/` is generated from the Rust types; this test
//! fails when the committed files are stale. To regenerate:
//!
//! ```text
//! LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-3-websocket --test generated
//! ```

use std::path::PathBuf;

use phase_3_websocket::board::generated::{
    generated_files, protocol_dependencies, protocol_type_names,
};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_typescript_is_up_to_date() {
    let stale = phase_3_websocket::board::generated::stale_generated_files(
        &workspace_root(),
        generated_files(),
    );
    assert!(
        stale.is_empty(),
        "stale generated TypeScript:\n  {}\nregenerate with:\n  \
         LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-3-websocket --test generated",
        stale.join("\n  ")
    );
}

#[test]
fn every_type_the_protocol_refers_to_is_declared_in_the_generated_file() {
    let declared = protocol_type_names();
    for dep in protocol_dependencies() {
        assert!(
            declared.contains(&dep),
            "{dep} is used but not declared in protocol.ts"
        );
    }
}

#[test]
fn the_close_code_table_printed_in_the_book_matches_the_rust_table() {
    let chapter = std::fs::read_to_string(workspace_root().join("docs/src/ch03-websocket.md"))
        .expect("chapter 3 exists");
    for row in phase_3_websocket::close_code_table() {
        let line = format!("| {} | {:?} | {} |", row.code, row.name, row.reason);
        assert!(
            chapter.contains(&line),
            "docs/src/ch03-websocket.md lacks the row starting {line:?}; update the table"
        );
    }
}
