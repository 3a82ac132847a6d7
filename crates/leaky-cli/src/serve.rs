//! `leaky serve`: the activation explorer on a local web server, until Ctrl-C; with the
//! `networks` feature, the experiments page too, on the run folders under `--runs`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
#[cfg(feature = "networks")]
use std::path::PathBuf;

use clap::Args;

use crate::error::CliError;

/// Arguments of `leaky serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// The address to listen on; only this machine can reach the default. Another address
    /// lets other machines open the page.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The folder of the run folders that the experiments page lists, reads and starts runs
    /// in (created if missing); the default is where `leaky train cnn` and `leaky compare`
    /// write theirs.
    #[cfg(feature = "networks")]
    #[arg(long, value_name = "DIR", default_value = "runs")]
    runs: PathBuf,
}

/// Runs `leaky serve`.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the server's runtime: {e}")))?;
    #[cfg(feature = "networks")]
    let routes = {
        let program = std::env::current_exe().map_err(|e| {
            CliError::Failure(format!(
                "cannot find the leaky binary to run jobs with: {e}"
            ))
        })?;
        let lab = leaky_serve::Lab::new(&args.runs, program).map_err(CliError::Usage)?;
        leaky_serve::router_with_lab(lab)
    };
    #[cfg(not(feature = "networks"))]
    let routes = leaky_serve::router();
    runtime.block_on(async {
        let address = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| CliError::Failure(format!("cannot listen on {address}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| CliError::Failure(format!("cannot read the server's address: {e}")))?;
        if !args.host.is_loopback() {
            eprintln!(
                "leaky: warning: listening on {}: other machines that reach it can use the pages, \
                 and start CPU-heavy training runs from the experiments page",
                args.host
            );
        }
        println!("leaky explorer at http://{bound}/ (Ctrl-C stops it)");
        #[cfg(feature = "networks")]
        println!(
            "experiments at http://{bound}/experiments, on the run folders in {}",
            args.runs.display()
        );
        leaky_serve::serve(listener, routes)
            .await
            .map_err(|e| CliError::Failure(format!("the server stopped: {e}")))
    })
}
