// The inbox page: every notification or one entry per batching group, with read state,
// dismissal, "load more", and live arrivals.

import { api } from "./api.js";
import { badge, realtime } from "./app.js";
import { h, timeElement } from "./dom.js";
import { describe, groupOf } from "./notifications.js";

const params = new URLSearchParams(location.search);
const grouped = params.get("view") === "grouped";
const list = document.getElementById("inbox-list");
const empty = document.getElementById("inbox-empty");
const more = document.getElementById("inbox-more");
const status = document.getElementById("inbox-status");
const unreadOnly = document.getElementById("unread-only");
const markAll = document.getElementById("mark-all-read");
const rows = new Map(); // item id (all) or group key (grouped) → {entry, element}
let next = null;

unreadOnly.checked = params.get("unread") === "true";

function say(message) {
  status.textContent = message;
}

// --- rendering ---

function link(item, count, group, onOpen) {
  const { text, href } = describe(item, count, group);
  return h("a", { class: "notice-link", href, onClick: onOpen }, text);
}

function row({ key, unread, item, count, group = null, actions, onOpen, extra }) {
  const { preview } = describe(item, count, group);
  return h(
    "li",
    { class: `notice${unread ? " unread" : ""}`, dataset: { key: String(key) } },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h(
      "div",
      { class: "notice-body" },
      h("div", { class: "notice-title" }, unread ? h("span", { class: "visually-hidden", text: "Unread: " }) : null, link(item, count, group, onOpen), extra),
      preview ? h("p", { class: "notice-preview", text: preview }) : null,
      timeElement(item.created_at),
    ),
    h("div", { class: "notice-actions" }, ...actions),
  );
}

function button(text, label, onClick, action) {
  return h("button", { type: "button", class: "small", "aria-label": label, dataset: { action }, onClick }, text);
}

function itemRow(item) {
  const unread = !item.read_at;
  const { text } = describe(item);
  return row({
    key: item.id,
    unread,
    item,
    count: 1,
    onOpen: (event) => openItem(event, item),
    actions: [
      unread
        ? button("Mark read", `Mark read: ${text}`, () => setRead(item, true), "read")
        : button("Mark unread", `Mark unread: ${text}`, () => setRead(item, false), "unread"),
      button("Dismiss", `Dismiss: ${text}`, () => dismiss(item.id, [item.id]), "dismiss"),
    ],
  });
}

function groupRow(entry) {
  const unread = entry.unread_count > 0;
  const { text } = describe(entry.latest, entry.count, entry);
  const actions = [button("Dismiss", `Dismiss: ${text}`, () => dismiss(entry.key, entry.ids), "dismiss")];
  if (unread) actions.unshift(button("Mark read", `Mark read: ${text}`, () => readGroup(entry), "read"));
  const extra = entry.count > 1 ? h("span", { class: "count-pill", "aria-hidden": "true", text: String(entry.count) }) : null;
  return row({ key: entry.key, unread, item: entry.latest, count: entry.count, group: entry, onOpen: (event) => openGroup(event, entry), actions, extra });
}

function render(key, entry, { atTop = false } = {}) {
  const element = grouped ? groupRow(entry) : itemRow(entry);
  const existing = rows.get(key);
  if (existing && !atTop) existing.element.replaceWith(element);
  else {
    existing?.element.remove();
    if (atTop) list.prepend(element);
    else list.append(element);
  }
  rows.set(key, { entry, element });
  empty.hidden = rows.size > 0;
}

function forget(key) {
  const existing = rows.get(key);
  if (!existing) return;
  const neighbour = existing.element.nextElementSibling ?? existing.element.previousElementSibling;
  const hadFocus = existing.element.contains(document.activeElement);
  existing.element.remove();
  rows.delete(key);
  empty.hidden = rows.size > 0;
  if (hadFocus) (neighbour?.querySelector("a, button") ?? document.getElementById("inbox-heading")).focus();
}

// --- loading ---

async function loadPage(url) {
  more.disabled = true;
  try {
    const query = { page_size: 20, unread: unreadOnly.checked ? "true" : undefined, grouped: grouped ? "true" : undefined };
    const page = await api.get(url ?? "/api/notifications/", url ? undefined : query);
    for (const entry of page.results) {
      const key = grouped ? entry.key : entry.id;
      if (!rows.has(key)) render(key, entry);
    }
    next = page.next;
    empty.hidden = rows.size > 0;
  } catch (error) {
    say(error.message);
  } finally {
    more.hidden = !next;
    more.disabled = false;
  }
}

function reload() {
  rows.clear();
  list.replaceChildren();
  next = null;
  loadPage();
}

