// lenet explore, the lab: write a network, train it live, compare, open it.
// Uses app.js's helpers ($, paint, maxAbs, escapeHtml, status, toggleRun).
"use strict";

const lab = {
  runs: [],            // GET /api/runs
  streams: {},         // id → EventSource
  curves: {},          // id → {epochs: [{epoch, test_accuracy, train_loss}], steps: [{x, loss}], probe}
  selected: new Set(), // runs ticked for comparison
  watched: null,       // the run whose probe is shown
};

const PRESETS = [
  ["lenet5", "LeNet5 (the tutorial's)"],
  ["extra-conv", "LeNet5 + a conv layer (the tutorial's question)"],
  ["one-conv", "LeNet5 − a conv layer"],
  ["conv6k5p2-relu-pool-conv16k5-relu-pool-fc10", "LeNet5 without its hidden fc layers"],
  ["conv8k3p1-relu-pool-conv16k3-relu-pool-fc10", "two 3×3 stages"],
  ["conv16k5p2-relu-pool-conv32k5-relu-pool-fc120-relu-fc84-relu-fc10", "LeNet5, twice as wide"],
  ["fc10", "no convolution: logistic regression"],
];

// ---- the spec box --------------------------------------------------------
let specTimer = null;
function setupSpec() {
  const presets = $("presets");
  for (const [spec, title] of PRESETS) presets.insertAdjacentHTML("beforeend", `<option value="${spec}">${escapeHtml(title)}</option>`);
  presets.addEventListener("change", () => { if (presets.value) { $("spec").value = presets.value; checkSpec(); } });
  $("spec").addEventListener("input", () => { clearTimeout(specTimer); specTimer = setTimeout(checkSpec, 200); });
  $("train").addEventListener("click", startRuns);
  $("compare").addEventListener("click", compareSelected);
  checkSpec();
}

// Checks the spec as it is typed: its layers, or the token that is wrong.
async function checkSpec() {
  const spec = $("spec").value.trim();
  const out = $("spec-summary");
  if (!spec) { out.textContent = ""; return false; }
  const response = await fetch(`/api/spec?spec=${encodeURIComponent(spec)}`);
  const answer = await response.json();
  if (spec !== $("spec").value.trim()) return false; // typed on meanwhile
  if (!response.ok) {
    const tokens = spec.split("-");
    const marked = tokens.map((t, i) => i + 1 === answer.position ? `<mark class="bad-token">${escapeHtml(t || "∅")}</mark>` : escapeHtml(t)).join("-");
    out.innerHTML = `<div class="spec-error">${marked}<br>${escapeHtml(answer.error)}</div>`;
    $("spec").classList.add("invalid");
    return false;
  }
  $("spec").classList.remove("invalid");
  const rows = answer.layers.map((l) => `<tr><td>${l.name}</td><td>${l.kind}</td><td>${l.output_shape.join("×")}</td>
    <td>${l.params.toLocaleString()}</td><td>${l.receptive_field ? l.receptive_field.size + "×" + l.receptive_field.size : ""}</td></tr>`).join("");
  out.innerHTML = `<div class="spec-ok"><b>${answer.params.toLocaleString()}</b> parameters,
    <b>${answer.mult_adds.toLocaleString()}</b> mult-adds per image</div>
    <table class="spec-table"><tr><th>layer</th><th>kind</th><th>output</th><th>params</th><th>sees</th></tr>${rows}</table>`;
  return true;
}

