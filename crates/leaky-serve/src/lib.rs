//! `leaky serve`: a local web page to explore activations live. The server answers the page's
//! requests with the same figures and numbers as `leaky plot` and `leaky eval` (through
//! `leaky-show`), and embeds everything the page needs: no network, no build step.
//!
//! - [`router`]: the explorer's routes, for a server or for tests.
//! - [`router_with_lab`] (feature `experiments`): those and the experiments page's, on a runs
//!   folder ([`Lab`]): run folders listed, read and followed live, runs started and cancelled.
//! - [`serve`]: runs routes on a listener until Ctrl-C.
//!
//! Bad requests get a 4xx with the one-line message the command line gives for the same input.

mod assets;
#[cfg(feature = "experiments")]
mod experiments;
mod explorer;
mod failure;
mod query;

#[cfg(feature = "experiments")]
pub use experiments::{Lab, MAX_BODY};

use std::io;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

/// The explorer's routes.
pub fn router() -> Router {
    Router::new()
        .route("/", get(assets::explorer_page))
        .route("/assets/{file}", get(assets::asset))
        .route("/api/catalogue", get(explorer::catalogue))
        .route("/api/values", get(explorer::values))
        .route("/plot.svg", get(explorer::plot_svg))
        .route("/plot.png", get(explorer::plot_png))
        .route("/eval.csv", get(explorer::eval_csv))
}

/// The explorer's routes and the experiments page's, on `lab`.
#[cfg(feature = "experiments")]
pub fn router_with_lab(lab: Lab) -> Router {
    router().merge(experiments::routes(lab))
}

/// Answers requests on `listener` with `routes` until the process gets Ctrl-C (SIGINT).
pub async fn serve(listener: TcpListener, routes: Router) -> io::Result<()> {
    axum::serve(listener, routes)
        .with_graceful_shutdown(async {
            // Without a signal handler the server runs until it is killed, which is also fine.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
