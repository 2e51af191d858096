// eventchain console: polls the console's JSON endpoints (at most once a
// second) and draws the current view. Every value from the server goes in
// as text, never as markup: dead letters hold whatever was sent.
"use strict";

const API = "api/";
const POLL_MS = 1000;
let token = sessionStorage.getItem("console-token") || "";
let config = { where: "", local: false, allowActions: false };
let timer = null;
let generation = 0;
const openDLQs = new Map(); // logical id → {depth, messages, selected:Set, result}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

async function getJSON(path) {
  const r = await fetch(API + path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function postJSON(path, body) {
  const r = await fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Console-Token": token },
    body: JSON.stringify(body),
  });
  const out = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw Object.assign(new Error(out.error || r.statusText), { result: out.result });
  return out;
}

function age(seconds) {
  if (seconds === null || seconds === undefined) return "unknown";
  if (seconds < 1) return "<1s";
  if (seconds < 120) return Math.round(seconds) + "s";
  if (seconds < 7200) return Math.round(seconds / 60) + "m";
  return Math.round(seconds / 3600) + "h";
}

function time(t) {
  if (!t || t.startsWith("0001")) return "-";
  return new Date(t).toLocaleTimeString();
}

function statusText(s) {
  return el("span", { class: "status status-" + s }, s);
}

function setUpdated(ok, msg) {
  const u = document.getElementById("updated");
  u.textContent = ok ? "updated " + new Date().toLocaleTimeString() : "not updated: " + msg;
  u.className = ok ? "" : "error";
}

