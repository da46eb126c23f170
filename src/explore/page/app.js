// lenet explore: draw → POST /api/explain → draw every layer of every model.
// Plain JavaScript, no libraries. The API is described in docs/EXPLORE.md.
"use strict";

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ink = pad.getContext("2d");
let models = [];          // from /api/models
let last = null;          // the last explanation shown
let camLayers = [];       // Grad-CAM layer per model
let inFlight = false, pending = null;
// Drawings being encoded as PNG (`toBlob` is asynchronous): asked about, not yet sent.
let encoding = 0;
// What the shown answer is about, to ask again when a setting changes:
// {kind: "pad"} | {kind: "file", file} | {kind: "mnist", index}.
let source = null;
// Runs of the lab shown as columns after the app's models (lab.js opens them).
let openRuns = [];

// ---- colours -------------------------------------------------------------
// Signed values: blue below zero, black at zero, orange to yellow above.
function colour(v) {
  const t = Math.max(-1, Math.min(1, v));
  if (t >= 0) return [255 * Math.min(1, 2 * t), 255 * Math.max(0, 2 * t - 1) * 0.9 + 40 * t, 30 * t];
  return [20 * -t, 90 * -t, 255 * -t];
}
function maxAbs(values, from = 0, to = values.length) {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(values[i]));
  return m || 1;
}
// Paints `h`×`w` values (from `offset`) on a canvas, `scale` = the value shown brightest.
function paint(canvas, values, offset, h, w, scale) {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = colour(values[offset + i] / scale);
    img.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// ---- the drawing pad -----------------------------------------------------
function clearPad() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
let drawing = false, previous = null;
// Ink drawn since the last clear, in pad pixels: a lone dot is no digit yet
// (the server would answer 422, "no ink"), so nothing is sent before a stroke.
let inked = 0;
const ENOUGH_INK = 40;
function point(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}
pad.addEventListener("pointerdown", (e) => {
  $("start-note").hidden = true;
  drawing = true; previous = point(e);
  pad.setPointerCapture(e.pointerId);
  stroke(e);
});
pad.addEventListener("pointermove", (e) => { if (drawing) stroke(e); });
for (const end of ["pointerup", "pointercancel"]) {
  pad.addEventListener(end, () => { if (drawing) { drawing = false; if (inked >= ENOUGH_INK) sendPad(); } });
}
function stroke(e) {
  const p = point(e);
  const pressure = e.pointerType === "pen" && e.pressure > 0 ? 0.5 + e.pressure : 1;
  ink.strokeStyle = "#000"; ink.lineCap = "round"; ink.lineJoin = "round";
  ink.lineWidth = $("brush").value * pressure;
  ink.beginPath(); ink.moveTo(...previous); ink.lineTo(...p); ink.stroke();
  inked += Math.hypot(p[0] - previous[0], p[1] - previous[1]);
  previous = p;
  if (inked >= ENOUGH_INK) sendPad();
}
// Each clear starts a new drawing: answers about an earlier one are dropped.
let drawingNumber = 0;
$("clear").addEventListener("click", () => {
  $("start-note").hidden = true;
  clearPad(); inked = 0; drawingNumber++;
  if (pending && pending[2].kind === "pad") pending = null;
  if (source && source.kind === "pad") source = null; // a blank pad: nothing to ask again
  status("Cleared: draw a digit.");
});
// Encodings of the pad can finish out of order (a busy machine): a picture
// older than one already sent is dropped, or a half-drawn digit's answer
// would be the last shown.
let padTaken = 0, padSent = 0;
function sendPad() {
  const about = { kind: "pad", drawing: drawingNumber };
  const taken = ++padTaken;
  encoding++;
  pad.toBlob((blob) => {
    encoding--;
    if (taken < padSent) return;
    padSent = taken;
    request("/api/explain", { method: "POST", body: blob, headers: { "Content-Type": "image/png" } }, about);
  });
}

// ---- photos --------------------------------------------------------------
// Emptied once read, so that picking the same file again sends it again.
$("file").addEventListener("change", (e) => { if (e.target.files[0]) sendFile(e.target.files[0]); e.target.value = ""; });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault(); drop.classList.remove("over");
  if (e.dataTransfer.files[0]) sendFile(e.dataTransfer.files[0]);
});
// The server takes a body only as a picture: a file the browser cannot type
// (no known extension) goes as raw bytes, and the server tells its format.
function sendFile(file) {
  const type = file.type.startsWith("image/") ? file.type : "application/octet-stream";
  request("/api/explain", { method: "POST", body: file, headers: { "Content-Type": type } }, { kind: "file", file });
}

