//! A run folder followed live: `GET /api/run/events?folder=NAME` sends the folder's data (as
//! `GET /api/run` does) as a Server-Sent Event `run` at once, then again whenever the files the
//! page reads change. The files are polled ([`POLL`]): a run started in a terminal shows up as
//! one started from the page does, and the page reads the same files as the command line.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::{Lab, blocking, folders};
use crate::failure::Failure;

/// How often the folder's files are looked at.
pub const POLL: Duration = Duration::from_millis(400);

/// What the stream knows between two looks: the folder, whether it was looked at yet, and the
/// fingerprint last sent.
struct Following {
    lab: Arc<Lab>,
    name: String,
    dir: PathBuf,
    looked: bool,
    sent: Option<u64>,
}

/// `GET /api/run/events?folder=NAME`.
pub async fn events(
    State(lab): State<Arc<Lab>>,
    RawQuery(raw): RawQuery,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let (name, dir) = lab.folder(raw.as_deref())?;
    let start = Following {
        lab,
        name,
        dir,
        looked: false,
        sent: None,
    };
    let stream = futures_util::stream::unfold(start, |mut f| async move {
        loop {
            if f.looked {
                tokio::time::sleep(POLL).await;
            }
            f.looked = true;
            let says = f.lab.queue.says(&f.dir);
            let (name, dir, sent) = (f.name.clone(), f.dir.clone(), f.sent);
            let looked = blocking(move || {
                let print = folders::fingerprint(&dir, says);
                (sent != Some(print)).then(|| (print, folders::read(&name, &dir, says)))
            })
            .await;
            match looked {
                Ok(Some((print, folder))) => {
                    f.sent = Some(print);
                    let event = Event::default()
                        .event("run")
                        .json_data(&folder)
                        .unwrap_or_else(|e| Event::default().event("failure").data(e.to_string()));
                    return Some((Ok(event), f));
                }
                Ok(None) => {}
                Err(failure) => {
                    let event = Event::default().event("failure").data(failure.1);
                    return Some((Ok(event), f));
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
