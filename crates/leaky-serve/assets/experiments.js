// The experiments page: start runs (`leaky train cnn`, `leaky compare`), see the queue, and
// follow a run folder live. The server pushes the folder's data whenever its files change
// (Server-Sent Events); the charts are drawn on canvases from those numbers.
"use strict";

// matplotlib's tab10, the colours of the figures the command line draws.
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const $ = (id) => document.getElementById(id);
let source = null;   // the EventSource of the selected folder
let current = null;  // the selected folder's data

// The text of a failed answer, or the parsed JSON of a good one.
async function ask(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) {
    throw new Error((await response.text()).trim() || response.statusText);
  }
  return response.json();
}

function showError(message) {
  const p = $("error");
  p.textContent = message;
  p.hidden = !message;
}

// --- the form -------------------------------------------------------------------------------

function showKind() {
  const kind = $("kind").value;
  for (const label of document.querySelectorAll("[data-for]")) {
    label.hidden = label.dataset.for !== kind;
  }
  $("folder").placeholder = kind === "compare"
    ? ($("stress").checked ? "compare-stress" : "compare") : "cnn";
}

async function start(event) {
  event.preventDefault();
  const kind = $("kind").value;
  const body = { kind, epochs: Number($("epochs").value) };
  if (kind === "train_cnn") {
    body.activation = $("activation").value.trim();
    body.seed = Number($("seed").value);
  } else {
    body.activations = $("activations").value.trim();
    body.seeds = Number($("seeds").value);
    body.stress = $("stress").checked;
  }
  const folder = $("folder").value.trim();
  if (folder) body.folder = folder;
  if ($("resume").checked) body.resume = true;
  try {
    const job = await ask("/api/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    showError("");
    await refreshJobs();
    select(job.folder);
  } catch (err) {
    showError(err.message);
  }
}

// --- the queue and the folders --------------------------------------------------------------

async function refreshJobs() {
  let jobs;
  try {
    jobs = await ask("/api/jobs");
  } catch (err) {
    return;
  }
  const list = $("jobs");
  list.replaceChildren();
  const shown = jobs.filter((j) => j.state === "running" || j.state === "queued")
    .concat(jobs.filter((j) => j.state !== "running" && j.state !== "queued").reverse().slice(0, 5));
  for (const job of shown) {
    const li = document.createElement("li");
    li.className = "job " + job.state;
    li.dataset.id = job.id;
    const text = document.createElement("span");
    text.textContent = `#${job.id} ${job.state}: leaky ${job.kind === "compare" ? "compare" : "train cnn"} → ${job.folder}`
      + (job.error ? ` (${job.error})` : "");
    text.title = "leaky " + job.args.join(" ");
    text.addEventListener("click", () => select(job.folder));
    li.append(text);
    if (job.state === "running" || job.state === "queued") {
      const cancel = document.createElement("button");
      cancel.textContent = "cancel";
      cancel.className = "cancel";
      cancel.addEventListener("click", async () => {
        try {
          await ask(`/api/jobs/${job.id}`, { method: "DELETE" });
        } catch (err) {
          showError(err.message);
        }
        refreshJobs();
      });
      li.append(" ", cancel);
    }
    list.append(li);
  }
  if (!shown.length) {
    const li = document.createElement("li");
    li.className = "quiet";
    li.textContent = "nothing runs";
    list.append(li);
  }
}

async function refreshFolders() {
  let listing;
  try {
    listing = await ask("/api/runs");
  } catch (err) {
    return;
  }
  $("runs-dir").textContent = "in " + listing.runs;
  const list = $("folders");
  list.replaceChildren();
  for (const f of listing.folders) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "?folder=" + encodeURIComponent(f.folder);
    a.textContent = f.folder;
    a.addEventListener("click", (e) => { e.preventDefault(); select(f.folder); });
    li.append(a, ` ${f.kind.replace("_", " ")}, ${f.status}: ${f.figures}`);
    li.title = f.about;
    li.className = "folder " + f.status + (current && current.folder === f.folder ? " selected" : "");
    list.append(li);
  }
  if (!listing.folders.length) {
    const li = document.createElement("li");
    li.className = "quiet";
    li.textContent = "no run folders yet";
    list.append(li);
  }
}

// --- one folder, live -----------------------------------------------------------------------

