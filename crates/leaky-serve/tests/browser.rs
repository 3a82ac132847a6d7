//! The pages in a real browser: headless Chromium, driven over the DevTools protocol, loads
//! the explorer, moves the α slider, and the test checks that the curve was redrawn and that the
//! numbers under it are `leaky eval`'s; it opens the experiments page on a sweep's folder and
//! checks that its charts, heatmap and table are drawn. Screenshots of the pages go to
//! `target/tmp/browser/` (`explorer.png`, `explorer-alpha.png`, `experiments.png`).
//!
//! Skipped, saying so, when no Chromium is installed (`.ci/run` installs it); `LEAKY_CHROMIUM`
//! names the browser's binary when it is not `chromium` on the PATH.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use leaky::Activation;
use leaky_show::table::Table;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long the browser gets to start, and the page to draw.
const PATIENCE: Duration = Duration::from_secs(30);

/// The browser's binary, if there is one.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LEAKY_CHROMIUM") {
        return Some(path.into());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(PathBuf::from)
}

/// A headless browser, killed when dropped.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    port: u16,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn start(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The browser writes its port to this file once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(Ok(port)) = text.lines().next().map(str::parse)
            {
                break port;
            }
            assert!(start.elapsed() < PATIENCE, "the browser did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        Browser {
            child,
            _profile: profile,
            port,
        }
    }

    /// A new tab on `url`, to drive.
    fn open(&self, url: &str) -> Tab {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "PUT /json/new?about:blank HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )
        .unwrap();
        // The browser keeps the connection open: read the head, then Content-Length bytes.
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let target: Value = serde_json::from_slice(&body).unwrap();
        let ws = target["webSocketDebuggerUrl"].as_str().unwrap();
        let (socket, _) = tungstenite::connect(ws).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
        }
        let mut tab = Tab { socket, next_id: 1 };
        tab.call("Page.navigate", json!({ "url": url }));
        tab
    }
}

