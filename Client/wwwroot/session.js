// Example page: shows one session live. The session cookie (HttpOnly) authenticates every call and the
// WebSocket; on a disconnect the page reconnects with afterSeq and the server replays what it missed.
"use strict";

const state = { lastSeq: null, version: null, data: {}, retryMs: 500 };
const $ = (id) => document.getElementById(id);

async function api(method, path, body, contentType = "application/json") {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType;
    init.body = body;
  }
  return fetch(path, init);
}

async function ensureSession() {
  let response = await api("GET", "/sessions/current");
  if (response.status === 401 || response.status === 404) {
    const created = await api("POST", "/sessions", JSON.stringify({ data: { greeting: "hello" } }));
    if (!created.ok) throw new Error("could not create a session: " + created.status);
    response = await api("GET", "/sessions/current");
  }
  if (!response.ok) throw new Error("could not read the session: " + response.status);
  return response.json();
}

async function reload() {
  const session = await ensureSession();
  $("session-id").textContent = session.id;
  state.data = session.data;
  state.version = session.version;
  render();
}

async function showPlacement() {
  try {
    const response = await api("GET", "/sessions/current/placement");
    if (response.ok) $("silo").textContent = (await response.json()).silo;
  } catch { /* shown on the next poll */ }
}

function render() {
  $("version").textContent = state.version ?? "…";
  $("seq").textContent = state.lastSeq ?? "none yet";
  const body = $("data").querySelector("tbody");
  body.replaceChildren(...Object.entries(state.data).map(([key, value]) => {
    const row = document.createElement("tr");
    row.dataset.key = key;
    for (const text of [key, JSON.stringify(value)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    return row;
  }));
}

function logEvent(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("events").prepend(item);
}

function setSocketState(text, cls) {
  const el = $("socket-state");
  el.textContent = text;
  el.className = "state " + cls;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = state.lastSeq === null ? "" : "?afterSeq=" + state.lastSeq;
  const socket = new WebSocket(`${scheme}//${location.host}/sessions/current/ws${query}`);
  let pinger;
  socket.onopen = () => {
    state.retryMs = 500;
    setSocketState("open", "open");
    pinger = setInterval(() => socket.send(JSON.stringify({ type: "ping" })), 15000);
  };
  socket.onmessage = async (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "pong") return;
    logEvent(message.data);
    if (event.type === "gap") {
      state.lastSeq = null;
      await reload();
      return;
    }
    state.lastSeq = event.seq;
    if (event.type.startsWith("job.")) window.onJobEvent?.(event.job);
    if (event.type === "changed") {
      state.version = event.version;
      await reload();
    } else if (event.type === "expired" || event.type === "deleted") {
      state.lastSeq = null;
    }
    render();
  };
  socket.onclose = (e) => {
    clearInterval(pinger);
    setSocketState(`closed (${e.code}), reconnecting`, "closed");
    setTimeout(async () => {
      try { await reload(); } catch { /* retried with the socket */ }
      connect();
    }, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
  };
}

$("set-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const key = $("set-key").value;
  let value = $("set-value").value;
  try { JSON.parse(value); } catch { value = JSON.stringify(value); }
  await api("PUT", "/sessions/current/data/" + encodeURIComponent(key), value);
});

$("message-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  await api("POST", "/sessions/current/messages", JSON.stringify($("message-text").value));
  $("message-text").value = "";
});

(async () => {
  await reload();
  await showPlacement();
  setInterval(showPlacement, 3000);
  connect();
})();
