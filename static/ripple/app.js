// Runs on every signed-in page: the socket, the unread badge and the toasts.
// Page modules import what they need from here, so there is one socket per page.

import { api } from "./api.js";
import { UnreadBadge } from "./badge.js";
import { clearNetworkErrors, refreshTimes } from "./dom.js";
import { unsubscribe } from "./push.js";
import { RealtimeClient } from "./realtime.js";
import { Toasts } from "./toasts.js";

export const currentUser = {
  id: Number(document.body.dataset.userId),
  username: document.body.dataset.username,
};

const scheme = location.protocol === "https:" ? "wss:" : "ws:";

export const realtime = new RealtimeClient({
  url: `${scheme}//${location.host}/ws/notifications/`,
  storageKey: `ripple:last-notification-id:${currentUser.id}`,
  latestId: async () => {
    const page = await api.get("/api/notifications/", { page_size: 1 });
    return page.results[0]?.id ?? 0;
  },
});

export const badge = new UnreadBadge(
  document.getElementById("inbox-link"),
  document.getElementById("unread-badge"),
);
export const toasts = new Toasts(document.getElementById("toasts"));

realtime.addEventListener("notification", ({ detail: { frame, replayed } }) => {
  // A replay is followed by "synced", which refreshes the count once for all of it.
  if (!replayed) badge.bump();
  toasts.notify(frame); // a pushed frame is an inbox item
});
realtime.addEventListener("synced", () => badge.refresh());
// A retraction's unread count: the unseen count may have moved too.
realtime.addEventListener("unread", () => badge.refreshSoon(0));
realtime.addEventListener("updated", ({ detail: update }) => {
  if (update.counts) badge.set(update.counts.unseen);
  if (update.state === "read" || update.state === "done") toasts.removeIds(update.ids);
});
realtime.addEventListener("removed", ({ detail: ids }) => {
  toasts.removeIds(ids);
  badge.refreshSoon();
});

realtime.addEventListener("terminated", () => {
  // The account was suspended or the session ended: the login page explains.
  location.assign(`/login/?next=${encodeURIComponent(location.pathname)}`);
});

const connection = document.getElementById("connection");
const STATE_LABELS = { open: "Live", connecting: "Connecting…", offline: "Reconnecting…" };
function showConnection(state) {
  connection.dataset.state = state;
  connection.textContent = state === "offline" && navigator.onLine === false ? "Offline" : STATE_LABELS[state];
  // A "cannot reach the server" message is stale once the line is back.
  if (state === "open") clearNetworkErrors();
}
realtime.addEventListener("state", ({ detail: state }) => showConnection(state));

/** The user's other tabs in this browser (what the server does not push back to its author). */
export const otherTabs = "BroadcastChannel" in window ? new BroadcastChannel(`ripple:tabs:${currentUser.id}`) : null;

// --- Web Push (push.js, sw.js) ---

// A notification clicked in the system tray opens its page with #read-<id>, or messages a
// tab already showing it: the page marks it read, as opening a toast does.
function markRead(id) {
  api.post(`/api/notifications/${id}/read/`).catch(() => {});
}
const readFromPush = location.hash.match(/^#read-(\d+)$/);
if (readFromPush) {
  markRead(readFromPush[1]);
  history.replaceState(null, "", location.pathname + location.search);
}
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type === "ripple:read" && Number.isSafeInteger(event.data.id)) markRead(event.data.id);
});

// Logging out forgets this browser's push subscription first (at most 2 s), so the next
// person on this browser does not get this account's notifications.
const logoutForm = document.getElementById("logout-form");
logoutForm?.addEventListener("submit", async (event) => {
  if (logoutForm.dataset.unsubscribed) return;
  event.preventDefault();
  logoutForm.dataset.unsubscribed = "true";
  await Promise.race([unsubscribe().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))]);
  logoutForm.submit();
});

badge.refresh();
realtime.start();
setInterval(() => refreshTimes(), 60_000);
