//! [`Composition`]: an HTTP server made of an ordered list of [`Module`]s (see
//! [`crate::module`] for why), started and stopped in one place.
//!
//! Every binary's `main` is the same few lines — parse the command line, start logging,
//! list the modules, run:
//!
//! ```no_run
//! # async fn demo() -> std::process::ExitCode {
//! use phase_1_foundations::{composition::Composition, ServerConfig};
//! Composition::new(ServerConfig::default()) // phase 1: the HTTP server and /health
//!     // .module(phase_2_sse::Sse::new(sse_config)) and so on, one line per phase
//!     .run()
//!     .await
//! # }
//! ```
//!
//! Tests start the very same composition on `127.0.0.1:0` with
//! [`crate::testing::spawn_app`].

use std::{future::Future, io, process::ExitCode, sync::Arc};

use http::Method;
use tokio::{net::TcpListener, time::Instant};

use crate::{
    app::App,
    client_addr::TrustedProxies,
    config::ServerConfig,
    cors::CorsPolicy,
    health::{self, PhaseInfo},
    module::{Module, Services, StartError},
    router::Router,
    server,
    shutdown::{self, ShutdownTree},
};

// ANCHOR: composition
/// A server under construction: phase 1's HTTP server and `/health`, then one module
/// per later phase, in order.
pub struct Composition {
    config: ServerConfig,
    modules: Vec<Box<dyn Module>>,
}

impl Composition {
    /// A server with `config` and phase 1's module ([`Foundations`]: `/health`).
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            modules: vec![Box::new(Foundations)],
        }
    }

    /// Appends a module: it is provided and built after those already listed.
    pub fn module(mut self, module: impl Module) -> Self {
        self.modules.push(Box::new(module));
        self
    }

    /// Runs both passes (every `provide`, then every `build`, in order) and assembles
    /// the router; nothing listens yet.
    pub fn build(self) -> Result<Built, StartError> {
        let mut services = Services::new();
        services.insert(self.config.clone());
        let tree = ShutdownTree::new();
        services.insert(tree.clone());
        // By number: a module may be listed before the phases it provides for (phase 7).
        let mut phases: Vec<PhaseInfo> = self.modules.iter().map(|m| m.phase()).collect();
        phases.sort_by_key(|p| p.number);
        services.insert(Phases(phases));
        for module in &self.modules {
            module.provide(&mut services)?;
        }
        let mut router = Router::new();
        let mut routes = Vec::new();
        for module in &self.modules {
            let part = module.build(&mut services)?;
            let phase = module.phase();
            routes.extend(part.table().into_iter().map(|(method, path)| RouteRow {
                method,
                path,
                phase,
            }));
            router = router.merge(part);
        }
        let cors = CorsPolicy::new(self.config.allowed_origins.clone());
        Ok(Built {
            app: Arc::new(
                App::new(router, cors).with_trusted_proxies(TrustedProxies::new(
                    self.config.trusted_proxies.iter().copied(),
                )),
            ),
            config: self.config,
            modules: self.modules,
            services: Arc::new(services),
            tree,
            routes,
        })
    }

    /// Builds, then serves until SIGTERM or SIGINT (Ctrl-C) and stops gracefully — or,
    /// with `--routes`, prints the route table on stdout and stops. A second signal exits
    /// at once with status 130 ([`shutdown::FORCED_EXIT_CODE`]). The whole of every binary's `main`
    /// after parsing.
    pub async fn run(self) -> ExitCode {
        let list_routes = self.config.list_routes;
        let bind = self.config.bind;
        let backlog = self.config.listen_backlog;
        let built = match self.build() {
            Ok(built) => built,
            Err(e) => {
                eprintln!("cannot start the server: {e}");
                return ExitCode::FAILURE;
            }
        };
        if list_routes {
            print!("{}", built.route_table());
            built.stop().await;
            return ExitCode::SUCCESS;
        }
        tracing::info!("routes (method, path, phase):\n{}", built.route_table());
        let listener = match server::bind(bind, backlog) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {bind}: {e}");
                built.stop().await;
                return ExitCode::FAILURE;
            }
        };
        // Listen before announcing: a signal sent as soon as the address is known must
        // find us listening.
        let signal = match shutdown::listen_for_signals() {
            Ok(signal) => signal,
            Err(e) => {
                eprintln!("cannot listen for SIGTERM and SIGINT: {e}");
                built.stop().await;
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = server::announce(&listener) {
            eprintln!("cannot write to stdout: {e}");
            return ExitCode::FAILURE;
        }
        match built.serve(listener, signal).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server error: {e}");
                ExitCode::FAILURE
            }
        }
    }
}
// ANCHOR_END: composition

/// A built server: its routes, its modules and the services they share.
pub struct Built {
    config: ServerConfig,
    modules: Vec<Box<dyn Module>>,
    services: Arc<Services>,
    tree: ShutdownTree,
    app: Arc<App>,
    routes: Vec<RouteRow>,
}