// Routing: #/chain, #/requests, #/requests/<id>, #/dlq, #/ec2. The first
// visit carries the token as #token=…; it is kept for this tab only.
function route() {
  const h = location.hash;
  const m = h.match(/token=([0-9a-fA-F]+)/);
  if (m) {
    token = m[1];
    sessionStorage.setItem("console-token", token);
    history.replaceState(null, "", location.pathname + "#/chain");
  }
  const parts = (location.hash.replace(/^#\/?/, "") || "chain").split("/");
  return { view: parts[0], arg: parts.slice(1).join("/") };
}

function schedule(fn) {
  clearTimeout(timer);
  const gen = generation;
  timer = setTimeout(() => { if (gen === generation) fn(); }, POLL_MS);
}

async function render() {
  generation++;
  clearTimeout(timer);
  const { view, arg } = route();
  for (const n of ["chain", "requests", "dlq", "ec2"]) {
    document.getElementById("nav-" + n).classList.toggle("current", n === view);
  }
  const main = document.getElementById("view");
  const draw = { chain: drawChain, requests: arg ? drawRequest : drawRequests, dlq: drawDLQs, ec2: drawEC2 }[view] || drawChain;
  const gen = generation;
  const tick = async () => {
    try {
      const node = await draw(arg);
      if (gen !== generation) return;
      if (node) main.replaceChildren(node);
      setUpdated(true);
    } catch (e) {
      if (gen !== generation) return;
      setUpdated(false, e.message);
    }
    if (gen === generation) schedule(tick);
  };
  await tick();
}

// ---------------------------------------------------------------- chain

function dlqBox(id, dlqs) {
  if (!id) return null;
  const d = dlqs.get(id);
  if (!d) return el("div", { class: "dlq" }, "DLQ " + id);
  const depth = d.visible + d.inFlight + d.delayed;
  const alarm = d.alarmState === "ALARM";
  const alarmText = d.alarmState === "" ? "no alarm" : d.alarmState === "unknown" ? "alarm state unknown" : "alarm " + d.alarmState;
  return el("div", { class: "dlq" + (depth > 0 ? " has" : "") + (alarm ? " alarm" : ""), "data-dlq": id, "data-alarm": d.alarmState || "none" },
    el("b", {}, "DLQ " + id), ": ",
    el("span", { "data-depth": id }, depth + (depth === 1 ? " message" : " messages")),
    depth > 0 ? " (dead-lettered), oldest " + age(d.oldestSeconds) : "",
    " · ", el("span", { class: "alarm-" + d.alarmState }, alarmText),
    d.error ? el("div", { class: "error" }, d.error) : null);
}

function queueBox(q, live, dlqs) {
  const l = live.get(q.id) || {};
  return el("div", { class: "box", "data-queue": q.id },
    el("h3", {}, "queue " + q.id),
    el("div", {}, el("span", { class: "k" }, "waiting "), String(l.visible ?? "?"),
      el("span", { class: "k" }, " · in flight "), String(l.inFlight ?? "?"),
      el("span", { class: "k" }, " · delayed "), String(l.delayed ?? "?")),
    el("div", {}, el("span", { class: "k" }, "oldest message "),
      (l.visible || 0) + (l.inFlight || 0) + (l.delayed || 0) === 0 ? "none" : age(l.oldestSeconds)),
    q.maxReceiveCount ? el("div", { class: "k" }, "dead-letters after " + q.maxReceiveCount + " receives") : null,
    l.error ? el("div", { class: "error" }, l.error) : null,
    dlqBox(q.dlq, dlqs));
}

function functionBox(name, fns, counted) {
  if (!name) return el("div", { class: "box empty" }, "no consumer");
  const c = (fns || {})[name] || { delivered: 0, ok: 0, retried: 0, deadLettered: 0, failed: 0 };
  return el("div", { class: "box", "data-function": name },
    el("h3", {}, "function " + name),
    counted ? el("div", {},
      el("span", { class: "k" }, "delivered "), String(c.delivered),
      el("span", { class: "k" }, " · ok "), String(c.ok),
      el("span", { class: "k" }, " · retried "), String(c.retried), el("br"),
      el("span", { class: "k" }, "dead-lettered "), String(c.deadLettered),
      el("span", { class: "k" }, " · failed "), String(c.failed))
      : el("div", { class: "k" }, "counts: local mode only"));
}

async function drawChain() {
  const { chain, live } = await getJSON("chain");
  const queues = new Map(chain.queues.map((q) => [q.id, q]));
  const liveQ = new Map(live.queues.map((q) => [q.id, q]));
  const dlqs = new Map(live.dlqs.map((d) => [d.id, d]));
  const fns = new Map(chain.functions.map((f) => [f.name, f]));
  const counted = live.countsSince !== null;
  const out = el("div", {},
    el("p", { class: "note" }, "The chain as " + chain.origin + " and the event catalog declare it. " +
      (counted ? "Function counts since " + time(live.countsSince) + "." : "")),
    live.notes.map((n) => el("p", { class: "note" }, n)));
  for (const t of chain.topics) {
    const publishers = chain.functions.filter((f) => f.topics.includes(t.id));
    const sec = el("section", { "data-topic": t.id },
      el("h2", {}, "topic " + t.id),
      el("div", { class: "chain-head" },
        publishers.length === 0 ? el("span", { class: "box empty" }, "no function of the template publishes here") : null,
        publishers.map((f) => el("span", { class: "box" },
          (f.name === chain.api ? "API " + chain.routes.join(", ") + " → " : "function " + f.name + " → "),
          f.emits.length ? f.emits.join(", ") : "notifications")),
        el("span", { class: "arrow" }, "→"),
        el("span", { class: "box" }, "topic " + t.id)));
    if (t.subscriptions.length === 0) sec.append(el("p", { class: "note" }, "no subscriptions"));
    for (const s of t.subscriptions) {
      const q = queues.get(s.queue);
      const fn = q ? fns.get(q.consumer) : null;
      sec.append(el("div", { class: "row", "data-subscription": s.id },
        el("div", { class: "box" },
          el("h3", {}, "subscription " + s.id),
          el("div", {}, el("span", { class: "k" }, "protocol "), s.protocol),
          el("div", {}, el("span", { class: "k" }, "filter "), el("code", {}, s.filter || "none: every message")),
          dlqBox(s.dlq, dlqs)),
        el("div", { class: "arrow", "aria-hidden": "true" }, "→"),
        q ? queueBox(q, liveQ, dlqs) : el("div", { class: "box empty" }, s.protocol + " endpoint"),
        el("div", { class: "arrow", "aria-hidden": "true" }, "→"),
        functionBox(q && q.consumer, live.functions, counted),
        el("div", { class: "arrow", "aria-hidden": "true" }, "→"),
        el("div", { class: "box" }, el("h3", {}, "emits"),
          fn && fn.emits.length ? fn.emits.map((e) => el("div", {}, e + " → " + fn.topics.join(", "))) :
            fn && fn.topics.length ? el("div", {}, "notifications → " + fn.topics.join(", ")) : el("div", { class: "empty" }, "nothing"))));
    }
    out.append(sec);
  }
  return out;
}

// ---------------------------------------------------------------- requests

let requestFilter = "";

async function drawRequests() {
  const q = requestFilter ? "?status=" + encodeURIComponent(requestFilter) : "";
  const { requests } = await getJSON("requests" + q);
  const select = el("select", { id: "status-filter", onchange: (e) => { requestFilter = e.target.value; render(); } },
    ["", "PENDING", "ACCEPTED", "LAUNCHING", "RUNNING", "FAILED"].map((s) =>
      el("option", { value: s, selected: s === requestFilter }, s || "every status")));
  return el("div", {},
    el("h2", {}, "Latest requests"),
    el("label", {}, "Status: ", select),
    requests.length === 0 ? el("p", { class: "note" }, "No requests" + (requestFilter ? " " + requestFilter : "") + " yet.") :
      el("table", { id: "requests" },
        el("thead", {}, el("tr", {}, ["request", "status", "instances", "created", "updated", "error"].map((h) => el("th", {}, h)))),
        el("tbody", {}, requests.map((r) => el("tr", { "data-request": r.requestId, "data-status": r.status },
          el("td", {}, el("a", { href: "#/requests/" + encodeURIComponent(r.requestId), class: "mono" }, r.requestId)),
          el("td", {}, statusText(r.status)),
          el("td", { class: "mono" }, (r.instanceIds || []).join(", ") || "-"),
          el("td", {}, time(r.createdAt)), el("td", {}, time(r.updatedAt)),
          el("td", {}, r.error ? r.error.code + ": " + r.error.message : "-"))))));
}

async function drawRequest(id) {
  const t = await getJSON("requests/" + encodeURIComponent(id));
  const r = t.request;
  return el("div", { "data-request-page": r.requestId, "data-status": r.status },
    el("p", {}, el("a", { href: "#/requests" }, "← requests")),
    el("h2", {}, "request ", el("span", { class: "mono" }, r.requestId), " ", statusText(r.status)),
    el("p", {}, "created " + new Date(r.createdAt).toLocaleString() + "; " + t.retries + (t.retries === 1 ? " retry" : " retries") +
      (r.instanceIds.length ? "; instances " + r.instanceIds.join(", ") : "")),
    el("table", { id: "timeline" },
      el("thead", {}, el("tr", {}, ["+time", "function", "event", "queued", "took", "what"].map((h) => el("th", {}, h)))),
      el("tbody", {}, t.steps.map((s) => el("tr", {},
        el("td", { class: "mono" }, s.offset), el("td", {}, s.function), el("td", {}, s.event),
        el("td", { class: "mono" }, s.queued), el("td", { class: "mono" }, s.took), el("td", {}, s.what))))),
    el("p", { id: "now" }, el("b", {}, "now: "), t.now));
}

// ---------------------------------------------------------------- dead letters

function ask(text, expect) {
  const d = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  const row = document.getElementById("confirm-type-row");
  const input = document.getElementById("confirm-input");
  row.hidden = !expect;
  input.value = "";
  document.getElementById("confirm-expect").textContent = expect || "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok" && (!expect || input.value === expect)), { once: true });
    d.showModal();
  });
}