// ---- starting runs -------------------------------------------------------
function seedsOf(text) {
  const t = text.trim();
  if (/^\d+$/.test(t) && !t.includes(",")) return [...Array(Math.max(1, Math.min(10, +t))).keys()];
  return t.split(",").map((s) => +s.trim()).filter((n) => Number.isInteger(n) && n >= 0);
}
async function startRuns() {
  if (!(await checkSpec())) return labStatus("Fix the spec first.", true);
  const body = {
    spec: $("spec").value.trim(),
    recipe: $("recipe").value,
    epochs: +$("epochs").value,
    seeds: seedsOf($("seeds").value),
  };
  if ($("limit").value) body.limit = +$("limit").value;
  const response = await fetch("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) return labStatus(answer.error, true);
  labStatus(`Queued ${answer.runs.map((r) => r.id).join(", ")}.`);
  await loadRuns();
}
function labStatus(text, error = false) {
  $("lab-status").textContent = text;
  $("lab-status").className = error ? "error" : "";
}

// ---- the runs ------------------------------------------------------------
async function loadRuns() {
  const response = await fetch("/api/runs");
  const answer = await response.json();
  if (!response.ok) { labStatus(answer.error, true); return; }
  lab.runs = answer.runs;
  // A run's events once it has some: a queued run's stream would hold one of
  // the browser's few connections to the server while it waits.
  for (const run of lab.runs) if (!lab.curves[run.id] && run.state !== "queued") follow(run.id);
  drawRuns();
  drawCurves();
}
function drawRuns() {
  const rows = lab.runs.map((r) => {
    const acc = r.test_accuracy == null ? "" : (100 * r.test_accuracy).toFixed(2) + "%";
    const act = [];
    if (r.state === "queued" || r.state === "running") act.push(`<button data-act="stop">stop</button>`);
    if (["stopped", "interrupted", "failed"].includes(r.state)) act.push(`<button data-act="resume">resume</button>`);
    if (r.state === "done" || r.state === "stopped" || r.epochs_done > 0) act.push(`<button data-act="open">${openRuns.includes(r.id) ? "close" : "open"}</button>`);
    if (r.state === "done") act.push(`<a href="/api/runs/${r.id}/model.safetensors">weights</a> <a href="/api/runs/${r.id}/pytorch.py">pytorch.py</a>`);
    if (r.state !== "queued" && r.state !== "running") act.push(`<button data-act="delete">delete</button>`);
    return `<tr data-id="${r.id}" class="${lab.watched === r.id ? "watched" : ""}">
      <td><input type="checkbox" ${lab.selected.has(r.id) ? "checked" : ""} ${r.state === "done" ? "" : "disabled"}></td>
      <td class="run-id">${escapeHtml(r.id)}</td><td class="arch">${escapeHtml(r.spec)}</td><td>${r.recipe}</td><td>${r.seed}</td>
      <td class="state ${r.state}">${r.state}${r.error ? ": " + escapeHtml(r.error) : ""}</td>
      <td>${r.epochs_done}/${r.epochs}</td><td>${acc}</td><td>${act.join(" ")}</td></tr>`;
  }).join("");
  $("runs").innerHTML = `<tr><th></th><th>run</th><th>spec</th><th>recipe</th><th>seed</th><th>state</th><th>epochs</th><th>test accuracy</th><th></th></tr>${rows}`;
  for (const tr of $("runs").querySelectorAll("tr[data-id]")) {
    const id = tr.dataset.id;
    tr.querySelector("input").addEventListener("change", (e) => { e.target.checked ? lab.selected.add(id) : lab.selected.delete(id); });
    tr.querySelector(".run-id").addEventListener("click", () => { lab.watched = id; drawRuns(); drawProbe(); });
    for (const button of tr.querySelectorAll("button")) button.addEventListener("click", () => act(id, button.dataset.act));
  }
}
async function act(id, what) {
  if (what === "open") { await toggleRun(id); drawRuns(); return; }
  const method = what === "delete" ? "DELETE" : "POST";
  const path = what === "delete" ? `/api/runs/${id}` : `/api/runs/${id}/${what}`;
  const response = await fetch(path, { method });
  const answer = await response.json();
  if (!response.ok) labStatus(answer.error, true);
  if (what === "resume") { if (lab.streams[id]) lab.streams[id].close(); delete lab.streams[id]; delete lab.curves[id]; }
  if (what === "delete") { delete lab.curves[id]; lab.selected.delete(id); if (openRuns.includes(id)) await toggleRun(id); }
  await loadRuns();
}

// Follows a run's events: its curves, its probes, its end.
function follow(id) {
  if (lab.streams[id]) lab.streams[id].close();
  const curve = lab.curves[id] = { epochs: [], steps: [], probe: null, stepsPerEpoch: null };
  const events = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
  lab.streams[id] = events;
  events.addEventListener("step", (e) => {
    const s = JSON.parse(e.data);
    const run = lab.runs.find((r) => r.id === id);
    const epochs = run ? run.epochs : 1;
    curve.stepsPerEpoch = s.total_steps / epochs;
    curve.steps.push({ x: s.global_step / curve.stepsPerEpoch, loss: s.loss });
    curve.speed = s.images_per_sec;
    scheduleDraw();
  });
  events.addEventListener("epoch", (e) => { curve.epochs.push(JSON.parse(e.data)); scheduleDraw(); loadRunsSoon(); });
  events.addEventListener("probe", (e) => { curve.probe = JSON.parse(e.data); if (!lab.watched) lab.watched = id; if (lab.watched === id) drawProbe(); });
  for (const end of ["done", "stopped", "failed"]) {
    events.addEventListener(end, () => { events.close(); delete lab.streams[id]; curve.ended = end; loadRunsSoon(); scheduleDraw(); });
  }
  events.onerror = () => { if (events.readyState === EventSource.CLOSED) delete lab.streams[id]; };
}
let drawPending = false, runsTimer = null;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawCurves(); });
}
function loadRunsSoon() { clearTimeout(runsTimer); runsTimer = setTimeout(loadRuns, 150); }

