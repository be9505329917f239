// StorytellingPainter's page: generate, watch, review and browse runs.
// Runs go through the LangGraph server's own threads/runs API (this page is served by that
// server); run directories are read through /ui/api. Story text only ever reaches the page
// as textContent: nothing here assigns HTML.
"use strict";

const GRAPH = "storypainter";
// "tasks": each node's start and its whole update (the server's "updates" keep only the output keys).
const STREAM_MODES = ["tasks", "messages-tuple", "custom"];
const SOURCE = "storypainter-ui"; // threads this page starts carry it (and their context) as metadata
const OUT_DIR = document.body.dataset.outDir;
const $ = (id) => document.getElementById(id);
const timings = (window.uiTimings = {}); // read by the browser tests (first event, line, token)
let watched = null; // the run being watched: thread, context, attempt, runPath, interrupt
let galleryEntries = [];
let schemaDefaults = {};
let paused = new Map(); // run path -> thread id, for runs waiting for a review

// ---------- small helpers ----------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const pad = (n) => String(n).padStart(2, "0");
const fixed = (x, digits = 2) => (typeof x === "number" ? x.toFixed(digits) : "-");
const oneLine = (text) => String(text ?? "").replace(/\s+/g, " ").trim();

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${oneLine(await response.text()).slice(0, 300)}`);
  return response.json();
}

// A file under the output directory as its /ui/files URL (null when it lies elsewhere).
function fileUrl(path) {
  if (!path) return null;
  let rel = path;
  if (path.startsWith("/")) {
    if (!path.startsWith(OUT_DIR + "/")) return null;
    rel = path.slice(OUT_DIR.length + 1);
  }
  return "/ui/files/" + rel.split("/").map(encodeURIComponent).join("/");
}

function relativeRun(runDir) {
  return runDir && runDir.startsWith(OUT_DIR + "/") ? runDir.slice(OUT_DIR.length + 1) : null;
}

const runApi = (path) => api(`/ui/api/runs/${path.split("/").map(encodeURIComponent).join("/")}`);

// ---------- views ----------

function show(view) {
  for (const name of ["generate", "browse"]) {
    $(name).hidden = name !== view;
    $(`tab-${name}`).classList.toggle("active", name === view);
  }
}

function route() {
  const hash = location.hash || "#generate";
  if (hash.startsWith("#review/")) {
    show("generate");
    openPaused(decodeURIComponent(hash.slice(8)));
  } else if (hash.startsWith("#run/")) {
    show("browse");
    openDetail(decodeURIComponent(hash.slice(5)));
  } else if (hash === "#browse") {
    show("browse");
    $("detail").hidden = true;
    $("gallery").hidden = false;
    loadGallery();
  } else {
    show("generate");
  }
}

// ---------- the settings form, generated from the graph's context schema ----------

async function loadSettings() {
  const box = $("settings-fields");
  try {
    const [assistant] = await api("/assistants/search", { graph_id: GRAPH, limit: 1 });
    const schemas = await api(`/assistants/${assistant.assistant_id}/schemas`);
    const properties = (schemas.context_schema || {}).properties || {};
    box.replaceChildren(...Object.entries(properties).map(([name, spec]) => settingField(name, spec)));
  } catch (error) {
    box.replaceChildren(el("p", { class: "error" }, `settings unavailable: ${error.message}`));
  }
}

function settingField(name, spec) {
  const initial = name === "out_dir" ? OUT_DIR : spec.default;
  schemaDefaults[name] = spec.default;
  const id = `setting-${name}`;
  const type = spec.type || (spec.anyOf || []).map((option) => option.type).find((t) => t && t !== "null");
  let input;
  if (spec.enum) {
    input = el("select", { id, name }, spec.enum.map((value) => el("option", { value }, value)));
    input.value = initial ?? spec.enum[0];
  } else if (type === "boolean") {
    input = el("input", { id, name, type: "checkbox" });
    input.checked = Boolean(initial);
  } else if (type === "integer" || type === "number") {
    const low = spec.minimum ?? spec.exclusiveMinimum;
    input = el("input", {
      id, name, type: "number", min: low, max: spec.maximum ?? spec.exclusiveMaximum,
      step: type === "integer" ? 1 : "any",
    });
    input.value = initial ?? "";
  } else if (type === "string") {
    input = el("input", { id, name, type: "text", minlength: spec.minLength, maxlength: spec.maxLength });
    input.value = initial ?? "";
  } else {
    input = el("textarea", { id, name, rows: 1, "data-json": "1", placeholder: "{} (JSON)" });
    input.value = initial === undefined ? "" : JSON.stringify(initial);
  }
  input.dataset.kind = type || "json";
  const help = spec.description || "";
  return el("div", { class: "field", title: help },
    el("label", { for: id }, name), input, el("small", {}, help));
}

// The settings that differ from the graph's defaults (out_dir always), typed as the schema says.
function chosenContext() {
  const context = {};
  for (const input of $("settings-fields").querySelectorAll("[name]")) {
    let value;
    if (input.type === "checkbox") value = input.checked;
    else if (input.dataset.json) {
      if (!input.value.trim()) continue;
      value = JSON.parse(input.value);
    } else if (input.type === "number") {
      if (input.value === "") continue;
      value = Number(input.value);
    } else value = input.value;
    if (input.name === "out_dir" || JSON.stringify(value) !== JSON.stringify(schemaDefaults[input.name])) {
      context[input.name] = value;
    }
  }
  return context;
}

// ---------- generate and watch ----------

async function startRun(event) {
  event.preventDefault();
  $("start-error").textContent = "";
  let context;
  try {
    context = chosenContext();
  } catch (error) {
    $("start-error").textContent = `settings: ${error.message}`;
    return;
  }
  resetWatch();
  timings.submitAt = performance.now();
  try {
    const thread = await api("/threads", { metadata: { source: SOURCE, context } });
    watched = { thread: thread.thread_id, context, attempt: 0, runPath: null, interrupt: null };
    await streamRun({ input: { theme: $("theme").value } });
  } catch (error) {
    setOutcome("failed", error.message);
  }
}

function resetWatch() {
  $("watch").hidden = false;
  $("progress").replaceChildren();
  $("tokens").textContent = "";
  $("tokens-box").hidden = true;
  $("review").hidden = true;
  $("attempts").replaceChildren();
  $("run-name").textContent = "";
  $("now").textContent = "";
  setOutcome("", "");
}

async function streamRun(request) {
  $("start").disabled = true;
  watched.interrupt = null;
  const body = { assistant_id: GRAPH, context: watched.context, stream_mode: STREAM_MODES,
    on_disconnect: "continue", ...request };
  try {
    const response = await fetch(`/threads/${watched.thread}/runs/stream`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${oneLine(await response.text()).slice(0, 300)}`);
    for await (const [name, data] of serverEvents(response)) handleEvent(name, data);
  } finally {
    $("start").disabled = false;
  }
  if (watched.interrupt) showReview(watched.interrupt);
  loadPaused();
}