async function loadMessages(id, state) {
  try {
    const v = await getJSON("dlqs/" + encodeURIComponent(id) + "/messages");
    state.messages = v.messages;
    state.error = "";
    const ids = new Set(v.messages.map((m) => m.id));
    for (const s of [...state.selected]) if (!ids.has(s)) state.selected.delete(s);
  } catch (e) {
    state.error = e.message;
  }
}

async function act(id, what, body, state, confirmText, expect) {
  if (!(await ask(confirmText, expect))) {
    state.result = what + " cancelled.";
    render();
    return;
  }
  try {
    const r = await postJSON("dlqs/" + encodeURIComponent(id) + "/" + what, body);
    state.result = what === "purge" ?
      "purged " + id + ": removed " + (r.visible + r.inFlight + r.delayed) + " messages." :
      r.mode === "none" ? id + " holds no visible message: nothing to redrive." :
      "moved " + r.moved + " of " + r.selected + " messages from " + id + " to " + r.target + " (" + r.mode + "). Then: " + r.effect +
        (r.inBoth ? " Message " + r.inBoth + " may be in both queues." : "");
  } catch (e) {
    state.result = what + " failed: " + e.message;
  }
  state.depth = -1; // read the messages again
  render();
}

async function drawDLQs() {
  const { live } = await getJSON("chain");
  const out = el("div", {}, el("h2", {}, "Dead-letter queues"), live.notes.filter((n) => n.startsWith("alarm")).map((n) => el("p", { class: "note" }, n)));
  if (!config.allowActions) out.append(el("p", { class: "note" }, "Read-only: redrive and purge are off (eventchain console --allow-actions turns them on)."));
  for (const d of live.dlqs) {
    const depth = d.visible + d.inFlight + d.delayed;
    const state = openDLQs.get(d.id);
    const sec = el("section", { "data-dlq-section": d.id, class: d.alarmState === "ALARM" ? "dlq alarm" : "dlq" + (depth ? " has" : "") },
      el("h3", {}, d.id + ": " + depth + (depth === 1 ? " message" : " messages")),
      el("div", {}, "from " + (d.sources.join(", ") || "-") + " · oldest " + age(d.oldestSeconds) + " · " +
        (d.alarmState === "" ? "no alarm" : d.alarmState === "unknown" ? "alarm state unknown" : "alarm " + d.alarmState) +
        (d.task ? " · move task " + d.task : "")),
      d.error ? el("div", { class: "error" }, d.error) : null,
      el("button", { "data-show": d.id, onclick: async () => {
        if (openDLQs.has(d.id)) openDLQs.delete(d.id); else openDLQs.set(d.id, { depth: -1, messages: [], selected: new Set(), result: "" });
        render();
      } }, state ? "Hide messages" : "Show messages"));
    if (state) {
      if (state.depth !== depth) {
        state.depth = depth;
        await loadMessages(d.id, state);
      }
      sec.append(dlqPanel(d, state));
    }
    out.append(sec);
  }
  return out;
}