// ---- curves: every experiment's seeds as a mean with the range shaded ------
const PALETTE = ["#36c", "#c60", "#393", "#c33", "#739", "#0aa", "#a50", "#666"];
// Runs trained alike but for their seed are one experiment (the server's
// `experiment`), its seeds the repeats, named as the server names it.
function drawCurves() {
  const byExperiment = new Map();
  for (const run of lab.runs) {
    const curve = lab.curves[run.id];
    if (!curve) continue;
    if (!byExperiment.has(run.experiment)) byExperiment.set(run.experiment, { name: run.experiment_name, curves: [] });
    byExperiment.get(run.experiment).curves.push(curve);
  }
  const accuracy = [], loss = [];
  let i = 0;
  for (const { name: spec, curves } of byExperiment.values()) {
    const colour = PALETTE[i++ % PALETTE.length];
    const longest = Math.max(0, ...curves.map((c) => c.epochs.length));
    const points = [];
    for (let e = 0; e < longest; e++) {
      const values = curves.filter((c) => c.epochs.length > e).map((c) => c.epochs[e].test_accuracy);
      points.push({ x: e + 1, mean: values.reduce((a, b) => a + b, 0) / values.length, lo: Math.min(...values), hi: Math.max(...values), n: values.length });
    }
    accuracy.push({ spec, colour, points, seeds: curves.length });
    // Loss: each run's steps, thinned to at most 300 points.
    loss.push({ spec, colour, lines: curves.map((c) => c.steps.filter((_, k) => k % Math.ceil(c.steps.length / 300 || 1) === 0)) });
  }
  $("accuracy-chart").innerHTML = chart(accuracy.map((a) => ({ colour: a.colour, band: a.points, line: a.points.map((p) => [p.x, p.mean]) })), "epoch", "test accuracy", true);
  $("loss-chart").innerHTML = chart(loss.flatMap((l) => l.lines.map((steps) => ({ colour: l.colour, line: steps.map((s) => [s.x, s.loss]) }))), "epoch", "training loss", false);
  $("legend").innerHTML = accuracy.map((a) => {
    const last = a.points[a.points.length - 1];
    const figure = last ? ` — ${(100 * last.mean).toFixed(2)}%${a.seeds > 1 ? ` (${(100 * last.lo).toFixed(2)}–${(100 * last.hi).toFixed(2)}, ${a.seeds} seeds)` : ""}` : "";
    return `<span><i style="background:${a.colour}"></i>${escapeHtml(a.spec)}${figure}</span>`;
  }).join("");
  const running = lab.runs.find((r) => r.state === "running");
  const curve = running && lab.curves[running.id];
  $("speed").textContent = curve && curve.speed ? `${running.id}: ${Math.round(curve.speed).toLocaleString()} images/s` : "";
}