// The server-sent events of a streamed run, as [event name, decoded data].
async function* serverEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield [name, JSON.parse(data.join("\n"))];
    }
  }
}

function handleEvent(name, data) {
  if (name === "tasks") onTask(data);
  else if (name === "messages") {
    const [chunk, meta] = data;
    if (meta && meta.langgraph_node === "storyteller" && typeof chunk.content === "string") onToken(chunk);
  } else if (name === "custom") {
    addLine("", null, describeEvent(data));
  } else if (name === "error") {
    failed(data);
  }
}

// A node starts (shown as "now running") or ends (its update: a progress line, the attempt's parts).
function onTask(task) {
  if (!("result" in task) && !("error" in task)) {
    $("now").textContent = `${task.name} running...`;
    return;
  }
  $("now").textContent = "";
  if (timings.firstEventAt === undefined) timings.firstEventAt = performance.now();
  if ((task.interrupts || []).length) watched.interrupt = task.interrupts[0].value;
  if (!task.error) onUpdate(task.name, task.result || {});
}

// The server says only "An internal error occurred" for most errors; the run's manifest says why.
async function failed(error) {
  let reason = `${error.error ? error.error + ": " : ""}${error.message || ""}`;
  if (watched.runPath) {
    try {
      const run = await runApi(watched.runPath);
      if (run.status === "failed" && run.reason) reason = run.reason;
    } catch (problem) {
      console.warn(problem);
    }
  }
  setOutcome("failed", reason);
}