function dlqPanel(d, state) {
  const can = config.allowActions;
  const target = (d.sources[0] || "").replace(/^(queue|subscription) /, "");
  const panel = el("div", { "data-messages": d.id },
    state.result ? el("p", { class: "result", role: "status" }, state.result) : null,
    state.error ? el("p", { class: "error" }, state.error) : null,
    el("div", { class: "actions" },
      el("button", { "data-action": "redrive-selected", disabled: !can || state.selected.size === 0,
        onclick: () => act(d.id, "redrive", { ids: [...state.selected] }, state,
          "Redrive the " + state.selected.size + " selected messages of " + d.id + " to the queue they failed in (" + target + ")?") },
        "Redrive selected (" + state.selected.size + ")"),
      el("button", { "data-action": "redrive-all", disabled: !can || state.messages.length === 0,
        onclick: () => act(d.id, "redrive", { all: true }, state, "Redrive every message of " + d.id + " to the queue they failed in (" + target + ")?") },
        "Redrive all"),
      el("button", { "data-action": "purge", disabled: !can,
        onclick: () => act(d.id, "purge", { confirm: d.id }, state, "Purge " + d.id + ": delete every message for good? (eventchain dlq export keeps a copy first.)", d.id) },
        "Purge…")));
  if (state.messages.length === 0) {
    panel.append(el("p", { class: "note" }, "No visible messages."));
    return panel;
  }
  panel.append(el("table", {},
    el("thead", {}, el("tr", {}, ["", "type", "request", "reason", "sent", "receives", "payload"].map((h) => el("th", {}, h)))),
    el("tbody", {}, state.messages.map((m) => el("tr", { "data-message": m.id, "data-reason": m.reason.code },
      el("td", {}, el("input", { type: "checkbox", "aria-label": "select message " + m.id, checked: state.selected.has(m.id),
        onchange: (e) => { if (e.target.checked) state.selected.add(m.id); else state.selected.delete(m.id); render(); } })),
      el("td", {}, m.type || "?"),
      el("td", { class: "mono" }, m.requestId ? el("a", { href: "#/requests/" + encodeURIComponent(m.requestId) }, m.requestId) : "-"),
      el("td", {}, el("b", {}, m.reason.code), m.reason.function ? " (" + m.reason.function + ")" : "", m.reason.message ? ": " + m.reason.message : ""),
      el("td", {}, time(m.sent)),
      el("td", {}, String(m.receiveCount)),
      el("td", { class: "mono" }, m.payload))))));
  return panel;
}

// ---------------------------------------------------------------- EC2

async function drawEC2() {
  const { instances } = await getJSON("instances");
  return el("div", {}, el("h2", {}, "EC2 instances of the chain"),
    instances.length === 0 ? el("p", { class: "note" }, "No instances tagged " + "eventchain:request-id" + ".") :
      el("table", { id: "instances" },
        el("thead", {}, el("tr", {}, ["instance", "state", "type", "image", "request", "launched"].map((h) => el("th", {}, h)))),
        el("tbody", {}, instances.map((i) => el("tr", { "data-instance": i.id },
          el("td", { class: "mono" }, i.id), el("td", {}, i.state), el("td", {}, i.type), el("td", { class: "mono" }, i.image),
          el("td", { class: "mono" }, i.requestId ? el("a", { href: "#/requests/" + encodeURIComponent(i.requestId) }, i.requestId) : "-"),
          el("td", {}, time(i.launchTime)))))));
}

window.addEventListener("hashchange", render);
window.addEventListener("DOMContentLoaded", async () => {
  try {
    config = await getJSON("config");
  } catch (e) {
    setUpdated(false, e.message);
  }
  document.getElementById("where").textContent = config.where + (config.allowActions ? "" : " · read-only");
  route();
  render();
});
