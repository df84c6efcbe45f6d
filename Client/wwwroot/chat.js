// Example chat on SessionGrains.SignalR. The session cookie (HttpOnly) identifies the recipient; the resume point
// (SessionGrainsSignalR.track) makes a reconnect through the round-robin balancer replay what was missed.
// WebSockets without negotiation: a negotiate would tie the connection to the server that answered it.
"use strict";

const $ = (id) => document.getElementById(id);
let room = null;

function show(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  $("messages").append(item);
}

async function ensureSession() {
  const current = await fetch("/sessions/current", { credentials: "same-origin" });
  if (current.ok) return (await current.json()).id;
  const created = await fetch("/sessions", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}" });
  if (!created.ok) throw new Error("could not create a session: " + created.status);
  return (await created.json()).id;
}

function setState(text) {
  $("chat-state").textContent = text;
  $("chat-state").dataset.state = text;
}

async function main() {
  const sessionId = await ensureSession();
  $("me").textContent = "guest-" + sessionId.slice(0, 6);
  const connection = new signalR.HubConnectionBuilder().withUrl("/hubs/chat", { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets }).withAutomaticReconnect([0, 500, 1000, 2000, 5000]).build();
  const resume = SessionGrainsSignalR.track(connection, {
    storageKey: "chat",
    onGap: (expected, got) => show("gap", `messages ${expected}-${got - 1} were older than the server keeps`),
  });
  connection.on("sg.seq", (n) => { $("last").textContent = n; });
  connection.on("said", (where, who, text) => show("said", `[${where}] ${who}: ${text}`));
  connection.on("whispered", (who, text) => show("whispered", `${who} (to you): ${text}`));
  connection.on("announced", (who, text) => show("announced", `${who} (to all): ${text}`));
  connection.onreconnecting(() => setState("reconnecting"));
  connection.onreconnected(() => setState("connected"));
  connection.onclose(() => setState("closed"));

  $("join-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    room = $("room").value;
    await connection.invoke("Join", room);
    show("info", `joined ${room}`);
  });
  $("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!room) return show("info", "join a room first");
    const text = $("text").value;
    $("text").value = "";
    await connection.invoke("Say", room, text);
  });

  await resume.start();
  setState("connected");
}

main().catch((error) => { setState("failed"); show("info", String(error)); });