function onToken(chunk) {
  const box = $("tokens");
  if (chunk.id !== box.dataset.reply) {
    box.dataset.reply = chunk.id;
    box.textContent = "";
  }
  $("tokens-box").hidden = false;
  box.textContent += chunk.content;
  if (timings.firstTokenAt === undefined) timings.firstTokenAt = performance.now();
}

function onUpdate(node, update) {
  if (update.attempt) watched.attempt = update.attempt;
  if (node === "planner" && update.run_dir) {
    watched.runPath = relativeRun(update.run_dir);
    $("run-name").textContent = update.run_dir;
  }
  const seconds = Object.values(update.node_seconds || {}).reduce((a, b) => a + b, 0);
  const detail = describeUpdate(node, update);
  if (detail !== null) addLine(node, seconds, detail);
  if (node === "storyteller" && update.story) {
    showAttempt({ number: update.attempt, story: update.story, chains: plainChains(update.story) });
  } else if (node === "review_story" && update.story) {
    showAttempt({ number: watched.attempt, story: update.story, chains: plainChains(update.story) });
  } else if (node === "painter" && update.image) {
    const card = attemptCard(watched.attempt);
    const url = fileUrl(update.image.path);
    if (card && url) card.querySelector(".picture").replaceChildren(el("img", { src: url, alt: `attempt ${pad(watched.attempt)}` }));
  } else if (node === "critic" && update.decision) {
    refreshAttempt(watched.attempt, update);
  } else if (node === "finish" && update.result) {
    const result = update.result;
    setOutcome("finished", `best attempt ${pad(result.best_attempt)}, score ${fixed(result.score, 3)}: ${result.why}`);
  }
}

// One progress line's detail for a node's update (null: a silent node), as the terminal shows it.
function describeUpdate(node, update) {
  if (node === "planner" && update.plan) {
    const plan = update.plan;
    return `mode=${plan.mode} dimensions=${(plan.dimensions || []).join(",") || "-"} setting=${plan.setting}`;
  }
  if (node === "retriever") return `examples: ${(update.examples || []).map((e) => e.id).join(", ") || "none"}`;
  if (node === "storyteller" && update.story) {
    return `attempt ${pad(update.attempt)}: '${update.story.title}', ${(update.story.cors || []).length} CoRs`;
  }
  if (node === "painter") return update.image ? `image ${update.image.path}` : `refused: ${update.painter_error}`;
  if (node === "critic" && update.decision) {
    const report = update.report || {};
    const texts = (report.verdicts || []).filter((v) => v.level === "ocr");
    const legible = texts.length ? `, text ${texts.filter((v) => v.answer === "yes").length}/${texts.length} legible` : "";
    return `alignment ${fixed(report.overall)}${legible} -> ${update.decision.action} (${(update.decision.reasons || []).join("; ")})`;
  }
  if (node === "finish" && update.result) return `best attempt ${pad(update.result.best_attempt)}`;
  if (node.startsWith("review")) {
    if (update.story_review) return `reviewer: ${update.story_review.action}${update.story_review.feedback ? ` (${update.story_review.feedback})` : ""}`;
    if (update.decision) return `reviewer: ${update.decision.action}`;
  }
  return null;
}

function describeEvent(event) {
  if (!event || typeof event !== "object") return String(event);
  const details = Object.entries(event).filter(([key]) => key !== "event").map(([k, v]) => `${k} ${v}`).join(", ");
  return `${event.event || "event"}: ${details}`;
}

function addLine(node, seconds, detail) {
  const round = watched && watched.attempt ? `round ${watched.attempt}` : "";
  const line = el("li", { "data-node": node },
    el("span", { class: "round" }, round), el("span", { class: "node" }, node),
    el("span", { class: "seconds" }, seconds === null ? "" : `${seconds.toFixed(2)}s`),
    el("span", { class: "detail" }, detail));
  $("progress").append(line);
  if (timings.firstLineAt === undefined) {
    timings.firstLineAt = performance.now();
    timings.firstLineWall = Date.now();
    requestAnimationFrame(() => requestAnimationFrame(() => { timings.firstLinePaintedAt = performance.now(); }));
  }
}

function setOutcome(status, text) {
  const outcome = $("outcome");
  outcome.className = `outcome ${status}`;
  outcome.dataset.status = status;
  outcome.textContent = status ? `${status}: ${oneLine(text)}` : "";
}