// ---- talking to the server -----------------------------------------------
function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}
// The settings the server explains with: each model's Grad-CAM layer, the
// class the explanations are of (empty: each model's own prediction) and, for
// a photo, how it is prepared (a drawing is dark ink on the pad's white,
// a test image is read as MNIST holds it).
function query(about) {
  const params = new URLSearchParams();
  const layers = camLayers.join(",");
  if (layers) params.set("layer", layers);
  if ($("class").value !== "") params.set("class", $("class").value);
  if (openRuns.length) params.set("runs", openRuns.join(","));
  if (about.kind === "file") {
    if ($("ink").value !== "auto") params.set("ink", $("ink").value);
    if ($("keep-surroundings").checked) params.set("keep_surroundings", "true");
  }
  const text = params.toString();
  return text ? "?" + text : "";
}
// One request at a time; while one runs, only the newest next one is kept.
// `about` says what is asked about; the answer shown remembers it.
async function request(path, init, about) {
  if (inFlight) { pending = [path, init, about]; return; }
  inFlight = true;
  try {
    const response = await fetch(path + query(about), init);
    const body = await response.json();
    // A photo refused (its ink asked the wrong way round) is still the one a
    // changed setting asks about again.
    if (!response.ok) { status(body.error || response.statusText, true); if (about.kind === "file") source = about; }
    else if (about.kind !== "pad" || about.drawing === drawingNumber) { last = body; source = about; show(body); }
  } catch (e) {
    status("The server did not answer: " + e, true);
  } finally {
    inFlight = false;
    if (pending) { const [p, i, a] = pending; pending = null; request(p, i, a); }
  }
}

// ---- drawing the answer --------------------------------------------------
function show(answer) {
  const classes = answer.models.map((m) => m.class).join(" / ");
  const e = answer.ensemble;
  const together = e && e.valid
    ? `; the ${e.members} together (probabilities averaged) ${e.class}, ${(100 * Math.max(...e.probabilities)).toFixed(1)}%`
    : "";
  status(`Predicted ${classes} in ${answer.elapsed_ms.toFixed(1)} ms${answer.inverted ? " (dark ink: inverted)" : ""}${together}.`);
  answer.models.forEach((m, i) => showModel(i, m, answer.input));
}

function showModel(i, m, input) {
  const column = $("model-" + i);
  const top = m.probabilities.indexOf(Math.max(...m.probabilities));
  const answerLine = column.querySelector(".answer");
  answerLine.innerHTML = m.valid
    ? `predicts <b class="predicted" data-class="${m.class}">${m.class}</b> (${(100 * m.probabilities[top]).toFixed(1)}%)`
    : `<b class="predicted" data-class="invalid">invalid</b> (the outputs are not numbers)`;
  const bars = column.querySelector(".bars");
  bars.innerHTML = "";
  m.probabilities.forEach((p, c) => {
    bars.insertAdjacentHTML("beforeend",
      `<span>${c}</span><div class="bar${c === top ? " top" : ""}"><div style="width:${(100 * p).toFixed(1)}%"></div></div><span>${(100 * p).toFixed(1)}%</span>`);
  });
  drawSeen(i, m, input);
  const byScale = $("scale").value;
  column.querySelector(".scale-note").textContent =
    byScale === "channel" ? "colour scale: each channel its own (brightest = its largest |value|; 1×1 maps share their layer's)"
                          : "colour scale: shared by every channel of a layer";
  m.layers.forEach((layer, l) => {
    const canvases = column.querySelectorAll(`.layer[data-index="${l}"] canvas`);
    const [c, h, w] = layer.shape.length === 3 ? layer.shape : [1, 1, layer.shape[0]];
    const shared = maxAbs(layer.values);
    canvases.forEach((canvas, k) => {
      const from = k * h * w;
      // A 1×1 map scaled by itself would always be fully bright: it shares its layer's scale.
      const own = byScale === "channel" && h * w > 1;
      const scale = own ? maxAbs(layer.values, from, from + h * w) : shared;
      paint(canvas, layer.values, from, h, w, scale);
    });
  });
}

