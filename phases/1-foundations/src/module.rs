//! A server is an ordered list of modules, one per phase.
//!
//! Each phase of the course adds something to the same server: phase 2 event streams on
//! a hub, phase 3 WebSockets on that hub, phase 4 notes on phase 3's `/ws` and a log that
//! numbers the hub. If every phase wrapped the previous one (`Phase4 { base: Phase3 {
//! base: ... } }`), phase 8 would reach its HTTP settings through four `.base`, and every
//! phase would have to re-wire the ones below it. Instead each phase crate exports **one
//! [`Module`]**: its configuration group, its routes, what it starts and what it stops.
//! The phase-N binary is modules 1..N; the production binary is all of them. A later
//! phase *adds* a module; it never edits the wiring of an earlier one.
//!
//! ## How modules share services
//!
//! Modules meet in a typed [`Services`] map (one value per type, like a request's
//! extensions). Building a server is two passes over the list, in order:
//!
//! 1. **provide** — each module puts in what it owns that *earlier* modules must use.
//!    Phase 4 opens its store and provides the hub numbered by its event log, before
//!    phase 2 would build a plain one.
//! 2. **build** — each module takes what it needs (or creates the default and puts it in
//!    for the modules after it) and returns its routes. Phase 2 takes the provided hub
//!    or makes one; phase 3 takes phase 2's hub and presence.
//!
//! Stopping goes the other way, in the order [`crate::shutdown::stop_in_order`] spells
//! out: once the server stops accepting, every module's [`Module::begin_shutdown`] runs in
//! reverse order (say goodbye to long-lived connections: WebSockets get their Close
//! frames); the event streams end and the HTTP server drains; then every
//! [`Module::finish_shutdown`] runs in reverse order (commit what is held: the writer's
//! last changes). What a module starts that lives long takes a token or the tracker of
//! the [`crate::shutdown::ShutdownTree`] in the services, so it needs no hook at all.
//!
//! [`crate::composition::Composition`] runs these passes; `--routes` prints which phase
//! serves which route.

use std::{any::type_name, fmt, future::Future, pin::Pin};

use crate::{health::PhaseInfo, router::Router};

// ANCHOR: module_trait
/// One phase's part of a server.
pub trait Module: Send + Sync + 'static {
    /// The phase this module is (listed by `/health`, shown by `--routes`).
    fn phase(&self) -> PhaseInfo;

    /// Pass 1, in order: put into `services` what this module owns that an *earlier*
    /// module must use instead of its own default. Most modules provide nothing.
    fn provide(&self, _services: &mut Services) -> Result<(), StartError> {
        Ok(())
    }

    /// Pass 2, in order: take shared services (or create and insert the defaults), store
    /// this module's state in `services`, and return its routes.
    fn build(&self, services: &mut Services) -> Result<Router, StartError>;

    /// Shutdown has begun and the server no longer accepts (reverse order): say goodbye
    /// to what never ends by itself — WebSockets get a Close — so the drain can finish.
    fn begin_shutdown<'a>(&'a self, _services: &'a Services) -> ShutdownFuture<'a> {
        Box::pin(async {})
    }

    /// Connections and tasks have drained (reverse order): commit what is held.
    fn finish_shutdown<'a>(&'a self, _services: &'a Services) -> ShutdownFuture<'a> {
        Box::pin(async {})
    }
}
// ANCHOR_END: module_trait

/// What [`Module::begin_shutdown`] and [`Module::finish_shutdown`] return: a boxed future, so modules stay a list of
/// trait objects.
pub type ShutdownFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The services modules share: at most one value per type.
#[derive(Default)]
pub struct Services(http::Extensions);

impl Services {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value`, replacing (and returning) one of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.0.insert(value)
    }

    /// The value of type `T`, if some module stored one.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get::<T>()
    }

    /// The value of type `T`, or an error naming it: a module that needs a service no
    /// module before it provided is a composition mistake, reported at start.
    pub fn require<T: Clone + Send + Sync + 'static>(&self) -> Result<&T, StartError> {
        self.get::<T>().ok_or_else(|| {
            StartError::new(format!(
                "no module provides a {}; add the module that builds it earlier in the list",
                type_name::<T>()
            ))
        })
    }

    /// The value of type `T`, inserting `make()` first if there is none.
    pub fn get_or_insert_with<T: Clone + Send + Sync + 'static>(
        &mut self,
        make: impl FnOnce() -> T,
    ) -> T {
        self.0.get_or_insert_with(make).clone()
    }
}

/// Why a server could not be built (a store that does not open, a missing service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError {
    /// What went wrong, in words.
    pub message: String,
}

impl StartError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StartError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_service_is_an_error_naming_its_type() {
        let services = Services::new();
        let err = services.require::<u32>().unwrap_err();
        assert!(err.message.contains("u32"), "{err}");
    }

    #[test]
    fn get_or_insert_with_keeps_the_first_value() {
        let mut services = Services::new();
        assert_eq!(services.get_or_insert_with(|| 1u8), 1);
        assert_eq!(services.get_or_insert_with(|| 2u8), 1);
        services.insert(3u8);
        assert_eq!(services.get::<u8>(), Some(&3));
    }
}