impl Built {
    /// The services the modules built (tests read module state from here).
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Every route and the phase that mounted it, in matching order.
    pub fn routes(&self) -> &[RouteRow] {
        &self.routes
    }

    /// The routes as an aligned text table: `method  path  phase`.
    pub fn route_table(&self) -> String {
        let width = self.routes.iter().map(|r| r.path.len()).max().unwrap_or(0);
        let mut out = format!("{:<7} {:<width$}  phase\n", "method", "path");
        for r in &self.routes {
            out.push_str(&format!(
                "{:<7} {:<width$}  {} {}\n",
                r.method.as_str(),
                r.path,
                r.phase.number,
                r.phase.title
            ));
        }
        out
    }

    // ANCHOR: serve_modules
    /// Serves on `listener` until `signal` resolves, then stops in the order of
    /// [`shutdown::stop_in_order`]: stop accepting, the modules' goodbyes, the event
    /// streams, the drain, the modules' commits — within the drain deadline.
    pub async fn serve<F>(self, listener: TcpListener, signal: F) -> io::Result<()>
    where
        F: Future<Output = ()>,
    {
        let accepting = self.tree.accepting();
        let opts = (&self.config).into();
        let trigger = async {
            signal.await;
            accepting.cancel();
        };
        let accept_loop = server::accept(listener, self.app.clone(), accepting.clone(), opts);
        let (connections, ()) = tokio::join!(accept_loop, trigger);
        // The listener is closed: stage 1 is done. One deadline for the rest.
        let deadline = Instant::now() + self.config.drain_timeout();
        shutdown::stop_in_order(
            &self.tree,
            &self.modules,
            &self.services,
            connections,
            deadline,
        )
        .await;
        Ok(())
    }
    // ANCHOR_END: serve_modules

    /// Stops a server that never served (after `--routes`, or a failed bind).
    pub async fn stop(self) {
        self.tree.cancel_all();
        for module in self.modules.iter().rev() {
            module.begin_shutdown(&self.services).await;
        }
        for module in self.modules.iter().rev() {
            module.finish_shutdown(&self.services).await;
        }
    }
}

/// One line of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// The method (a `GET` route also answers `HEAD`).
    pub method: Method,
    /// The pattern, e.g. `/boards/:board/events`.
    pub path: String,
    /// The phase whose module mounted it.
    pub phase: PhaseInfo,
}

/// The phases a server is built from, in order; [`Foundations`] serves them on `/health`.
#[derive(Debug, Clone)]
pub struct Phases(pub Vec<PhaseInfo>);

/// Phase 1's module: `GET /health`, listing every phase of the composition.
#[derive(Debug, Clone, Copy)]
pub struct Foundations;

impl Module for Foundations {
    fn phase(&self) -> PhaseInfo {
        crate::PHASE
    }

    fn build(&self, services: &mut Services) -> Result<Router, StartError> {
        let phases = services.require::<Phases>()?.0.clone();
        let checks = services.get_or_insert_with(health::HealthChecks::default);
        Ok(health::routes(phases, checks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Later;

    impl Module for Later {
        fn phase(&self) -> PhaseInfo {
            PhaseInfo {
                number: 2,
                slug: "later",
                title: "Later",
            }
        }

        fn provide(&self, services: &mut Services) -> Result<(), StartError> {
            services.insert("provided by phase 2");
            Ok(())
        }

        fn build(&self, _services: &mut Services) -> Result<Router, StartError> {
            Ok(Router::new().post("/later", |_req, _p| async {
                Err(crate::ApiError::internal("unused"))
            }))
        }
    }

    #[test]
    fn the_route_table_names_the_phase_of_every_route_in_order() {
        let built = Composition::new(ServerConfig::default())
            .module(Later)
            .build()
            .unwrap();
        let rows: Vec<(&str, &str, u8)> = built
            .routes()
            .iter()
            .map(|r| (r.method.as_str(), r.path.as_str(), r.phase.number))
            .collect();
        assert_eq!(rows, vec![("GET", "/health", 1), ("POST", "/later", 2)]);
        let table = built.route_table();
        assert!(table.contains("POST    /later   2 Later"), "{table}");
    }

    #[test]
    fn every_module_provides_before_any_module_builds() {
        struct ReadsLater;
        impl Module for ReadsLater {
            fn phase(&self) -> PhaseInfo {
                crate::PHASE
            }
            fn build(&self, services: &mut Services) -> Result<Router, StartError> {
                assert_eq!(services.require::<&'static str>()?, &"provided by phase 2");
                Ok(Router::new())
            }
        }
        Composition::new(ServerConfig::default())
            .module(ReadsLater)
            .module(Later)
            .build()
            .unwrap();
    }
}