function attemptCard(number) {
  return $("attempts").querySelector(`[data-attempt="${number}"]`);
}

function showAttempt(view) {
  const card = renderAttempt(view);
  const old = attemptCard(view.number);
  if (old) {
    const picture = old.querySelector(".picture img");
    if (picture && !view.picture) card.querySelector(".picture").replaceChildren(picture);
    old.replaceWith(card);
  } else {
    $("attempts").prepend(card);
  }
}

function plainChains(story) {
  return (story.cors || []).map((chain) => ({ ...chain, verdict: null, marks: {} }));
}

// After the critic, the attempt as written to disk (critique.json's marks included); the
// stream's own update when the run directory is not under this page's output directory.
async function refreshAttempt(number, update) {
  if (watched.runPath) {
    try {
      const run = await runApi(watched.runPath);
      const view = (run.attempt_views || []).find((a) => a.number === number);
      if (view) return showAttempt(view);
    } catch (error) {
      console.warn(error);
    }
  }
  const old = attemptCard(number);
  const story = old ? old.storyData : {};
  showAttempt({ number, story, chains: plainChains(story),
    critique: { decision: update.decision, report: update.report, check: update.check } });
}

// ---------- review ----------

function pendingReview(thread) {
  for (const list of Object.values(thread.interrupts || {})) if (list.length) return list[0].value;
  return null;
}

// The runs this page started that wait for a review (listed on Generate, marked in Browse).
async function loadPaused() {
  let threads = [];
  try {
    threads = await api("/threads/search", { status: "interrupted", metadata: { source: SOURCE }, limit: 50 });
  } catch (error) {
    console.warn(error);
  }
  paused = new Map();
  const items = [];
  for (const thread of threads) {
    const pending = pendingReview(thread);
    const values = thread.values || {};
    if (!pending) continue;
    const path = relativeRun(values.run_dir);
    if (path) paused.set(path, thread.thread_id);
    if (watched && watched.thread === thread.thread_id) continue;
    items.push(el("li", {}, el("a", { href: `#review/${thread.thread_id}` }, values.theme || "(free theme)"),
      ` waits for a review of attempt ${pad(pending.attempt)}'s ${pending.stage}`));
  }
  $("paused-list").replaceChildren(...items);
  $("paused").hidden = !items.length;
}

// A paused run, reopened (after a reload, or from Browse): its attempts so far and its pending review.
async function openPaused(threadId) {
  resetWatch();
  try {
    const thread = await api(`/threads/${threadId}`);
    const values = thread.values || {};
    const pending = pendingReview(thread);
    watched = { thread: threadId, context: (thread.metadata || {}).context || {}, attempt: pending ? pending.attempt : 0,
      runPath: relativeRun(values.run_dir), interrupt: null };
    $("run-name").textContent = values.run_dir || "";
    if (watched.runPath) (await runApi(watched.runPath)).attempt_views.forEach(showAttempt);
    if (pending) showReview(pending);
    else setOutcome(thread.status, "nothing to review");
  } catch (error) {
    setOutcome("failed", error.message);
  }
  loadPaused();
}

function showReview(payload) {
  const box = $("review");
  box.hidden = false;
  const title = payload.stage === "story"
    ? `Review attempt ${pad(payload.attempt)}'s story` : `Review the critic's decision on attempt ${pad(payload.attempt)}`;
  const parts = [el("h3", {}, title)];
  if (payload.error) parts.push(el("p", { class: "error" }, `not taken: ${payload.error}`));
  const feedback = el("input", { type: "text", id: "review-feedback", placeholder: "reason / feedback" });
  if (payload.stage === "story") {
    const story = payload.story || {};
    const editor = el("textarea", { id: "review-story", rows: 10, spellcheck: "false" });
    editor.value = JSON.stringify(story, null, 2);
    parts.push(el("h4", { class: "story-title" }, story.title), el("p", {}, story.description),
      el("div", { class: "buttons" },
        button("Approve", "review-approve", () => resume({ action: "approve" })),
        feedback,
        button("Reject", "review-reject", () => resume({ action: "reject", feedback: feedback.value }))),
      el("details", {}, el("summary", {}, "Edit the story (JSON)"), editor,
        button("Save edit", "review-edit", () => {
          try {
            resume({ action: "edit", story: JSON.parse(editor.value) });
          } catch (error) {
            box.querySelector(".edit-error").textContent = `not JSON: ${error.message}`;
          }
        }), el("span", { class: "error edit-error" })));
  } else {
    const decision = payload.decision || {};
    parts.push(el("p", {}, `critic says ${decision.action}: ${(decision.reasons || []).join("; ")}`),
      el("div", { class: "buttons" },
        button("Keep", "review-keep", () => resume({ action: "keep" })),
        ["accept", "revise_story", "rerender", "stop"].map((action) =>
          button(action, `review-${action}`, () => resume({ action, feedback: feedback.value }))),
        feedback));
  }
  box.replaceChildren(...parts);
}

