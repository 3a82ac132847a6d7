// The explorer: activations with their parameters, drawn with their derivatives as the
// parameters move. The numbers come from the server (`/api/values`, leaky's own kernels, as
// `leaky eval --format json` gives them); the page only draws them.
"use strict";

const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const SVG_NS = "http://www.w3.org/2000/svg";
const state = { catalogue: new Map(), chosen: [], values: [], pending: null, drawnAt: 0 };
const $ = (id) => document.getElementById(id);

// --- specs ---------------------------------------------------------------------------------

/// `leaky_relu:alpha=0.2`: an activation's spec from its kind and parameter values.
function specOf(item) {
  const info = state.catalogue.get(item.name);
  if (info.params.length === 0) return item.name;
  const parts = info.params.map((p) => {
    const v = item.params[p.name];
    return `${p.name}=${p.choices.length ? p.choices[v] : v}`;
  });
  return `${item.name}:${parts.join(",")}`;
}

/// An activation from a spec in a link: a name (leaky's or PyTorch's, any case), then values
/// by position or `key=value` (aliases too), as the command line reads them; `null` for a name
/// the catalogue does not hold.
function parseSpec(spec) {
  const [name, rest] = spec.split(/:(.*)/s);
  const wanted = name.trim().toLowerCase();
  const info = [...state.catalogue.values()].find(
    (k) => k.name === wanted || k.torch_name.toLowerCase() === wanted);
  if (!info) return null;
  const item = { name: info.name, params: {} };
  for (const p of info.params) item.params[p.name] = p.default;
  (rest || "").split(",").filter(Boolean).forEach((part, position) => {
    const [key, value] = part.includes("=") ? part.split("=") : [null, part];
    const p = key === null
      ? info.params[position]
      : info.params.find((q) => q.name === key.trim() || q.aliases.includes(key.trim()));
    if (!p) return;
    item.params[p.name] = p.choices.length
      ? Math.max(0, p.choices.indexOf(value.trim()))
      : Number(value);
  });
  return item;
}

function query() {
  const q = new URLSearchParams();
  for (const item of state.chosen) q.append("spec", specOf(item));
  q.set("from", $("from").value);
  q.set("to", $("to").value);
  q.set("points", $("points").value);
  return q;
}

// --- controls --------------------------------------------------------------------------------

/// A slider's range for a parameter: [-1, 1] around small defaults (LeakyReLU's α), else twice
/// the default either way. The number field beside it takes any value.
function sliderRange(p) {
  const d = Math.abs(p.default);
  return d <= 1 ? [-1, 1] : [-2 * d, 2 * d];
}

function renderControls() {
  const box = $("activations");
  box.replaceChildren();
  state.chosen.forEach((item, index) => {
    const info = state.catalogue.get(item.name);
    const card = document.createElement("div");
    card.className = "activation";
    card.style.borderLeftColor = COLOURS[index % COLOURS.length];
    const head = document.createElement("header");
    head.textContent = `${info.name} (${info.torch_name})`;
    const remove = document.createElement("button");
    remove.textContent = "×";
    remove.title = "remove";
    remove.disabled = state.chosen.length === 1;
    remove.onclick = () => { state.chosen.splice(index, 1); renderControls(); update(); };
    head.append(remove);
    card.append(head);
    for (const p of info.params) card.append(paramControl(item, p, index));
    box.append(card);
  });
  renderNotes();
}

function paramControl(item, p, index) {
  const row = document.createElement("label");
  row.className = "param";
  row.title = p.doc;
  const name = document.createElement("span");
  name.textContent = p.name;
  row.append(name);
  if (p.choices.length) {
    const select = document.createElement("select");
    p.choices.forEach((c, i) => select.append(new Option(c, i)));
    select.value = item.params[p.name];
    select.dataset.param = `${index}.${p.name}`;
    select.oninput = () => { item.params[p.name] = Number(select.value); update(); };
    row.append(select, document.createElement("span"));
    return row;
  }
  const [lo, hi] = sliderRange(p);
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = lo;
  slider.max = hi;
  slider.step = (hi - lo) / 400;
  slider.value = item.params[p.name];
  slider.dataset.param = `${index}.${p.name}`;
  const field = document.createElement("input");
  field.type = "number";
  field.step = "any";
  field.value = item.params[p.name];
  slider.oninput = () => { field.value = slider.value; item.params[p.name] = Number(slider.value); update(); };
  field.oninput = () => { slider.value = field.value; item.params[p.name] = Number(field.value); update(); };
  row.append(slider, field);
  return row;
}

