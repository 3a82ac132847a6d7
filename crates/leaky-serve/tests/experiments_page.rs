//! The experiments page's routes on run folders written here with leaky-lab's own writers: the
//! list, one folder's data, the live stream, and jobs started, queued, refused and cancelled
//! (run by a stand-in program, a shell script, so that no network trains here; the command
//! line's tests run the real one).

#![cfg(feature = "experiments")]

mod common;
mod send;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use leaky::Activation;
use leaky_lab::models::cnn::LAYER_NAMES;
use serde_json::{Value, json};
use tower::ServiceExt;

use common::{fixture, write_run};
use send::send;

async fn get_json(app: &Router, uri: &str) -> Value {
    let (status, kind, body) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(kind, "application/json");
    serde_json::from_slice(&body).unwrap()
}

/// A refused request's status and its one-line message.
async fn refused(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let (status, kind, body) = send(app, request).await;
    assert!(status.is_client_error(), "{status}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let text = String::from_utf8(body).unwrap();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    (status, text.trim_end().to_string())
}

async fn refused_get(app: &Router, uri: &str) -> (StatusCode, String) {
    refused(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn post(body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/jobs")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn delete(id: &str) -> Request<Body> {
    Request::delete(format!("/api/jobs/{id}"))
        .body(Body::empty())
        .unwrap()
}

/// A stand-in for the `leaky` program: writes its arguments to `args.txt` and its process ID
/// to `pid` in its `--out` folder, then fails like the command line when asked for seed 13, and otherwise runs until
/// killed.
fn stand_in(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let program = dir.join("leaky-stand-in");
    std::fs::write(
        &program,
        "#!/bin/sh\n\
         all=\"$*\"\n\
         while [ \"$#\" -gt 0 ]; do [ \"$1\" = --out ] && out=\"$2\"; shift; done\n\
         echo \"$all\" > \"$out/args.txt\"\n\
         echo $$ > \"$out/pid\"\n\
         case \"$all\" in *'--seed 13'*) echo 'leaky: error: it failed on purpose' >&2; exit 2;; esac\n\
         exec sleep 60\n",
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    program
}

fn app(root: &Path, program: PathBuf) -> Router {
    leaky_serve::router_with_lab(leaky_serve::Lab::new(root, program).unwrap())
}

#[tokio::test]
async fn the_page_is_served_and_links_to_the_explorer() {
    let root = fixture();
    let app = app(root.path(), "leaky".into());
    let (status, kind, body) = send(
        &app,
        Request::get("/experiments").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"));
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("href=\"/\""));
    assert!(page.contains("/assets/experiments.js"));
    let (status, _, js) = send(
        &app,
        Request::get("/assets/experiments.js")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(js).unwrap().contains("EventSource"));
}

#[tokio::test]
async fn run_folders_are_listed_with_kind_status_and_figures() {
    let root = fixture();
    let app = app(root.path(), "leaky".into());
    let listing = get_json(&app, "/api/runs").await;
    assert_eq!(
        listing["runs"],
        root.path().canonicalize().unwrap().display().to_string()
    );
    let folders = listing["folders"].as_array().unwrap();
    let names: Vec<&str> = folders
        .iter()
        .map(|f| f["folder"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cnn", "group/deeper/run", "sweep"]);
    assert_eq!(folders[0]["kind"], "train_cnn");
    assert_eq!(folders[0]["status"], "done");
    assert_eq!(
        folders[0]["figures"],
        "92.00% of the held-out digits after epoch 2"
    );
    assert_eq!(
        folders[0]["about"],
        "a `train cnn` run (relu, seed 1, epoch 2 done)"
    );
    assert_eq!(folders[1]["status"], "stopped");
    assert_eq!(folders[2]["kind"], "compare");
    assert_eq!(folders[2]["status"], "stopped");
    assert_eq!(
        folders[2]["figures"],
        "1 of 2 runs ended; best so far 92.00% (relu)"
    );
}

#[tokio::test]
async fn a_folder_reads_as_its_runs_epochs_measurements_and_table() {
    let root = fixture();
    let app = app(root.path(), "leaky".into());
    let cnn = get_json(&app, "/api/run?folder=cnn").await;
    assert_eq!(cnn["kind"], "train_cnn");
    assert_eq!(cnn["status"], "done");
    assert_eq!(cnn["layers"], json!(LAYER_NAMES));
    assert_eq!(
        cnn["settings"],
        json!({ "data": "embedded", "batch": 16, "lr": 0.001, "lr_decay": 0.5, "max_shift": 1, "bias_init": null })
    );
    let run = &cnn["runs"][0];
    assert_eq!(
        (run["activation"].as_str(), run["seed"].as_u64()),
        (Some("relu"), Some(1))
    );
    assert_eq!(run["epoch_records"].as_array().unwrap().len(), 2);
    assert_eq!(run["measured"].as_array().unwrap().len(), 5);
    assert_eq!(run["measured"][4]["layers"][2]["dead_units"], json!([0]));
    assert_eq!(
        run["losses"][0],
        json!({ "step": 50, "loss": 0.04, "batches": 50 })
    );
    assert_eq!(
        (run["step"].as_u64(), run["total_steps"].as_u64()),
        (Some(200), Some(200))
    );
    assert_eq!(cnn["table"]["columns"][4], "held-out acc %");
    assert_eq!(cnn["table"]["rows"][1][4], "92.00");

    // Mid-epoch, the progress file's measurements are newer than metrics.json's.
    let run = &get_json(&app, "/api/run?folder=group/deeper/run").await["runs"][0];
    assert_eq!(run["status"], "stopped");
    assert_eq!(run["epoch_records"].as_array().unwrap().len(), 1);
    assert_eq!(run["measured"].as_array().unwrap().len(), 4);
    assert_eq!(run["step"], 150);

    let sweep = get_json(&app, "/api/run?folder=sweep").await;
    let runs = sweep["runs"].as_array().unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["relu-seed1", "leaky_relu-alpha-0.2-seed1"]);
    assert_eq!(runs[0]["status"], "done");
    assert_eq!(runs[1]["status"], "stopped");
    assert_eq!(runs[1]["epochs"], 2);
    assert!(
        sweep["about"]
            .as_str()
            .unwrap()
            .starts_with("a `compare` sweep")
    );
    assert_eq!(sweep["settings"]["batch"], 16);
    // The summary table of compare.md: one row per activation.
    assert_eq!(sweep["table"]["columns"][0], "activation");
    assert_eq!(sweep["table"]["rows"].as_array().unwrap().len(), 2);
    assert_eq!(sweep["table"]["rows"][0][0], "relu");
}

#[tokio::test]
async fn folder_names_outside_the_runs_folder_are_refused() {
    let root = fixture();
    let outside = tempfile::tempdir().unwrap();
    write_run(outside.path(), "relu", 1, 1, 1, 0);
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
    let app = app(root.path(), "leaky".into());
    for (uri, message) in [
        (
            "/api/run?folder=../x",
            "folder '../x': '..' is not allowed in a folder name",
        ),
        (
            "/api/run?folder=cnn/../../x",
            "folder 'cnn/../../x': '..' is not allowed in a folder name",
        ),
        (
            "/api/run?folder=%2Fetc",
            "folder '/etc': absolute paths are not allowed: name a folder inside the runs folder",
        ),
        (
            "/api/run?folder=escape",
            "folder 'escape': it leads outside the runs folder",
        ),
        (
            "/api/run/events?folder=escape/x",
            "folder 'escape/x': it leads outside the runs folder",
        ),
        (
            "/api/run?folder=.",
            "folder '.': name a folder inside the runs folder",
        ),
        ("/api/run", "missing parameter 'folder'"),
        ("/api/run?folder=cnn&folder=cnn", "folder is given twice"),
        (
            "/api/run?dir=cnn",
            "unknown parameter 'dir' (known: folder)",
        ),
    ] {
        assert_eq!(
            refused_get(&app, uri).await,
            (StatusCode::BAD_REQUEST, message.to_string()),
            "{uri}"
        );
    }
    assert_eq!(
        refused_get(&app, "/api/run?folder=missing").await,
        (
            StatusCode::NOT_FOUND,
            "no folder 'missing' in the runs folder".to_string()
        )
    );
}

/// The next `run` event of a live stream, as JSON.
async fn next_event(body: &mut Body) -> Value {
    let mut text = String::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        let Ok(data) = frame.into_data() else {
            continue;
        };
        text.push_str(std::str::from_utf8(&data).unwrap());
        if let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if !event.starts_with("event: run") {
                continue;
            }
            let data = event
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            return serde_json::from_str(data).unwrap();
        }
    }
}

#[tokio::test]
async fn the_live_stream_sends_the_folder_again_when_its_files_change() {
    let root = fixture();
    let app = app(root.path(), "leaky".into());
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/run/events?folder=group/deeper/run")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    let first = next_event(&mut body).await;
    assert_eq!(first["runs"][0]["measured"].as_array().unwrap().len(), 4);
    // The run goes on: one more measurement in the epoch under way.
    let dir = root.path().join("group/deeper/run");
    write_run(&dir, "tanh", 2, 1, 3, 2);
    let second = next_event(&mut body).await;
    assert_eq!(second["runs"][0]["measured"].as_array().unwrap().len(), 5);
    assert_eq!(second["runs"][0]["step"], 200);
}

/// Waits until job `id` is in `state`; returns it.
async fn job_in(app: &Router, id: u64, state: &str) -> Value {
    let start = Instant::now();
    loop {
        let jobs = get_json(app, "/api/jobs").await;
        let job = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == id)
            .unwrap()
            .clone();
        if job["state"] == state {
            return job;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "job {id}: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_run_one_at_a_time_and_can_be_cancelled() {
    let root = fixture();
    let bin = tempfile::tempdir().unwrap();
    let app = app(root.path(), stand_in(bin.path()));
    let canonical = root.path().canonicalize().unwrap();

    let (status, _, body) = send(
        &app,
        post(r#"{"kind":"train_cnn","folder":"a","epochs":1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let first: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (first["id"].as_u64(), first["state"].as_str()),
        (Some(1), Some("running"))
    );
    let out = canonical.join("a").display().to_string();
    assert_eq!(
        first["args"],
        json!(["train", "cnn", "--out", out, "--epochs", "1"])
    );
    let (status, _, body) = send(
        &app,
        post(r#"{"kind":"compare","folder":"b","activations":"relu, hardtanh:min=-2,max=2","seeds":2,"stress":true}"#),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(second["state"], "queued");
    let out_b = canonical.join("b").display().to_string();
    assert_eq!(
        second["args"],
        json!([
            "compare",
            "--out",
            out_b,
            "--activations",
            "relu,hardtanh:min=-2.0,max=2.0",
            "--seeds",
            "2",
            "--stress"
        ])
    );
    // The folder a job writes (or one inside it) is taken until it ends.
    let taken = "folder 'a' is written by job 1 (a), which is running";
    assert_eq!(
        refused(&app, post(r#"{"kind":"train_cnn","folder":"a"}"#)).await,
        (StatusCode::CONFLICT, taken.to_string())
    );
    assert_eq!(
        refused(&app, post(r#"{"kind":"train_cnn","folder":"b/runs/x"}"#))
            .await
            .0,
        StatusCode::CONFLICT
    );
    // The folders' statuses say so.
    let a = get_json(&app, "/api/run?folder=a").await;
    assert_eq!(a["status"], "running");
    assert_eq!(
        get_json(&app, "/api/run?folder=b").await["status"],
        "queued"
    );

    // The stand-in started: its process id is in `a/pid` (the shell creates the file before it
    // writes the number, so wait for the number).
    let pid_file = root.path().join("a/pid");
    let start = Instant::now();
    let pid = loop {
        let written = std::fs::read_to_string(&pid_file).unwrap_or_default();
        if let Ok(pid) = written.trim().parse::<u32>() {
            break pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the job did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Cancelling the queued one takes it off the queue; the running one goes on.
    let (status, _, body) = send(&app, delete("2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["state"],
        "cancelled"
    );
    assert_eq!(job_in(&app, 1, "running").await["id"], 1);
    // Cancelling the running one kills it.
    assert_eq!(send(&app, delete("1")).await.0, StatusCode::OK);
    job_in(&app, 1, "cancelled").await;
    assert_eq!(
        refused(&app, delete("1")).await,
        (
            StatusCode::CONFLICT,
            "job 1 has already ended (cancelled)".to_string()
        )
    );
    assert_eq!(
        refused(&app, delete("99")).await,
        (StatusCode::NOT_FOUND, "no job 99".to_string())
    );
    assert_eq!(
        refused(&app, delete("x")).await,
        (
            StatusCode::BAD_REQUEST,
            "'x' is not a job number".to_string()
        )
    );
    // With nothing running, the next job starts at once; a failing one keeps the command
    // line's error.
    let (status, _, body) =
        send(&app, post(r#"{"kind":"train_cnn","folder":"c","seed":13}"#)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(id, 3);
    let failed = job_in(&app, id, "failed").await;
    assert_eq!(failed["error"], "it failed on purpose");
    // The stand-in of job 1 is gone: its process group was killed.
    assert!(
        !Path::new("/proc").join(pid.to_string()).exists(),
        "process {pid} still runs"
    );
}

#[tokio::test]
async fn bad_job_requests_get_the_command_lines_message() {
    let root = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
    let bin = tempfile::tempdir().unwrap();
    let app = app(root.path(), stand_in(bin.path()));
    let unknown = "nope".parse::<Activation>().unwrap_err().to_string();
    for (body, message) in [
        (
            r#"{"kind":"train_cnn","activation":"nope"}"#.to_string(),
            format!("invalid value 'nope' for '--activation <SPEC>': {unknown}"),
        ),
        (
            r#"{"kind":"compare","activations":"relu,nope"}"#.into(),
            format!("--activations: {unknown}"),
        ),
        (
            r#"{"kind":"compare","activations":"relu,relu"}"#.into(),
            "--activations: relu is listed twice".into(),
        ),
        (
            r#"{"kind":"compare","activations":"relu,,tanh"}"#.into(),
            "--activations: empty entry in 'relu,,tanh'".into(),
        ),
        (
            r#"{"kind":"train_cnn","epochs":0}"#.into(),
            "invalid value '0' for '--epochs <EPOCHS>': must be at least 1".into(),
        ),
        (
            r#"{"kind":"compare","seeds":0}"#.into(),
            "invalid value '0' for '--seeds <N>': must be at least 1".into(),
        ),
        (
            r#"{"kind":"compare","epochs":1001}"#.into(),
            "invalid value '1001' for '--epochs <EPOCHS>': must be at most 1000 here".into(),
        ),
        (
            r#"{"kind":"compare","seed":3}"#.into(),
            "'seed' is not an option of compare (it takes activations, seeds, epochs, stress)"
                .into(),
        ),
        (
            r#"{"kind":"train_cnn","resume":true,"overwrite":true}"#.into(),
            "the argument '--resume' cannot be used with '--overwrite'".into(),
        ),
        (
            r#"{"kind":"train_cnn","folder":"../x"}"#.into(),
            "folder '../x': '..' is not allowed in a folder name".into(),
        ),
        (
            r#"{"kind":"train_cnn","folder":"/tmp/x"}"#.into(),
            "folder '/tmp/x': absolute paths are not allowed: name a folder inside the runs folder"
                .into(),
        ),
        (
            r#"{"kind":"train_cnn","folder":"escape/run"}"#.into(),
            "folder 'escape/run': it leads outside the runs folder".into(),
        ),
        ("{\"kind\":".into(), String::new()),
    ] {
        let (status, text) = refused(&app, post(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
        if !message.is_empty() {
            assert_eq!(text, message, "{body}");
        }
    }
    // Well-formed JSON that is not a job: 422.
    let (status, text) = refused(&app, post(r#"{"kind":"train_gan"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (status, text) = refused(&app, post(r#"{"kind":"train_cnn","colour":"red"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("colour"), "{text}");
    let (status, _) = refused(&app, post(r#"{"kind":"train_cnn","epochs":-1}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not JSON, or too big.
    let plain = Request::post("/api/jobs").body(Body::from("{}")).unwrap();
    assert_eq!(
        refused(&app, plain).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let huge = format!(
        r#"{{"kind":"train_cnn","folder":"{}"}}"#,
        "x".repeat(leaky_serve::MAX_BODY)
    );
    assert_eq!(
        refused(&app, post(huge)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A folder that holds a run is kept unless the run is resumed or replaced.
    let (status, text) = refused(&app, post(r#"{"kind":"train_cnn","folder":"cnn"}"#)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        text.starts_with("cnn already holds a `train cnn` run (relu, seed 1, epoch 2 done)"),
        "{text}"
    );
    let (status, text) = refused(&app, post(r#"{"kind":"compare","folder":"sweep"}"#)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        text.starts_with("sweep already holds a `compare` sweep"),
        "{text}"
    );
    // Nothing was started.
    assert_eq!(get_json(&app, "/api/jobs").await, json!([]));
}