// The 28×28 input, the chosen explanation over it, and a receptive field if hovered.
function drawSeen(i, m, input, field = null) {
  const canvas = $("seen-" + i);
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  const kind = $("overlay").value;
  const map = kind === "none" ? null : kind === "grad_cam" ? (m.grad_cam && m.grad_cam.on_input) : m[kind];
  const values = map ? (kind === "saliency" ? map.values.map(Math.abs) : map.values) : null;
  const scale = values ? maxAbs(values) : 1;
  for (let p = 0; p < 784; p++) {
    const grey = 255 * input[p];
    let rgb = [grey, grey, grey];
    if (values) {
      const [r, g, b] = colour(values[p] / scale);
      rgb = [0.45 * grey + r, 0.45 * grey + g, 0.45 * grey + b];
    }
    img.data.set([...rgb.map((v) => Math.min(255, v)), 255], 4 * p);
  }
  ctx.putImageData(img, 0, 0);
  if (field) {
    ctx.strokeStyle = "#0f0"; ctx.lineWidth = 0.6;
    ctx.strokeRect(field.left + 0.3, field.top + 0.3, field.size - 0.6, field.size - 0.6);
  }
  const note = canvas.parentElement.querySelector(".overlay-note");
  note.textContent = kind === "none" ? ""
    : kind === "grad_cam" ? (m.grad_cam ? `Grad-CAM on ${m.grad_cam.layer}, class ${m.explained_class}` : "no map layer: no Grad-CAM")
    : `${kind.replace("_", " ")}, class ${m.explained_class}`;
}

