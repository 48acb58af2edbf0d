//! Structured logs with `tracing`.
//!
//! Every request runs inside a span `request{id=7 method=GET path=/health}`, so every line
//! logged while handling it — by us or by a library — carries those fields. Logs go to
//! **stderr**; stdout carries only the machine-readable `listening on ...` line, so a
//! script (or the end-to-end harness) can read the port without parsing logs.

// ANCHOR: logging_init
/// Installs the global subscriber with an `EnvFilter` expression (`info`, `debug,hyper=info`).
/// Calling it twice is harmless (the second call is ignored), which tests rely on.
pub fn init(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
// ANCHOR_END: logging_init
