//! `leaky serve`: the activation explorer on a local web server, until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

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
}

/// Runs `leaky serve`.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the server's runtime: {e}")))?;
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
                "leaky: warning: listening on {}: other machines that reach it can use the page",
                args.host
            );
        }
        println!("leaky explorer at http://{bound}/ (Ctrl-C stops it)");
        leaky_serve::serve(listener)
            .await
            .map_err(|e| CliError::Failure(format!("the server stopped: {e}")))
    })
}
