//! `web/lib/generated/hardening.ts` is generated from the Rust types; this test fails when
//! the committed file is stale. To regenerate:
//!
//! ```text
//! LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-5-hardening --test generated
//! ```

use std::path::PathBuf;

#[test]
fn generated_typescript_is_up_to_date() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stale = phase_3_websocket::board::generated::stale_generated_files(
        &root,
        phase_5_hardening::generated::generated_files(),
    );
    assert!(
        stale.is_empty(),
        "stale generated TypeScript:\n  {}\nregenerate with:\n  \
         LIVEBOARD_UPDATE_GENERATED=1 cargo test -p phase-5-hardening --test generated",
        stale.join("\n  ")
    );
}
