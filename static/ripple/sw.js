// The service worker, served as /sw.js (scope /): shows Web Push notifications while no
// Ripple tab is focused, and closes them when their notifications are removed.
//
// A push carries either {kind: "notification", recipient_id, notification: <the frame the
// WebSocket sends>} or {kind: "removed", ids}. The title comes from the same `describe` as
// the toasts. Each notification is shown under tag = its id, so a push that arrives twice
// (a retry) is shown once, and a removal finds it with getNotifications({tag}).

import { describe } from "/static/ripple/notifications.js";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = null;
  try {
    message = event.data ? event.data.json() : null;
  } catch {
    message = null;
  }
  event.waitUntil(handle(message));
});

async function handle(message) {
  if (message?.kind === "removed") return close(message.ids ?? []);
  if (message?.kind !== "notification" || !message.notification) return;
  // A focused tab shows the toast itself; the server skips users with any open socket,
  // but a tab may have connected since the push left.
  if (await focusedTab()) return;
  const item = message.notification;
  const tag = String(item.id);
  if ((await self.registration.getNotifications({ tag })).length) return;
  const group = item.group?.key ?? null;
  const { text, href, preview } = describe(item, item.group?.count ?? 1, null, message.recipient_id);
  // The newest of a group (a burst of posts, the likes of one post) replaces the older ones.
  if (group) {
    for (const shown of await self.registration.getNotifications()) {
      if (shown.data?.group === group) shown.close();
    }
  }
  await self.registration.showNotification(text, {
    body: preview,
    tag,
    icon: "/static/ripple/icon.svg",
    timestamp: Date.parse(item.created_at) || Date.now(),
    data: { id: item.id, href, group },
  });
}

async function close(ids) {
  for (const id of ids) {
    for (const shown of await self.registration.getNotifications({ tag: String(id) })) shown.close();
  }
}

async function focusedTab() {
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  return tabs.some((tab) => tab.focused && tab.visibilityState === "visible");
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const { id, href } = event.notification.data ?? {};
  event.waitUntil(open(href || "/inbox/", id));
});

// Opens (or focuses) the page the notification leads to; the page marks it read, since a
// service worker has no CSRF token to do it with (app.js: `#read-<id>` and "ripple:read").
async function open(href, id) {
  const url = new URL(href, self.location.origin);
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = tabs.find((candidate) => new URL(candidate.url).pathname === url.pathname);
  if (tab) {
    await tab.focus();
    if (id) tab.postMessage({ type: "ripple:read", id });
    return;
  }
  if (id) url.hash = `read-${id}`;
  await self.clients.openWindow(url.href);
}