function renderNotes() {
  const notes = $("notes");
  notes.replaceChildren();
  for (const item of state.chosen) {
    const info = state.catalogue.get(item.name);
    const block = document.createElement("p");
    const lines = [
      `${info.name} (PyTorch ${info.torch_name})`,
      `f(x) = ${info.formula}`,
      `f'(x) = ${info.derivative}`,
      ...info.params.map((p) => `${p.name}: ${p.doc}`),
    ];
    lines.forEach((line, i) => {
      if (i > 0) block.append(document.createElement("br"));
      const text = document.createElement(i === 0 ? "strong" : "span");
      text.textContent = line;
      block.append(text);
    });
    notes.append(block);
  }
}

// --- values and drawing ----------------------------------------------------------------------

/// Asks for the values of the current view and draws them; a newer request cancels an older
/// one, and a bad one shows the server's message and keeps the last picture.
async function update() {
  const q = query();
  const started = performance.now();
  history.replaceState(null, "", `?${q}`);
  updateLinks(q);
  if (state.pending) state.pending.abort();
  const pending = new AbortController();
  state.pending = pending;
  let response;
  try {
    response = await fetch(`/api/values?${q}`, { signal: pending.signal });
  } catch (err) {
    if (err.name !== "AbortError") showError(`the server did not answer: ${err.message}`);
    return;
  }
  const body = await response.text();
  if (pending.signal.aborted) return;
  if (!response.ok) { showError(body.trim()); return; }
  showError(null);
  state.values = JSON.parse(body);
  draw();
  state.drawnAt = performance.now() - started;
  document.body.dataset.drawn = String((Number(document.body.dataset.drawn) || 0) + 1);
  $("status").textContent = `drawn in ${state.drawnAt.toFixed(0)} ms`;
}

function showError(message) {
  $("error").hidden = message === null;
  $("error").textContent = message || "";
}

function updateLinks(q) {
  const figure = new URLSearchParams(q);
  figure.set("derivative", "1");
  $("png").href = `/plot.png?${figure}`;
  $("svg").href = `/plot.svg?${figure}`;
  $("link").href = `?${q}`;
  const csvs = $("csvs");
  csvs.replaceChildren();
  for (const item of state.chosen) {
    const one = new URLSearchParams(q);
    one.delete("spec");
    one.append("spec", specOf(item));
    const a = document.createElement("a");
    a.href = `/eval.csv?${one}`;
    a.download = `${item.name}.csv`;
    a.textContent = `${item.name} values (CSV)`;
    csvs.append(a);
  }
}

/// A number as JSON gives it, or the strings "NaN", "inf", "-inf".
const num = (v) => (typeof v === "number" ? v : v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN);

function ticks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  parent.append(node);
  return node;
}