// An SVG chart of `series` ({colour, line: [[x, y]], band?: [{x, lo, hi}]}).
function chart(series, xLabel, yLabel, percent) {
  const W = 420, H = 220, L = 46, B = 28, T = 8, R = 8;
  const xs = series.flatMap((s) => s.line.map((p) => p[0]));
  const ys = series.flatMap((s) => [...s.line.map((p) => p[1]), ...(s.band || []).flatMap((b) => [b.lo, b.hi])]).filter(Number.isFinite);
  if (!xs.length || !ys.length) return `<svg viewBox="0 0 ${W} ${H}" class="chart"><text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no ${yLabel} yet</text></svg>`;
  const x0 = 0, x1 = Math.max(1, ...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-6) { y0 -= 0.01; y1 += 0.01; }
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const fmt = (y) => percent ? (100 * y).toFixed(1) + "%" : y.toFixed(2);
  let svg = `<svg viewBox="0 0 ${W} ${H}" class="chart"><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`;
  for (let k = 0; k <= 4; k++) {
    const y = y0 + (y1 - y0) * k / 4;
    svg += `<text x="${L - 4}" y="${py(y) + 4}" text-anchor="end" font-size="10">${fmt(y)}</text><line x1="${L}" x2="${W - R}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`;
  }
  for (let e = 0; e <= x1; e += Math.max(1, Math.ceil(x1 / 10))) svg += `<text x="${px(e)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${e}</text>`;
  svg += `<text x="${(L + W) / 2}" y="${H - 2}" text-anchor="middle" font-size="11">${xLabel}</text>`;
  for (const s of series) {
    if (s.band && s.band.some((b) => b.n > 1)) {
      const upper = s.band.map((b) => `${px(b.x)},${py(b.hi)}`), lower = s.band.slice().reverse().map((b) => `${px(b.x)},${py(b.lo)}`);
      svg += `<polygon points="${[...upper, ...lower].join(" ")}" fill="${s.colour}" opacity="0.18"/>`;
    }
    if (s.line.length) svg += `<polyline points="${s.line.map(([x, y]) => `${px(x)},${py(y)}`).join(" ")}" fill="none" stroke="${s.colour}" stroke-width="1.6"/>`;
    if (s.band) for (const [x, y] of s.line) svg += `<circle cx="${px(x)}" cy="${py(y)}" r="2.5" fill="${s.colour}"/>`;
  }
  return svg + `<text x="${L + 4}" y="${T + 10}" font-size="11" fill="#555">${yLabel}</text></svg>`;
}

// ---- a probe: the first layers' maps and kernels of one test digit --------
function drawProbe() {
  const box = $("probe");
  const curve = lab.watched && lab.curves[lab.watched];
  if (!curve || !curve.probe) { box.innerHTML = lab.watched ? `<i>${escapeHtml(lab.watched)}: no probe yet (every 200 steps while it trains)</i>` : ""; return; }
  const p = curve.probe;
  box.innerHTML = `<div><b>${escapeHtml(lab.watched)}</b> after step ${p.global_step}: what its layers make of test image 0, and its first kernels</div>`;
  const kernels = p.kernels[0];
  if (kernels) {
    const [out, cin, k] = kernels.shape;
    const row = document.createElement("div"); row.className = "channels";
    row.insertAdjacentHTML("beforeend", `<span class="probe-label">conv1 kernels</span>`);
    for (let o = 0; o < Math.min(out, 32); o++) {
      const canvas = document.createElement("canvas");
      canvas.style.width = canvas.style.height = k * 6 + "px";
      const from = o * cin * k * k;
      paint(canvas, kernels.weights, from, k, k, maxAbs(kernels.weights, from, from + k * k));
      row.appendChild(canvas);
    }
    box.appendChild(row);
  }
  for (const layer of p.layers.slice(0, 3)) {
    const [c, h, w] = layer.shape;
    const row = document.createElement("div"); row.className = "channels";
    row.insertAdjacentHTML("beforeend", `<span class="probe-label">${layer.name}</span>`);
    for (let k = 0; k < Math.min(c, 32); k++) {
      const canvas = document.createElement("canvas");
      canvas.style.width = w * 2 + "px"; canvas.style.height = h * 2 + "px";
      paint(canvas, layer.values, k * h * w, h, w, maxAbs(layer.values, k * h * w, (k + 1) * h * w));
      row.appendChild(canvas);
    }
    box.appendChild(row);
  }
}