// ---- one column per model ------------------------------------------------
function buildColumns() {
  const root = $("models");
  root.innerHTML = "";
  models.forEach((model, i) => {
    const column = document.createElement("div");
    column.className = "model"; column.id = "model-" + i;
    const camOptions = model.layers.filter((l) => l.receptive_field)
      .map((l) => `<option${l.name === camLayers[i] ? " selected" : ""}>${l.name}</option>`).join("");
    column.innerHTML = `<h2>${escapeHtml(model.name)}</h2>
      <div class="arch">${escapeHtml(model.architecture)} · ${model.params.toLocaleString()} parameters</div>
      <div class="answer">draw a digit</div><div class="bars"></div>
      <div class="seen-box"><canvas class="seen" id="seen-${i}" width="28" height="28" style="width:168px;height:168px"></canvas>
      <div class="overlay-note"></div>
      ${camOptions ? `<label>Grad-CAM layer <select class="cam">${camOptions}</select></label>` : ""}</div>
      <div class="scale-note"></div>`;
    const cam = column.querySelector(".cam");
    if (cam) cam.addEventListener("change", () => { camLayers[i] = cam.value; resend(); });
    model.layers.forEach((layer, l) => {
      const section = document.createElement("div");
      section.className = "layer"; section.dataset.index = l;
      const shape = layer.shape.join("×");
      section.innerHTML = `<h3><b>${layer.name}</b> ${layer.kind} · ${shape}</h3><div class="channels"></div>`;
      const channels = section.querySelector(".channels");
      const maps = layer.shape.length === 3;
      const count = maps ? layer.shape[0] : 1;
      const zoom = maps ? Math.max(1, Math.min(14, Math.floor(56 / layer.shape[1]))) : 1;
      for (let k = 0; k < count; k++) {
        const canvas = document.createElement("canvas");
        canvas.title = maps ? `${layer.name} channel ${k}` : layer.name;
        if (maps) {
          canvas.style.width = layer.shape[2] * zoom + "px";
          canvas.style.height = layer.shape[1] * zoom + "px";
          canvas.addEventListener("mousemove", (e) => hover(i, layer, e));
          canvas.addEventListener("mouseleave", () => last && drawSeen(i, last.models[i], last.input));
          if (layer.kernels) { canvas.className = "conv"; canvas.addEventListener("click", () => showKernel(model, layer, k)); }
        } else {
          canvas.style.width = Math.min(300, layer.shape[0] * 4) + "px";
          canvas.style.height = "12px";
        }
        channels.appendChild(canvas);
      }
      column.appendChild(section);
    });
    root.appendChild(column);
  });
}
function escapeHtml(s) { return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

function hover(i, layer, e) {
  if (!last) return;
  const r = e.target.getBoundingClientRect();
  const y = Math.floor((e.clientY - r.top) / r.height * layer.shape[1]);
  const x = Math.floor((e.clientX - r.left) / r.width * layer.shape[2]);
  const f = layer.receptive_field;
  drawSeen(i, last.models[i], last.input, { top: f.top + y * f.jump, left: f.top + x * f.jump, size: f.size });
}

function showKernel(model, layer, k) {
  const { weight_shape: [, cin, kh, kw], weights, bias } = layer.kernels;
  const box = $("kernel");
  box.hidden = false;
  box.innerHTML = `<b>${escapeHtml(model.name)}</b> ${layer.name} channel ${k}: ${cin} × ${kh}×${kw} weights, bias ${bias[k].toFixed(4)}<br>`;
  const from = k * cin * kh * kw;
  const scale = maxAbs(weights, from, from + cin * kh * kw);
  for (let j = 0; j < cin; j++) {
    const canvas = document.createElement("canvas");
    canvas.style.width = kw * 8 + "px"; canvas.style.height = kh * 8 + "px";
    canvas.title = `input channel ${j}`;
    paint(canvas, weights, from + j * kh * kw, kh, kw, scale);
    box.appendChild(canvas);
  }
}

// Asks again about what is shown (the pad, the photo, the test image).
function resend() {
  if (!source) return;
  if (source.kind === "mnist") explainMnist(source.index);
  else if (source.kind === "file") sendFile(source.file);
  else sendPad();
}
$("overlay").addEventListener("change", () => last && last.models.forEach((m, i) => drawSeen(i, m, last.input)));
$("scale").addEventListener("change", () => last && show(last));
$("class").addEventListener("change", resend);
for (const id of ["ink", "keep-surroundings"]) {
  $(id).addEventListener("change", () => source && source.kind === "file" && resend());
}

// ---- the MNIST test images -----------------------------------------------
let mnistOffset = 0;
async function loadMnist() {
  const runs = openRuns.length ? `&runs=${encodeURIComponent(openRuns.join(","))}` : "";
  const response = await fetch(`/api/mnist?offset=${mnistOffset}&limit=60${runs}`);
  const page = await response.json();
  if (!response.ok) return status(page.error, true);
  $("mnist-summary").textContent =
    `— ${page.wrong} of ${page.total} read wrongly by at least one model come first (true label: predictions)`;
  for (const item of page.items) {
    const cell = document.createElement("div");
    const wrong = item.predictions.some((p) => p !== item.label);
    cell.className = "digit" + (wrong ? " wrong" : "");
    const canvas = document.createElement("canvas");
    canvas.style.width = canvas.style.height = "56px";
    const values = item.pixels.map((p) => p / 255);
    paint(canvas, values, 0, 28, 28, 1);
    cell.appendChild(canvas);
    cell.insertAdjacentText("beforeend", `${item.label}: ${item.predictions.join(",")}`);
    cell.title = `test image ${item.index}`;
    cell.addEventListener("click", () => explainMnist(item.index));
    $("mnist-grid").appendChild(cell);
  }
  mnistOffset += page.items.length;
  $("more").hidden = mnistOffset >= page.total;
}
$("more").addEventListener("click", loadMnist);
function explainMnist(index) { request(`/api/mnist/${index}`, {}, { kind: "mnist", index }); }

// ---- start ---------------------------------------------------------------
// The models (and the lab's open runs) as columns; each column's Grad-CAM layer
// is its last convolution's.
async function loadModels() {
  const runs = openRuns.length ? `?runs=${encodeURIComponent(openRuns.join(","))}` : "";
  const response = await fetch("/api/models" + runs);
  const info = await response.json();
  if (!response.ok) throw new Error(info.error);
  models = info.models;
  camLayers = models.map((m) => {
    const maps = m.layers.filter((l) => l.receptive_field);
    const convs = maps.filter((l) => l.kind === "Conv2d");
    return (convs.length ? convs[convs.length - 1] : maps[maps.length - 1] || { name: "" }).name;
  });
  buildColumns();
  return info;
}
// A run of the lab as a column of its own (or no longer), then the same input again.
async function toggleRun(id) {
  openRuns = openRuns.includes(id) ? openRuns.filter((r) => r !== id) : [...openRuns, id];
  try {
    await loadModels();
    resend();
    if (!$("mnist").hidden) { $("mnist-grid").innerHTML = ""; mnistOffset = 0; loadMnist(); }
  } catch (e) { status(String(e), true); openRuns = openRuns.filter((r) => r !== id); }
}
(async () => {
  try {
    const info = await loadModels();
    // Classes every model has (its last layer's width): the ones "of class" offers.
    const classes = models.length ? Math.min(...models.map((m) => m.layers[m.layers.length - 1].shape[0])) : 0;
    for (let c = 0; c < classes; c++) $("class").insertAdjacentHTML("beforeend", `<option>${c}</option>`);
    status(`${models.length} model${models.length > 1 ? "s" : ""} loaded: draw a digit.`);
    await startingDigit(info.mnist_test_images > 0);
    if (info.mnist_test_images > 0) { $("mnist").hidden = false; loadMnist(); }
  } catch (e) {
    status("Cannot load the models: " + e, true);
  }
})();

// A digit on the pad from the start, through every model, so the page shows
// what it does before anything is drawn: the first MNIST test image every model
// reads right, else a 7 drawn here. Drawing adds to it; "clear" starts afresh.
async function startingDigit(haveMnist) {
  let label = null;
  if (haveMnist) {
    const first = await (await fetch("/api/mnist?offset=0&limit=1")).json();
    const page = await (await fetch(`/api/mnist?offset=${first.wrong}&limit=1`)).json();
    const item = page.items && page.items[0];
    if (item) {
      // MNIST is light ink on black; the pad is dark ink on white.
      const small = document.createElement("canvas");
      small.width = small.height = 28;
      const ctx = small.getContext("2d");
      const img = ctx.createImageData(28, 28);
      item.pixels.forEach((p, i) => img.data.set([255 - p, 255 - p, 255 - p, 255], 4 * i));
      ctx.putImageData(img, 0, 0);
      ink.imageSmoothingEnabled = true;
      ink.drawImage(small, 0, 0, pad.width, pad.height);
      label = item.label;
    }
  }
  if (label === null) {
    // A 7: a bar, then a stem down to the left.
    ink.strokeStyle = "#000"; ink.lineCap = "round"; ink.lineJoin = "round";
    ink.lineWidth = $("brush").value;
    ink.beginPath();
    ink.moveTo(0.25 * pad.width, 0.22 * pad.height);
    ink.lineTo(0.75 * pad.width, 0.22 * pad.height);
    ink.lineTo(0.42 * pad.width, 0.8 * pad.height);
    ink.stroke();
    label = 7;
  }
  inked = ENOUGH_INK;
  sendPad();
  const note = $("start-note");
  note.textContent = `A ${label} to start with${haveMnist ? " (an MNIST test image)" : ""}, through every model: draw over it, or clear to start.`;
  note.hidden = false;
}