/// Two panels, f and f', each with its own y range (the finite values, padded 5%).
function draw() {
  const svg = $("plot");
  svg.replaceChildren();
  const panels = [
    { title: "f(x)", key: "y", x0: 60 },
    { title: "f'(x)", key: "dy", x0: 540 },
  ];
  const width = 380, top = 30, height = 340;
  const xs = state.values[0].points.map((p) => num(p.x));
  const [xlo, xhi] = [xs[0], xs[xs.length - 1]];
  state.scales = [];
  for (const panel of panels) {
    const ys = state.values.flatMap((t) => t.points.map((p) => num(p[panel.key]))).filter(Number.isFinite);
    let [ylo, yhi] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [-1, 1];
    if (ylo === yhi) { ylo -= 1; yhi += 1; }
    const pad = (yhi - ylo) * 0.05;
    ylo -= pad; yhi += pad;
    const sx = (x) => panel.x0 + ((x - xlo) / (xhi - xlo)) * width;
    const sy = (y) => top + (1 - (y - ylo) / (yhi - ylo)) * height;
    state.scales.push({ sx, sy, panel });
    for (const t of ticks(xlo, xhi, 6)) {
      el("line", { class: "grid", x1: sx(t), x2: sx(t), y1: top, y2: top + height }, svg);
      el("text", { class: "tick", x: sx(t), y: top + height + 15, "text-anchor": "middle" }, svg).textContent = t;
    }
    for (const t of ticks(ylo, yhi, 6)) {
      el("line", { class: "grid", x1: panel.x0, x2: panel.x0 + width, y1: sy(t), y2: sy(t) }, svg);
      el("text", { class: "tick", x: panel.x0 - 6, y: sy(t) + 4, "text-anchor": "end" }, svg).textContent = t;
    }
    el("rect", { x: panel.x0, y: top, width, height, fill: "none", class: "axis" }, svg);
    el("text", { class: "title", x: panel.x0 + width / 2, y: top - 10, "text-anchor": "middle" }, svg).textContent = panel.title;
    state.values.forEach((table, i) => {
      let d = "";
      let pen = "M";
      for (const p of table.points) {
        const y = num(p[panel.key]);
        if (!Number.isFinite(y)) { pen = "M"; continue; }
        d += `${pen}${sx(num(p.x)).toFixed(2)},${sy(y).toFixed(2)}`;
        pen = "L";
      }
      el("path", { class: "curve", d, stroke: COLOURS[i % COLOURS.length], "data-spec": table.activation }, svg);
    });
  }
  state.cursor = el("g", {}, svg);
  showCursor(Math.floor(xs.length / 2));
}

/// The values at point `index` (the sample nearest the pointer), in the table under the figure.
function showCursor(index) {
  const rows = $("cursor").tBodies[0];
  rows.replaceChildren();
  state.values.forEach((table) => {
    const p = table.points[index];
    const row = rows.insertRow();
    for (const v of [table.activation, p.x, p.y, p.dy]) row.insertCell().textContent = String(v);
  });
  state.cursor.replaceChildren();
  for (const { sx } of state.scales) {
    const x = sx(num(state.values[0].points[index].x));
    el("line", { class: "cursor-line", x1: x, x2: x, y1: 30, y2: 370 }, state.cursor);
  }
}

$("plot").addEventListener("mousemove", (event) => {
  if (!state.values.length) return;
  const svg = $("plot");
  const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
  const { panel } = state.scales.find((s) => point.x < s.panel.x0 + 400) || state.scales[1];
  const n = state.values[0].points.length;
  const fraction = Math.min(1, Math.max(0, (point.x - panel.x0) / 380));
  showCursor(Math.round(fraction * (n - 1)));
});

// --- start -----------------------------------------------------------------------------------

async function start() {
  const catalogue = await (await fetch("/api/catalogue")).json();
  for (const kind of catalogue) {
    state.catalogue.set(kind.name, kind);
    $("add").append(new Option(`${kind.name} (${kind.torch_name})`, kind.name));
  }
  const params = new URLSearchParams(location.search);
  for (const key of ["from", "to", "points"]) if (params.has(key)) $(key).value = params.get(key);
  state.chosen = params.getAll("spec").map(parseSpec).filter(Boolean);
  // The opening state is the article's figure: LeakyReLU with α = 0.01 on [-2, 2].
  if (state.chosen.length === 0) state.chosen = [parseSpec("leaky_relu")];
  $("add").oninput = () => {
    if (!$("add").value) return;
    state.chosen.push(parseSpec($("add").value));
    $("add").value = "";
    renderControls();
    update();
  };
  for (const key of ["from", "to", "points"]) $(key).oninput = update;
  renderControls();
  update();
}

start();