/// One tab, driven over the DevTools protocol.
struct Tab {
    socket: WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Tab {
    /// Sends a command and returns its result (events in between are skipped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(message.to_string()))
            .unwrap();
        loop {
            let Message::Text(text) = self.socket.read().unwrap() else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression (awaited if a promise).
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        );
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until the page has drawn more than `count` times; returns the new count.
    fn drawn_after(&mut self, count: u64) -> u64 {
        let start = Instant::now();
        loop {
            let drawn = self
                .eval("Number((document.body && document.body.dataset.drawn) || 0)")
                .as_u64()
                .unwrap();
            if drawn > count {
                return drawn;
            }
            assert!(start.elapsed() < PATIENCE, "the page did not draw");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `expression` is true.
    fn wait_for(&mut self, expression: &str) {
        let start = Instant::now();
        while self.eval(expression) != Value::Bool(true) {
            assert!(start.elapsed() < PATIENCE, "never true: {expression}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes a screenshot of the page to `path`.
    fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64_decode(shot["data"].as_str().unwrap());
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(path, png).unwrap();
    }
}

/// Standard base64, as the protocol sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            bytes.into_iter().take(chunk.len() - 1)
        })
        .collect()
}

/// The rows of the values table under the figure: activation, x, f(x), f'(x).
fn cursor_rows(tab: &mut Tab) -> Vec<Vec<String>> {
    let rows = tab.eval(
        "[...document.querySelectorAll('#cursor tbody tr')]\
         .map(r => [...r.cells].map(c => c.textContent))",
    );
    serde_json::from_value(rows).unwrap()
}

/// Checks a row against `leaky eval`'s f32 values for `spec` at the row's x.
fn assert_leaky_eval(row: &[String], spec: &str) {
    let activation: Activation = spec.parse().unwrap();
    assert_eq!(row[0], activation.to_string());
    let x: f32 = row[1].parse().unwrap();
    let mut csv = Vec::new();
    Table::new(&activation, &[x])
        .unwrap()
        .write_csv(&mut csv)
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let expected: Vec<f32> = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let shown: Vec<f32> = row[1..].iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(shown, expected, "{spec} at x = {x}");
}

/// A server on a free port of 127.0.0.1 with `routes`, on `runtime`.
fn serve(runtime: &tokio::runtime::Runtime, routes: axum::Router) -> std::net::SocketAddr {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(leaky_serve::serve(listener, routes));
    address
}

/// The folder of the screenshots.
fn screenshots() -> PathBuf {
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

#[test]
fn the_alpha_slider_redraws_the_curve_with_leaky_evals_numbers() {
    let Some(binary) = chromium() else {
        eprintln!(
            "skipped: no Chromium found (install the `chromium` package, or set LEAKY_CHROMIUM)"
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let address = serve(&runtime, leaky_serve::router());
    let shots = screenshots();

    let browser = Browser::start(&binary);
    let mut tab = browser.open(&format!("http://{address}/"));
    let drawn = tab.drawn_after(0);
    // The opening state is the article's figure.
    assert_eq!(
        tab.eval("location.search"),
        "?spec=leaky_relu%3Aalpha%3D0.01&from=-2&to=2&points=100"
    );
    let before = tab.eval("document.querySelector('path.curve').getAttribute('d')");
    let rows = cursor_rows(&mut tab);
    assert_leaky_eval(&rows[0], "leaky_relu:alpha=0.01");
    tab.screenshot(&shots.join("explorer.png"));

    // Move α to -0.5, as a drag of the slider does: value, then an input event.
    tab.eval(
        "(() => { const s = document.querySelector('input[data-param=\"0.alpha\"]');\
         s.value = '-0.5'; s.dispatchEvent(new Event('input')); })()",
    );
    tab.drawn_after(drawn);
    let after = tab.eval("document.querySelector('path.curve').getAttribute('d')");
    assert_ne!(before, after, "the curve was not redrawn");
    let rows = cursor_rows(&mut tab);
    assert_leaky_eval(&rows[0], "leaky_relu:alpha=-0.5");
    // Point the cursor at the left end: x = -2, f = 1, f' = -0.5.
    let box_ = tab.eval(
        "(() => { const r = document.getElementById('plot').getBoundingClientRect();\
         return [r.left, r.top, r.width, r.height]; })()",
    );
    let (left, top, width, height) = (
        box_[0].as_f64().unwrap(),
        box_[1].as_f64().unwrap(),
        box_[2].as_f64().unwrap(),
        box_[3].as_f64().unwrap(),
    );
    // The f panel starts at 60 of the figure's 960 units.
    tab.call(
        "Input.dispatchMouseEvent",
        json!({ "type": "mouseMoved", "x": left + width * 50.0 / 960.0, "y": top + height / 2.0 }),
    );
    let rows = cursor_rows(&mut tab);
    assert_eq!(rows[0][1..], ["-2", "1", "-0.5"]);
    assert_eq!(
        tab.eval("location.search"),
        "?spec=leaky_relu%3Aalpha%3D-0.5&from=-2&to=2&points=100"
    );
    let status = tab.eval("document.getElementById('status').textContent");
    println!("{}", status.as_str().unwrap());
    tab.screenshot(&shots.join("explorer-alpha.png"));

    // A link to a view opens it, its specs read as the command line reads them (PyTorch's
    // name, a value by position).
    let mut shared = browser.open(&format!(
        "http://{address}/?spec=tanh&spec=LeakyReLU%3A0.2&from=-3&to=3&points=61"
    ));
    shared.drawn_after(0);
    let specs =
        shared.eval("[...document.querySelectorAll('path.curve')].map(p => p.dataset.spec)");
    assert_eq!(
        specs,
        json!([
            "tanh",
            "leaky_relu:alpha=0.2",
            "tanh",
            "leaky_relu:alpha=0.2"
        ])
    );
    // A bad parameter shows the server's message.
    shared.eval(
        "(() => { const f = document.getElementById('from'); f.value = '5';\
         f.dispatchEvent(new Event('input')); })()",
    );
    shared.wait_for("document.getElementById('error').textContent !== ''");
    assert_eq!(
        shared.eval("document.getElementById('error').textContent"),
        "--from (5) must be less than --to (3)"
    );
}

#[cfg(feature = "experiments")]
mod common;

#[cfg(feature = "experiments")]
#[test]
fn the_experiments_page_draws_a_sweeps_charts_heatmap_and_table() {
    let Some(binary) = chromium() else {
        eprintln!(
            "skipped: no Chromium found (install the `chromium` package, or set LEAKY_CHROMIUM)"
        );
        return;
    };
    let runs = common::fixture();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // No job starts here: the program is never run.
    let lab = leaky_serve::Lab::new(runs.path(), "leaky".into()).unwrap();
    let address = serve(&runtime, leaky_serve::router_with_lab(lab));
    let browser = Browser::start(&binary);
    let mut tab = browser.open(&format!("http://{address}/experiments?folder=sweep"));
    tab.drawn_after(0);
    assert_eq!(tab.eval("document.body.dataset.status"), "stopped");
    // Both runs' lines in every chart, against step: 5 + 4 measurements, 4 + 3 losses.
    let charts = tab.eval(
        "['accuracy', 'loss', 'dead-0', 'dead-1', 'dead-2'].map(id => {\
         const c = document.getElementById(id); return [Number(c.dataset.series), Number(c.dataset.points)]; })",
    );
    assert_eq!(charts, json!([[2, 9], [2, 7], [2, 9], [2, 9], [2, 9]]));
    // Lines were drawn: the accuracy chart has pixels in both runs' colours.
    let coloured = tab.eval(
        "(() => { const c = document.getElementById('accuracy');\
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
         const seen = new Set(); for (let i = 0; i < d.length; i += 4) {\
           const rgb = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];\
           if (rgb === 0x1f77b4 || rgb === 0xff7f0e) seen.add(rgb); }\
         return seen.size; })()",
    );
    assert_eq!(coloured, 2);
    // The heatmap of the first run: (0 + 1 + 2 + 0 + 1) dead units in each of the 3 layers.
    assert_eq!(
        tab.eval("document.getElementById('heat-run').value"),
        "relu-seed1"
    );
    assert_eq!(
        tab.eval("Number(document.getElementById('heatmap').dataset.cells)"),
        12
    );
    // The final table is compare.md's: one row per activation.
    let table = tab
        .eval("[...document.querySelectorAll('#table tbody tr')].map(r => r.cells[0].textContent)");
    assert_eq!(table, json!(["relu", "leaky_relu:alpha=0.2"]));
    // The folders are listed, and nothing runs.
    tab.wait_for("document.querySelectorAll('#folders li.folder').length === 3");
    assert_eq!(
        tab.eval("document.getElementById('jobs').textContent"),
        "nothing runs"
    );
    // The page opens the full height for the screenshot.
    let height = tab
        .eval("document.documentElement.scrollHeight")
        .as_u64()
        .unwrap();
    tab.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false }),
    );
    tab.screenshot(&screenshots().join("experiments.png"));

    // A bad request from the form shows the server's one-line message.
    tab.eval(
        "(() => { document.getElementById('activation').value = 'nope';\
         document.querySelector('#start button').click(); })()",
    );
    tab.wait_for("document.getElementById('error').textContent !== ''");
    let unknown = "nope".parse::<Activation>().unwrap_err().to_string();
    assert_eq!(
        tab.eval("document.getElementById('error').textContent"),
        format!("invalid value 'nope' for '--activation <SPEC>': {unknown}")
    );
}