function select(folder) {
  if (source) source.close();
  history.replaceState(null, "", "?folder=" + encodeURIComponent(folder));
  $("title").textContent = folder;
  source = new EventSource("/api/run/events?folder=" + encodeURIComponent(folder));
  source.addEventListener("run", (e) => draw(JSON.parse(e.data)));
  source.addEventListener("failure", (e) => showError(e.data));
  source.onerror = () => {
    // A folder that does not exist answers 404: say so rather than retry forever.
    fetch("/api/run?folder=" + encodeURIComponent(folder)).then(async (r) => {
      if (!r.ok) {
        showError((await r.text()).trim());
        source.close();
      }
    });
  };
}

// The points of one run for a chart: against step when it was measured, else against epoch.
function runSeries(run, what, layer, byStep) {
  if (byStep) {
    if (what === "accuracy") return run.measured.map((s) => [s.step, 100 * s.accuracy]);
    if (what === "loss") return run.losses.map((l) => [l.step, l.loss]);
    return run.measured.map((s) => [s.step, 100 * s.layers[layer].dead]);
  }
  return run.epoch_records.map((e) => [e.epoch,
    what === "accuracy" ? 100 * e.test_accuracy
      : what === "loss" ? e.train_loss
        : (e.dead[layer] ? 100 * e.dead[layer].dead : NaN)]);
}

function draw(folder) {
  current = folder;
  $("title").textContent = `${folder.folder}: ${folder.kind.replace("_", " ")}, ${folder.status}`;
  const s = folder.settings;
  $("about").textContent = folder.about + (s
    ? `; batch ${s.batch}, lr ${s.lr} (x${s.lr_decay} per epoch), shifts up to ${s.max_shift} px, `
      + `initial biases ${s.bias_init === null ? "random" : s.bias_init}; data: ${s.data}`
    : "");
  const runs = folder.runs;
  const byStep = runs.some((r) => r.measured.length > 0);
  const x = byStep ? "training step" : "epoch";
  const series = (what, layer) => runs.map((run, i) => ({
    label: folder.kind === "compare" ? run.name : run.activation,
    colour: COLOURS[i % COLOURS.length],
    points: runSeries(run, what, layer, byStep),
  }));
  const digits = byStep ? " on the measured held-out digits" : " (held out)";
  chart($("accuracy"), "accuracy" + digits, x, "accuracy (%)", series("accuracy"), true);
  chart($("loss"), "training loss", x, "cross-entropy", series("loss"), false);
  folder.layers.forEach((layer, l) => {
    chart($("dead-" + l), `dead units, ${layer}`, x, "dead (%)", series("dead", l), false);
  });
  heatmapChoices(runs);
  drawHeatmap();
  table(folder.table);
  document.body.dataset.status = folder.status;
  document.body.dataset.drawn = Number(document.body.dataset.drawn || 0) + 1;
}

// A line chart on `canvas`: axes with ticks, one line per series, a legend if asked.
function chart(canvas, title, xLabel, yLabel, series, legend) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  const m = { left: 52, right: 12, top: 24, bottom: 38 };
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, W, H);
  ctx.font = "13px 'DejaVu Sans', sans-serif";
  ctx.fillStyle = "#222";
  ctx.textAlign = "center";
  ctx.fillText(title, W / 2, 16);
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  canvas.dataset.points = all.length;
  canvas.dataset.series = series.filter((s) => s.points.length).length;
  if (!all.length) {
    ctx.fillStyle = "#888";
    ctx.fillText("nothing recorded yet", W / 2, H / 2);
    return;
  }
  let [x0, x1] = extent(all.map((p) => p[0]));
  let [y0, y1] = extent(all.map((p) => p[1]));
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const px = (x) => m.left + (x - x0) / (x1 - x0) * (W - m.left - m.right);
  const py = (y) => H - m.bottom - (y - y0) / (y1 - y0) * (H - m.top - m.bottom);
  ctx.strokeStyle = "#e6e6e6";
  ctx.lineWidth = 1;
  ctx.font = "11px 'DejaVu Sans', sans-serif";
  ctx.fillStyle = "#444";
  for (const t of ticks(y0, y1)) {
    ctx.beginPath(); ctx.moveTo(m.left, py(t)); ctx.lineTo(W - m.right, py(t)); ctx.stroke();
    ctx.textAlign = "right";
    ctx.fillText(label(t), m.left - 4, py(t) + 4);
  }
  for (const t of ticks(x0, x1)) {
    ctx.textAlign = "center";
    ctx.fillText(label(t), px(t), H - m.bottom + 14);
  }
  ctx.strokeStyle = "#444";
  ctx.strokeRect(m.left, m.top, W - m.left - m.right, H - m.top - m.bottom);
  ctx.fillText(xLabel, (m.left + W - m.right) / 2, H - 6);
  ctx.save();
  ctx.translate(12, (m.top + H - m.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  ctx.lineWidth = 1.8;
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(p[1]));
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    if (points.length === 1) {
      ctx.beginPath(); ctx.arc(px(points[0][0]), py(points[0][1]), 3, 0, 2 * Math.PI); ctx.fill();
      continue;
    }
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
    ctx.stroke();
  }
  if (legend) {
    ctx.font = "11px 'DejaVu Sans', sans-serif";
    ctx.textAlign = "left";
    series.forEach((s, i) => {
      const y = m.top + 14 + 14 * i;
      ctx.fillStyle = s.colour;
      ctx.fillRect(m.left + 8, y - 8, 14, 3);
      ctx.fillStyle = "#222";
      ctx.fillText(s.label, m.left + 26, y - 3);
    });
  }
}

