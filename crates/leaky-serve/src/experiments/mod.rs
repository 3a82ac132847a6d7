//! The experiments page's server side: the run folders under `--runs` listed and read
//! ([`folders`]), names checked to stay inside it ([`paths`]), a folder followed live as its
//! files change ([`live`]), and runs started, queued and cancelled ([`jobs`]).
//!
//! | route | answer |
//! |---|---|
//! | `GET /experiments` | the page |
//! | `GET /api/runs` | the run folders: kind, status, latest figures |
//! | `GET /api/run?folder=NAME` | one folder: its runs' epochs, measurements and losses, its final table |
//! | `GET /api/run/events?folder=NAME` | the same, pushed (Server-Sent Events, `run`) whenever its files change |
//! | `GET /api/jobs` | the jobs: running, queued, and the last that ended |
//! | `POST /api/jobs` | starts or queues a job ([`jobs::JobRequest`], JSON, at most 16 KiB) |
//! | `DELETE /api/jobs/ID` | cancels a job |

mod folders;
mod jobs;
mod live;
mod paths;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use leaky_show::shown;
use serde::Serialize;

use crate::failure::Failure;
use jobs::{JobRequest, Queue};

/// The largest job request accepted, in bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// The runs folder and the job queue that writes into it.
pub struct Lab {
    root: PathBuf,
    queue: Arc<Queue>,
}

impl Lab {
    /// The run folders under `runs` (created if missing), with jobs that run `program` (the
    /// `leaky` binary). Fails, in one line, when `runs` cannot be created or resolved.
    pub fn new(runs: &Path, program: PathBuf) -> Result<Lab, String> {
        let fail =
            |e: std::io::Error| format!("cannot use the runs folder {}: {e}", runs.display());
        std::fs::create_dir_all(runs).map_err(fail)?;
        Ok(Lab {
            root: runs.canonicalize().map_err(fail)?,
            queue: Arc::new(Queue::new(program)),
        })
    }

    /// The folder a query `?folder=NAME` names, checked, with its name.
    fn folder(&self, raw: Option<&str>) -> Result<(String, PathBuf), Failure> {
        let mut name = None;
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if key != "folder" {
                return Err(Failure::bad(format!(
                    "unknown parameter '{}' (known: folder)",
                    shown(&key)
                )));
            }
            if name.replace(value.into_owned()).is_some() {
                return Err(Failure::bad("folder is given twice"));
            }
        }
        let name = name.ok_or_else(|| Failure::bad("missing parameter 'folder'"))?;
        let dir = paths::resolve(&self.root, &name)?;
        if !dir.is_dir() && self.queue.says(&dir) == folders::JobSays::Nothing {
            return Err(Failure(
                StatusCode::NOT_FOUND,
                format!("no folder '{}' in the runs folder", shown(&name)),
            ));
        }
        Ok((name, dir))
    }
}

impl Drop for Lab {
    /// The server stops: so does its running job (the checkpoint of its last finished epoch
    /// stays), rather than train on unseen.
    fn drop(&mut self) {
        self.queue.stop();
    }
}

/// The experiments' routes on `lab`.
pub fn routes(lab: Lab) -> Router {
    Router::new()
        .route("/experiments", get(crate::assets::experiments_page))
        .route("/api/runs", get(list))
        .route("/api/run", get(read))
        .route("/api/run/events", get(live::events))
        .route("/api/jobs", get(jobs).post(submit))
        .route("/api/jobs/{id}", delete(cancel))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(lab))
}

/// The runs folder and the folders in it.
#[derive(Serialize)]
struct Listing {
    runs: String,
    folders: Vec<folders::Listed>,
}

/// `GET /api/runs`.
async fn list(State(lab): State<Arc<Lab>>) -> Result<Response, Failure> {
    let listing = blocking(move || Listing {
        runs: lab.root.display().to_string(),
        folders: folders::list(&lab.root, &|dir| lab.queue.says(dir)),
    })
    .await?;
    Ok(Json(listing).into_response())
}

/// `GET /api/run?folder=NAME`.
async fn read(State(lab): State<Arc<Lab>>, RawQuery(raw): RawQuery) -> Result<Response, Failure> {
    let (name, dir) = lab.folder(raw.as_deref())?;
    let says = lab.queue.says(&dir);
    let folder = blocking(move || folders::read(&name, &dir, says)).await?;
    Ok(Json(folder).into_response())
}

/// `GET /api/jobs`.
async fn jobs(State(lab): State<Arc<Lab>>) -> Json<Vec<jobs::Job>> {
    Json(lab.queue.jobs())
}

/// `POST /api/jobs`: 202 with the job, started or queued.
async fn submit(
    State(lab): State<Arc<Lab>>,
    request: Result<Json<JobRequest>, JsonRejection>,
) -> Result<Response, Failure> {
    let Json(request) = request.map_err(|e| Failure(e.status(), one_line(&e.body_text())))?;
    let job = lab.queue.submit(&lab.root, request)?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// `DELETE /api/jobs/ID`.
async fn cancel(
    State(lab): State<Arc<Lab>>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, Failure> {
    let id: u64 = id
        .parse()
        .map_err(|_| Failure::bad(format!("'{}' is not a job number", shown(&id))))?;
    Ok(Json(lab.queue.cancel(id)?).into_response())
}

/// `text` on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `work` off the async threads (reading folders takes milliseconds).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request's work failed: {e}"),
        )
    })
}
