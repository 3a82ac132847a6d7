//! `leaky serve`: a local web page to explore activations live. The server answers the page's
//! requests with the same figures and numbers as `leaky plot` and `leaky eval` (through
//! `leaky-show`), and embeds everything the page needs: no network, no build step.
//!
//! - [`router`]: the routes, for a server or for tests.
//! - [`serve`]: runs them on a listener until Ctrl-C.
//!
//! Bad requests get a 400 with the one-line message the command line gives for the same input.

mod assets;
mod explorer;
mod query;

use std::io;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

/// Every route of the server.
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

/// Answers requests on `listener` until the process gets Ctrl-C (SIGINT).
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(async {
            // Without a signal handler the server runs until it is killed, which is also fine.
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