// --- actions ---

async function openItem(event, item) {
  if (item.read_at) return;
  event.preventDefault();
  await setRead(item, true).catch(() => {});
  location.assign(event.currentTarget.href);
}

async function openGroup(event, entry) {
  if (!entry.unread_count) return;
  event.preventDefault();
  const href = event.currentTarget.href;
  await readGroup(entry).catch(() => {});
  location.assign(href);
}

async function setRead(item, read) {
  try {
    const updated = await api.post(`/api/notifications/${item.id}/${read ? "read" : "unread"}/`);
    render(item.id, { ...item, read_at: updated.read_at });
    rows.get(item.id).element.querySelector(`[data-action="${read ? "unread" : "read"}"]`)?.focus();
  } catch (error) {
    say(error.message);
  }
}

async function readGroup(entry) {
  try {
    await api.post("/api/notifications/read-all/", { group: entry.key });
    render(entry.key, { ...entry, unread_count: 0 });
    rows.get(entry.key).element.querySelector('[data-action="dismiss"]')?.focus();
  } catch (error) {
    say(error.message);
  }
}

async function dismiss(key, ids) {
  try {
    await Promise.all(ids.map((id) => api.delete(`/api/notifications/${id}/`)));
    forget(key);
    say("Dismissed.");
  } catch (error) {
    say(error.message);
  }
}

function newestShownId() {
  let newest = 0;
  for (const { entry } of rows.values()) newest = Math.max(newest, grouped ? entry.latest.id : entry.id);
  return newest;
}

function showAllRead(upTo = Infinity) {
  for (const [key, { entry }] of [...rows]) {
    if (grouped && entry.unread_count && entry.latest.id <= upTo) render(key, { ...entry, unread_count: 0 });
    if (!grouped && !entry.read_at && entry.id <= upTo) render(key, { ...entry, read_at: new Date().toISOString() });
  }
}

markAll.addEventListener("click", async () => {
  const upTo = newestShownId();
  if (!upTo) return;
  try {
    // Only what this page has shown: anything that arrived since stays unread.
    const { updated } = await api.post("/api/notifications/read-all/", { up_to: upTo });
    showAllRead(upTo);
    say(updated === 1 ? "Marked 1 notification read." : `Marked ${updated} notifications read.`);
    badge.refresh();
  } catch (error) {
    say(error.message);
  }
});

unreadOnly.addEventListener("change", () => {
  const url = new URL(location.href);
  if (unreadOnly.checked) url.searchParams.set("unread", "true");
  else url.searchParams.delete("unread");
  history.replaceState(null, "", url);
  reload();
});

more.addEventListener("click", () => loadPage(next));

// --- live updates ---

// A pushed frame has the same shape as a fetched item.
realtime.addEventListener("notification", ({ detail: { frame: item } }) => {
  if (!grouped) {
    if (!rows.has(item.id)) render(item.id, item, { atTop: true });
    return;
  }
  const { key, count } = groupOf(item);
  const known = rows.get(key)?.entry;
  if (known?.ids.includes(item.id)) return;
  const earlier = (known?.actors ?? []).filter((actor) => actor.id !== item.actor?.id);
  const isNewActor = earlier.length === (known?.actors ?? []).length;
  const total = count ?? (known?.count ?? 0) + 1;
  render(
    key,
    {
      key,
      count: total,
      unread_count: (known?.unread_count ?? 0) + 1,
      ids: [...(known?.ids ?? []), item.id],
      latest: item,
      // The group grows: its latest actor first. Every like is a different person.
      actors: [item.actor, ...earlier].filter(Boolean).slice(0, 3),
      actor_count: item.type === "post_liked" ? total : (known?.actor_count ?? 0) + (isNewActor ? 1 : 0),
    },
    { atTop: true },
  );
});

realtime.addEventListener("unread", ({ detail: count }) => {
  if (count === 0) showAllRead(); // read everywhere, e.g. from another tab
});

realtime.addEventListener("removed", ({ detail: ids }) => {
  const removed = new Set(ids);
  for (const [key, { entry }] of [...rows]) {
    if (!grouped) {
      if (removed.has(entry.id)) forget(key);
      continue;
    }
    const left = entry.ids.filter((id) => !removed.has(id));
    if (left.length === entry.ids.length) continue;
    if (!left.length) forget(key);
    else {
      const count = entry.count - (entry.ids.length - left.length);
      // Which actors went is not known here: likes are one per person, others keep theirs.
      const actorCount = entry.latest.type === "post_liked" ? count : entry.actor_count;
      render(key, { ...entry, ids: left, count, actor_count: actorCount });
    }
  }
});

loadPage();
