// SessionGrains.SignalR resume point for @microsoft/signalr connections (the browser build, global `signalR`).
// The server follows every message with the invocation "sg.seq"(n) in the same frame. This remembers n, and before
// every reconnect puts it in the hub URL as ?resumeAfter=n, so whichever server takes the connection replays exactly
// the messages after n: each message once, in order, across server failures, without sticky sessions.
//
//   const connection = new signalR.HubConnectionBuilder()
//       .withUrl("/hubs/chat", { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
//       .withAutomaticReconnect().build();
//   const resume = SessionGrainsSignalR.track(connection, { storageKey: "chat", onGap: (expected, got) => ... });
//   connection.on("said", ...);            // the app's handlers, as usual
//   await resume.start();                  // instead of connection.start(): starts from the remembered point
//
// storageKey (optional) keeps the point in sessionStorage, so a reload of the page also resumes. The recipient is the
// session (cookie "sid" or access_token), so another tab of the same session has its own point but the same messages.
// Skip negotiation: a negotiated connection is tied to the server that answered the negotiate (sticky again).
(function (global) {
    "use strict";

    function withResume(url, last) {
        const base = url.replace(/([?&])resumeAfter=\d*(&|$)/, (m, before, after) => (after ? before : "")).replace(/[?&]$/, "");
        return last === null ? base : base + (base.includes("?") ? "&" : "?") + "resumeAfter=" + last;
    }

    function track(connection, options) {
        options = options || {};
        const storage = options.storageKey && global.sessionStorage ? global.sessionStorage : null;
        const key = options.storageKey ? "sessiongrains.resume." + options.storageKey : null;
        const stored = storage ? Number.parseInt(storage.getItem(key) || "", 10) : NaN;
        let last = Number.isFinite(stored) ? stored : null;

        connection.on("sg.seq", (sequence) => {
            const expected = last === null ? null : last + 1;
            last = sequence;
            if (storage) storage.setItem(key, String(sequence));
            if (expected !== null && sequence > expected && options.onGap) options.onGap(expected, sequence);
        });
        // The URL may be changed while the connection is reconnecting or disconnected, which is when it is needed.
        connection.onreconnecting(() => { connection.baseUrl = withResume(connection.baseUrl, last); });

        return {
            get last() { return last; },
            start() {
                connection.baseUrl = withResume(connection.baseUrl, last);
                return connection.start();
            },
        };
    }

    global.SessionGrainsSignalR = { track };
})(typeof window !== "undefined" ? window : globalThis);