function extent(values) {
  return [Math.min(...values), Math.max(...values)];
}

// About five round numbers from a to b.
function ticks(a, b) {
  const raw = (b - a) / 5;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + step * 1e-9; t += step) out.push(t);
  return out;
}

function label(t) {
  return Number(t.toPrecision(6)).toString();
}

// --- the heatmap ----------------------------------------------------------------------------

function heatmapChoices(runs) {
  const select = $("heat-run");
  const measured = runs.filter((r) => r.measured.length > 0);
  $("heat").hidden = measured.length === 0;
  const names = measured.map((r) => r.name);
  const before = [...select.options].map((o) => o.value);
  if (names.join("\n") !== before.join("\n")) {
    const chosen = select.value;
    select.replaceChildren(...names.map((n) => new Option(n, n)));
    if (names.includes(chosen)) select.value = chosen;
  }
}

// The selected run's units: one row per unit, one column per measurement; dead units red.
function drawHeatmap() {
  const canvas = $("heatmap");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, W, H);
  canvas.dataset.cells = 0;
  if (!current) return;
  const run = current.runs.find((r) => r.name === $("heat-run").value);
  if (!run || !run.measured.length) return;
  const steps = run.measured;
  const layers = steps[0].layers;
  const left = 70, right = 10, gap = 14;
  const rows = layers.reduce((n, l) => n + l.units, 0);
  const unitHeight = (H - gap * (layers.length + 1)) / rows;
  const cellWidth = (W - left - right) / steps.length;
  let y = gap;
  let cells = 0;
  ctx.font = "11px 'DejaVu Sans', sans-serif";
  layers.forEach((layer, l) => {
    const height = layer.units * unitHeight;
    ctx.fillStyle = "#222";
    ctx.textAlign = "right";
    ctx.fillText(`${layer.layer} (${layer.units})`, left - 6, y + height / 2 + 4);
    ctx.fillStyle = "#dddddd";
    ctx.fillRect(left, y, W - left - right, height);
    ctx.fillStyle = COLOURS[3];
    steps.forEach((s, i) => {
      for (const unit of s.layers[l].dead_units) {
        ctx.fillRect(left + i * cellWidth, y + unit * unitHeight, Math.ceil(cellWidth), Math.max(1, unitHeight));
        cells += 1;
      }
    });
    y += height + gap;
  });
  ctx.fillStyle = "#444";
  ctx.textAlign = "left";
  ctx.fillText(`step ${steps[0].step}`, left, H - 2);
  ctx.textAlign = "right";
  ctx.fillText(`step ${steps[steps.length - 1].step} (dead units in red)`, W - right, H - 2);
  canvas.dataset.cells = cells;
}

// --- the final table ------------------------------------------------------------------------

function table(t) {
  const head = $("table").tHead, body = $("table").tBodies[0];
  const row = (cells, tag) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const cell = document.createElement(tag);
      cell.textContent = c;
      tr.append(cell);
    }
    return tr;
  };
  head.replaceChildren(row(t.columns, "th"));
  body.replaceChildren(...t.rows.map((r) => row(r, "td")));
}

// --- start ----------------------------------------------------------------------------------

$("kind").addEventListener("change", showKind);
$("stress").addEventListener("change", showKind);
$("start").addEventListener("submit", start);
$("heat-run").addEventListener("change", drawHeatmap);
showKind();
refreshJobs();
refreshFolders();
setInterval(refreshJobs, 1000);
setInterval(refreshFolders, 2000);
const opened = new URLSearchParams(location.search).get("folder");
if (opened) select(opened);