function button(label, id, onClick) {
  const node = el("button", { type: "button", id }, label);
  node.addEventListener("click", onClick);
  return node;
}

async function resume(answer) {
  $("review").hidden = true;
  try {
    await streamRun({ command: { resume: answer } });
  } catch (error) {
    setOutcome("failed", error.message);
  }
}

// ---------- attempts (shared by watch and browse) ----------

function renderAttempt(view) {
  const story = view.story || {};
  const critique = view.critique || {};
  const decision = critique.decision;
  const card = el("article", { class: "attempt", "data-attempt": view.number });
  card.storyData = story;
  card.append(el("h3", {}, `Attempt ${pad(view.number)}`,
    typeof critique.score === "number" ? el("span", { class: "score" }, ` score ${fixed(critique.score, 3)}`) : null,
    decision ? el("span", { class: `badge ${decision.action}` }, decision.action) : null));
  const url = fileUrl(view.picture);
  card.append(el("div", { class: "picture" },
    url ? el("img", { src: url, alt: `attempt ${pad(view.number)}` }) : el("p", { class: "muted" }, "no picture yet")));
  card.append(el("h4", { class: "story-title" }, story.title || ""), el("p", { class: "description" }, story.description || ""));
  if (story.location || story.time) card.append(el("p", { class: "muted" }, [story.location, story.time].filter(Boolean).join(" · ")));
  if ((view.chains || []).length) card.append(el("h5", {}, "Chains of reasoning"), chainList(view.chains));
  const report = critique.report || {};
  if ((report.verdicts || []).length) card.append(el("h5", {}, `Key points (overall ${fixed(report.overall)})`), verdictTable(report.verdicts));
  const texts = critique.visible_text || [];
  if (texts.length) card.append(el("h5", {}, "Visible text read back"), textTable(texts));
  else if (critique.visible_text_check && critique.visible_text_check.skipped) {
    card.append(el("p", { class: "muted" }, `visible text: ${critique.visible_text_check.skipped}`));
  }
  const violations = (critique.check || {}).violations || [];
  if (violations.length) card.append(el("ul", { class: "violations" }, violations.map((v) => el("li", {}, `${v.rule}: ${v.detail}`))));
  if (decision) {
    card.append(el("p", { class: "decision" }, el("strong", {}, decision.action), ` ${(decision.reasons || []).join("; ")}`));
    if (decision.feedback) card.append(el("pre", { class: "feedback" }, decision.feedback));
  }
  for (const [stage, review] of Object.entries(view.reviews || {})) {
    card.append(el("p", { class: "muted" }, `reviewer (${stage}): ${review.action}${review.feedback ? ` (${review.feedback})` : ""}`));
  }
  for (const problem of view.problems || []) card.append(el("p", { class: "error" }, problem));
  return card;
}

function chainList(chains) {
  return el("ol", { class: "chains" }, chains.map((chain) => el("li", {},
    el("span", { class: "dimension" }, chain.dimension), " ",
    (chain.clues || []).join(" + "), " → ", chain.conclusion,
    chain.verdict ? el("span", { class: `mark ${chain.verdict.answer}`, title: chain.verdict.evidence || "" },
      `${chain.verdict.answer} (${chain.verdict.level})`) : null,
    Object.entries(chain.marks || {}).map(([name, value]) => el("span", {
      class: `mark coherence${chain.flag === false ? " incoherent" : ""}`, title: chain.note || null,
    }, `${name} ${fixed(value)}`)))));
}