// ---- comparing runs -------------------------------------------------------
async function compareSelected() {
  const ids = [...lab.selected];
  if (ids.length < 2) return labStatus("Tick two or more finished runs (of two or more specs, or of one spec trained two ways) to compare.", true);
  const response = await fetch(`/api/compare?runs=${encodeURIComponent(ids.join(","))}`);
  const answer = await response.json();
  if (!response.ok) return labStatus(answer.error, true);
  const models = answer.models.map((m, i) => `<tr><td>${i + 1}</td><td class="arch">${escapeHtml(m.name)}</td><td>${m.seeds.join(", ")}</td>
    <td>${(100 * m.mean).toFixed(2)} ± ${(100 * m.sd).toFixed(2)}%</td><td>${m.params.toLocaleString()}</td>
    <td>${m.mult_adds.toLocaleString()}</td><td>${m.pareto ? "yes" : ""}</td></tr>`).join("");
  const pairs = answer.pairs.map((p) => `<tr><td class="arch">${escapeHtml(p.a)}</td><td class="arch">${escapeHtml(p.b)}</td>
    <td>${(100 * p.difference).toFixed(2)}</td><td>[${(100 * p.ci95[0]).toFixed(2)}, ${(100 * p.ci95[1]).toFixed(2)}]</td>
    <td>${p.p_value.toFixed(3)}</td><td>${p.test}</td><td class="verdict">${escapeHtml(p.verdict)}</td></tr>`).join("");
  $("comparison").innerHTML = `<table class="compare-table"><tr><th>#</th><th>experiment</th><th>seeds</th><th>test accuracy</th><th>params</th><th>mult-adds</th><th>Pareto front</th></tr>${models}</table>
    <table class="compare-table"><tr><th>a</th><th>b</th><th>a − b (points)</th><th>95% CI</th><th>p</th><th>test</th><th>at 5%</th></tr>${pairs}</table>
    ${paretoChart(answer.models)}`;
}
// Accuracy against parameters (log scale), the Pareto front joined; each point
// numbered as its row of the table.
function paretoChart(models) {
  const W = 420, H = 220, L = 46, B = 28, T = 8, R = 90;
  const xs = models.map((m) => Math.log10(m.params)), ys = models.flatMap((m) => [m.mean - m.sd, m.mean + m.sd]);
  let x0 = Math.min(...xs) - 0.2, x1 = Math.max(...xs) + 0.2, y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-4) { y0 -= 0.005; y1 += 0.005; }
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R), py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  let svg = `<svg viewBox="0 0 ${W} ${H}" class="chart"><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`;
  svg += `<text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle" font-size="11">parameters (log)</text>`;
  for (let k = 0; k <= 3; k++) { const y = y0 + (y1 - y0) * k / 3; svg += `<text x="${L - 4}" y="${py(y) + 4}" text-anchor="end" font-size="10">${(100 * y).toFixed(2)}%</text>`; }
  const front = models.filter((m) => m.pareto).sort((a, b) => a.params - b.params);
  if (front.length > 1) svg += `<polyline points="${front.map((m) => `${px(Math.log10(m.params))},${py(m.mean)}`).join(" ")}" fill="none" stroke="#c60" stroke-dasharray="4 3"/>`;
  models.forEach((m, i) => {
    const x = px(Math.log10(m.params));
    svg += `<line x1="${x}" x2="${x}" y1="${py(m.mean - m.sd)}" y2="${py(m.mean + m.sd)}" stroke="#888"/><circle cx="${x}" cy="${py(m.mean)}" r="4" fill="${m.pareto ? "#c60" : "#36c"}"/>`;
    // Numbered as the table's rows: experiments of one spec share an x.
    svg += `<text x="${x + 6 + 12 * models.slice(0, i).filter((o) => o.params === m.params).length}" y="${py(m.mean) + 4}" font-size="10">${i + 1}</text>`;
  });
  return svg + `</svg>`;
}

// ---- start: only where the server has a lab --------------------------------
(async () => {
  const info = await (await fetch("/api/models")).json();
  if (!info.lab) return;
  $("lab").hidden = false;
  const response = await fetch("/api/runs");
  if (!response.ok) { labStatus((await response.json()).error + " (open the address the server printed, with its token)", true); return; }
  setupSpec();
  await loadRuns();
  setInterval(() => { if (lab.runs.some((r) => r.state === "queued" || r.state === "running")) loadRuns(); }, 1500);
})();
