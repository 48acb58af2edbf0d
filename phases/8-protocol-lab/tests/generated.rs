//! `web/lib/generated/protocolLab.ts` is generated from the Rust types; this test fails
//! when the committed file is stale. To regenerate:
//!
//! ```text
//! LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-8-protocol-lab --test generated
//! ```

use std::path::PathBuf;

use phase_8_protocol_lab::generated::{
    generated_files, protocol_lab_dependencies, protocol_lab_type_names,
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
         LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-8-protocol-lab --test generated",
        stale.join("\n  ")
    );
}

#[test]
fn every_type_the_answers_refer_to_is_declared_in_the_generated_file() {
    let declared = protocol_lab_type_names();
    for dep in protocol_lab_dependencies() {
        assert!(
            declared.contains(&dep),
            "{dep} is used but not declared in protocolLab.ts"
        );
    }
}