function verdictTable(verdicts) {
  return el("table", { class: "verdicts" },
    el("thead", {}, el("tr", {}, ["category", "key point", "answer", "level", "evidence"].map((h) => el("th", {}, h)))),
    el("tbody", {}, verdicts.map((v) => el("tr", {},
      el("td", {}, (v.key_point || {}).category), el("td", {}, (v.key_point || {}).text),
      el("td", { class: `answer ${v.answer}` }, v.answer), el("td", { class: `level ${v.level}` }, v.level),
      el("td", {}, v.evidence)))));
}

function textTable(entries) {
  return el("table", { class: "texts" },
    el("thead", {}, el("tr", {}, ["text", "on", "status", "read", "similarity"].map((h) => el("th", {}, h)))),
    el("tbody", {}, entries.map((t) => el("tr", {},
      el("td", {}, t.text), el("td", {}, t.on), el("td", { class: `answer ${t.status}` }, t.status),
      el("td", {}, t.read), el("td", {}, fixed(t.similarity))))));
}

// ---------- browse ----------

async function loadGallery() {
  await loadPaused();
  try {
    galleryEntries = (await api("/ui/api/runs")).entries;
  } catch (error) {
    $("gallery").replaceChildren(el("p", { class: "error" }, error.message));
    return;
  }
  renderGallery();
}

function renderGallery() {
  const wanted = $("filter").value.trim().toLowerCase();
  const shown = galleryEntries.filter((entry) => !wanted || entry.theme.toLowerCase().includes(wanted));
  $("gallery").replaceChildren(...(shown.length ? shown.map(runCard) : [el("p", { class: "muted" }, "no runs here yet")]));
}

function runCard(entry) {
  const url = fileUrl(entry.thumbnail);
  const progress = entry.progress
    ? el("p", { class: "progress-line" }, el("progress", { max: entry.progress.total, value: entry.progress.finished }),
      ` ${entry.progress.finished}/${entry.progress.total} finished`) : null;
  const body = [
    url ? el("img", { src: url, alt: entry.theme, loading: "lazy" }) : el("div", { class: "no-picture" }, "no picture"),
    el("p", { class: "theme" }, entry.kind === "batch" ? `batch: ${entry.theme}` : entry.theme || "(free theme)"),
    el("p", {}, el("span", { class: `badge ${entry.status.replace(/\s/g, "-")}` }, entry.status),
      paused.has(entry.path) ? el("span", { class: "badge waiting" }, "waiting for review") : null,
      entry.score === null || entry.score === undefined ? "" : ` score ${fixed(entry.score, 3)}`),
    progress,
    entry.reason ? el("p", { class: "reason" }, entry.reason) : null,
  ];
  if (!entry.path) return el("div", { class: "card" }, body);
  const review = paused.get(entry.path);
  const href = review ? `#review/${review}` : `#run/${encodeURIComponent(entry.path)}`;
  return el("a", { class: "card", href, "data-path": entry.path }, body);
}

async function openDetail(path) {
  $("gallery").hidden = true;
  const detail = $("detail");
  detail.hidden = false;
  $("detail-items").replaceChildren();
  $("detail-attempts").replaceChildren();
  $("detail-title").textContent = path;
  let run;
  try {
    run = await runApi(path);
  } catch (error) {
    $("detail-status").textContent = error.message;
    return;
  }
  $("detail-title").textContent = run.kind === "batch" ? `batch ${run.path}` : run.theme || "(free theme)";
  const score = run.score === null || run.score === undefined ? "" : `, score ${fixed(run.score, 3)}`;
  $("detail-status").replaceChildren(el("span", { class: `badge ${run.status.replace(/\s/g, "-")}` }, run.status),
    ` ${run.reason}${score}`, run.decision_path && run.decision_path.length ? ` (path ${run.decision_path.join(" -> ")})` : "");
  if (run.kind === "batch") {
    $("detail-items").replaceChildren(...run.items.map(runCard));
  } else {
    $("detail-attempts").replaceChildren(...run.attempt_views.map(renderAttempt));
  }
}

// ---------- start ----------

$("start-form").addEventListener("submit", startRun);
$("filter").addEventListener("input", renderGallery);
$("refresh").addEventListener("click", loadGallery);
window.addEventListener("hashchange", route);
loadSettings();
loadPaused();
route();
// Browse keeps itself current while something in it is still running.
setInterval(() => {
  if (!$("browse").hidden && !$("gallery").hidden && galleryEntries.some((entry) => entry.status === "running")) {
    loadGallery();
  }
}, 5000);
