//! `leaky serve`'s experiments page end to end, with the real binary: a `train cnn` started
//! through the page's API is followed on its live stream until it is done, and leaves what
//! `leaky train cnn` leaves (the same numbers); a queued and a running job are cancelled, and
//! the cancelled run resumes from its last finished epoch.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{assert_success, leaky};

/// The longest a one-epoch run may take here (a shared, slow machine included).
const PATIENCE: Duration = Duration::from_secs(600);

/// `leaky serve --port 0 --runs DIR`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    /// Its standard output, kept open: the server's next lines would fail on a closed pipe.
    _output: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(runs: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_leaky"))
            .args(["serve", "--port", "0", "--runs"])
            .arg(runs)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        output.read_line(&mut line).unwrap();
        // "leaky explorer at http://127.0.0.1:PORT/ (Ctrl-C stops it)"
        let url = line.split_whitespace().nth(3).unwrap();
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        Server {
            child,
            address,
            _output: output,
        }
    }

    /// The status and body of a request.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }

    fn json(&self, method: &str, path: &str, body: &str, expected: u16) -> Value {
        let (status, text) = self.request(method, path, body);
        assert_eq!(status, expected, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Follows `folder`'s live stream until `done` holds for an event; returns every event.
    fn follow(&self, folder: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "GET /api/run/events?folder={folder} HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let start = Instant::now();
        let mut events = Vec::new();
        // The body is chunked; each event's data is one line starting `data: `.
        for line in BufReader::new(stream).lines() {
            let line = line.unwrap();
            if let Some(data) = line.strip_prefix("data: ") {
                let event: Value = serde_json::from_str(data).unwrap();
                let finished = done(&event);
                events.push(event);
                if finished {
                    return events;
                }
            }
            assert!(start.elapsed() < PATIENCE, "the run did not finish");
        }
        panic!("the stream ended");
    }

    /// Waits until job `id` is in `state`.
    fn job_in(&self, id: u64, state: &str) -> Value {
        let start = Instant::now();
        loop {
            let jobs = self.json("GET", "/api/jobs", "", 200);
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
            assert!(start.elapsed() < PATIENCE, "job {id}: {job}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The epochs of a `metrics.json`, without the seconds they took.
fn epochs(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("metrics.json")).unwrap();
    let metrics: Value = serde_json::from_str(&text).unwrap();
    let mut epochs = metrics["epochs"].as_array().unwrap().clone();
    for epoch in &mut epochs {
        epoch.as_object_mut().unwrap().remove("seconds");
    }
    epochs
}

#[test]
fn a_run_started_from_the_page_is_the_command_lines_run_followed_live() {
    let runs = tempfile::tempdir().unwrap();
    let server = Server::start(runs.path());
    let job = server.json(
        "POST",
        "/api/jobs",
        r#"{"kind":"train_cnn","folder":"cnn","epochs":1,"seed":2}"#,
        202,
    );
    assert_eq!(job["state"], "running");
    let events = server.follow("cnn", |e| e["status"] == "done");
    // It was seen while it ran, with measurements part-way through the epoch.
    assert!(
        events.iter().any(|e| e["status"] == "running"
            && e["runs"][0]["epoch_records"]
                .as_array()
                .is_some_and(|a| a.is_empty())
            && e["runs"][0]["measured"]
                .as_array()
                .is_some_and(|a| !a.is_empty())),
        "no live measurement in {} events",
        events.len()
    );
    let last = events.last().unwrap();
    let run = &last["runs"][0];
    assert_eq!(run["activation"], "leaky_relu:alpha=0.01");
    assert_eq!(run["epoch_records"].as_array().unwrap().len(), 1);
    assert_eq!(run["step"], run["total_steps"]);
    assert_eq!(last["table"]["rows"].as_array().unwrap().len(), 1);
    server.job_in(job["id"].as_u64().unwrap(), "done");

    // The folder holds what `leaky train cnn` writes, with the same numbers.
    let dir = runs.path().join("cnn");
    for file in [
        "model.safetensors",
        "metrics.json",
        "curves.png",
        "progress.json",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(log.contains("wrote "), "{log}");
    let terminal = tempfile::tempdir().unwrap();
    assert_success(&leaky(
        terminal.path(),
        &[
            "train", "cnn", "--epochs", "1", "--seed", "2", "--out", "cnn",
        ],
    ));
    assert_eq!(epochs(&dir), epochs(&terminal.path().join("cnn")));

    // A run in the folder is kept unless resumed: the page gets the command line's refusal.
    let (status, text) = server.request(
        "POST",
        "/api/jobs",
        r#"{"kind":"train_cnn","folder":"cnn","epochs":1}"#,
    );
    assert_eq!(status, 409, "{text}");
    assert!(
        text.starts_with("cnn already holds a `train cnn` run"),
        "{text}"
    );
    let listing = server.json("GET", "/api/runs", "", 200);
    assert_eq!(listing["folders"][0]["folder"], "cnn");
    assert_eq!(listing["folders"][0]["status"], "done");
}

#[test]
fn a_queued_and_a_running_job_are_cancelled_and_the_run_resumes() {
    let runs = tempfile::tempdir().unwrap();
    let server = Server::start(runs.path());
    let long = server.json(
        "POST",
        "/api/jobs",
        r#"{"kind":"train_cnn","folder":"long","epochs":3}"#,
        202,
    );
    let queued = server.json(
        "POST",
        "/api/jobs",
        r#"{"kind":"compare","folder":"sweep","activations":"relu","seeds":1,"epochs":1}"#,
        202,
    );
    assert_eq!(queued["state"], "queued");
    let cancelled = server.json("DELETE", &format!("/api/jobs/{}", queued["id"]), "", 200);
    assert_eq!(cancelled["state"], "cancelled");
    // Once its first epoch is written, the running one is cancelled.
    server.follow("long", |e| {
        e["runs"]
            .get(0)
            .is_some_and(|r| !r["epoch_records"].as_array().unwrap().is_empty())
    });
    let id = long["id"].as_u64().unwrap();
    server.json("DELETE", &format!("/api/jobs/{id}"), "", 200);
    server.job_in(id, "cancelled");
    // Its process ends (its lock is released), and the folder says the run stopped.
    let folder = server
        .follow("long", |e| e["status"] == "stopped")
        .pop()
        .unwrap();
    // Nothing of the sweep was started.
    assert!(!runs.path().join("sweep/compare.json").exists());
    let done = folder["runs"][0]["epoch_records"].as_array().unwrap().len();
    assert!((1..3).contains(&done), "{done} epochs");
    // The checkpoint of the last finished epoch resumes.
    let resumed = server.json(
        "POST",
        "/api/jobs",
        &format!(
            r#"{{"kind":"train_cnn","folder":"long","epochs":{},"resume":true}}"#,
            done + 1
        ),
        202,
    );
    server.job_in(resumed["id"].as_u64().unwrap(), "done");
    assert_eq!(epochs(&runs.path().join("long")).len(), done + 1);
}
