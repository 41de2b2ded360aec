// The inbox page: every notification or one entry per batching group, with read state,
// Done (undoable), "load more", live arrivals, and every other tab's changes applied live.

import { api } from "./api.js";
import { badge, realtime } from "./app.js";
import { avatar, h, infiniteScroll, showError, timeElement } from "./dom.js";
import { describe, groupOf } from "./notifications.js";

const params = new URLSearchParams(location.search);
const grouped = params.get("view") === "grouped";
const list = document.getElementById("inbox-list");
const empty = document.getElementById("inbox-empty");
const more = document.getElementById("inbox-more");
const status = document.getElementById("inbox-status");
const unreadOnly = document.getElementById("unread-only");
const markAll = document.getElementById("mark-all-read");
const undoBar = document.getElementById("undo-bar");
const skeleton = document.getElementById("inbox-skeleton");
const loading = document.getElementById("inbox-loading");
const chips = document.getElementById("type-chips");
const shortcuts = document.getElementById("shortcuts");
// The type chips: each shows some notification types.
const FILTERS = {
  posts: ["new_post"],
  requests: ["friend_request", "friend_accepted"],
  messages: ["new_message"],
  activity: ["post_liked", "post_replied", "mentioned"],
};
const ICONS = {
  new_post: "✎",
  friend_request: "+",
  friend_accepted: "✓",
  new_message: "✉",
  post_liked: "♥",
  post_replied: "↩",
  mentioned: "@",
};
const filter = FILTERS[params.get("type")] ? params.get("type") : "";
const rows = new Map(); // item id (all) or group key (grouped) → {entry, element}
const UNDO_MS = 12_000; // at least 10 s to change one's mind
let next = null;
let undoTimer = null;

unreadOnly.checked = params.get("unread") === "true";

function say(message) {
  if (message instanceof Error) {
    showError(status, message);
    return;
  }
  status.textContent = message;
  delete status.dataset.kind;
  delete status.dataset.networkError;
}

// --- rendering ---

function link(item, count, group, onOpen) {
  const { text, href } = describe(item, count, group);
  return h("a", { class: "notice-link", href, onClick: onOpen }, text);
}

function row({ key, unread, item, count, group = null, actions, onOpen, extra, outcome }) {
  const { preview } = describe(item, count, group);
  return h(
    "li",
    { class: `notice${unread ? " unread" : ""}`, dataset: { key: String(key), type: item.type } },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", { class: "notice-who", "aria-hidden": "true" }, avatar(item.actor), h("span", { class: "type-icon", text: ICONS[item.type] ?? "•" })),
    h(
      "div",
      { class: "notice-body" },
      h("div", { class: "notice-title" }, unread ? h("span", { class: "visually-hidden", text: "Unread: " }) : null, link(item, count, group, onOpen), extra),
      preview ? h("p", { class: "notice-preview", text: preview }) : null,
      outcome ? h("p", { class: "notice-outcome", text: outcome }) : null,
      timeElement(item.created_at),
    ),
    h("div", { class: "notice-actions" }, ...actions),
  );
}

function button(text, label, onClick, action, extra = "") {
  return h("button", { type: "button", class: `small ${extra}`.trim(), "aria-label": label, dataset: { action }, onClick }, text);
}

/** Accept and Decline on a friend request that is still unread and unanswered. */
function requestButtons(item) {
  if (item.type !== "friend_request" || !item.data?.request_id || item.outcome) return [];
  const name = item.actor?.username ?? "someone";
  return [
    button("Accept", `Accept friend request from ${name}`, () => answerRequest(item, "accept"), "accept", "primary"),
    button("Decline", `Decline friend request from ${name}`, () => answerRequest(item, "decline"), "decline"),
  ];
}

function itemRow(item) {
  const unread = !item.read_at;
  const { text } = describe(item);
  return row({
    key: item.id,
    unread,
    item,
    count: 1,
    outcome: item.outcome,
    onOpen: (event) => openItem(event, item),
    actions: [
      ...requestButtons(item),
      unread
        ? button("Mark read", `Mark read: ${text}`, () => setRead(item, true), "read")
        : button("Mark unread", `Mark unread: ${text}`, () => setRead(item, false), "unread"),
      button("Done", `Done: ${text}`, () => markDone(item.id, [item.id], text), "done"),
    ],
  });
}

function groupRow(entry) {
  const unread = entry.unread_count > 0;
  const { text } = describe(entry.latest, entry.count, entry);
  const actions = [button("Done", `Done: ${text}`, () => markDone(entry.key, entry.ids, text), "done")];
  if (unread) actions.unshift(button("Mark read", `Mark read: ${text}`, () => readGroup(entry), "read"));
  const extra = entry.count > 1 ? h("span", { class: "count-pill", "aria-hidden": "true", text: String(entry.count) }) : null;
  return row({ key: entry.key, unread, item: entry.latest, count: entry.count, group: entry, onOpen: (event) => openGroup(event, entry), actions, extra });
}

function render(key, entry, { atTop = false } = {}) {
  const element = grouped ? groupRow(entry) : itemRow(entry);
  const existing = rows.get(key);
  const hadFocus = existing?.element.contains(document.activeElement);
  if (existing && !atTop) existing.element.replaceWith(element);
  else {
    existing?.element.remove();
    if (atTop) list.prepend(element);
    else list.append(element);
  }
  rows.set(key, { entry, element });
  empty.hidden = rows.size > 0;
  if (hadFocus) element.querySelector("a").focus();
}

/** Put an item back where its id belongs (ids are newest first). */
function insertInOrder(item) {
  if (rows.has(item.id)) return;
  const after = [...rows.values()].find(({ entry }) => entry.id < item.id);
  render(item.id, item);
  if (after) list.insertBefore(rows.get(item.id).element, after.element);
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

// Pages being fetched, and the live changes that arrived meanwhile, applied in order once
// the fetched entries are in place.
let fetching = 0;
const afterFetch = [];

function whenFetched(apply) {
  if (fetching) afterFetch.push(apply);
  else apply();
}

const PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100; // the API's bound

async function loadPage(url, size = PAGE_SIZE) {
  const fromButton = document.activeElement === more;
  const before = rows.size;
  more.disabled = true;
  fetching += 1;
  try {
    const query = {
      page_size: size,
      unread: unreadOnly.checked ? "true" : undefined,
      grouped: grouped ? "true" : undefined,
      type: filter ? FILTERS[filter].join(",") : undefined,
    };
    const page = await api.get(url ?? "/api/notifications/", url ? undefined : query);
    for (const entry of page.results) {
      const key = grouped ? entry.key : entry.id;
      if (!rows.has(key)) render(key, entry);
    }
    next = page.next;
    empty.hidden = rows.size > 0;
    markSeenSoon();
  } catch (error) {
    say(error);
  } finally {
    fetching -= 1;
    // A frame the fetched entries already count is skipped then (its id is known).
    if (!fetching) for (const apply of afterFetch.splice(0)) apply();
    more.hidden = !next;
    more.disabled = false;
    skeleton.hidden = true;
    loading.textContent = "";
    // Disabling the button took focus away: give it back, or to the first new entry.
    if (fromButton) (more.hidden ? [...rows.values()][before]?.element.querySelector("a, button") : more)?.focus();
  }
}

function loadMore() {
  if (next && !more.disabled) loadPage(next);
}

/**
 * Fetch the list again from the top. With `keepPlace` (the same view, its contents changed
 * elsewhere) as many entries come back as were shown, and the focus returns to the entry
 * and the control it was on, so triage by keyboard goes on where it was.
 */
async function reload({ keepPlace = false } = {}) {
  const row = keepPlace ? focusedRow() : null;
  const focus = row && { key: row.dataset.key, action: document.activeElement.dataset?.action };
  const size = keepPlace ? Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, rows.size)) : PAGE_SIZE;
  rows.clear();
  list.replaceChildren();
  next = null;
  await loadPage(undefined, size);
  if (!focus) return;
  const again = list.querySelector(`:scope > li[data-key="${CSS.escape(focus.key)}"]`);
  if (!again) return;
  const control = focus.action && again.querySelector(`[data-action="${CSS.escape(focus.action)}"]`);
  (control ?? again.querySelector("a")).focus();
}

// --- seen: what this page shows while it is visible has been seen ---

let seenTimer = null;
let seenUpTo = 0;

function markSeenSoon() {
  clearTimeout(seenTimer);
  seenTimer = setTimeout(markSeen, 300);
}

async function markSeen() {
  const newest = newestShownId();
  if (document.visibilityState !== "visible" || newest <= seenUpTo) return;
  seenUpTo = newest;
  try {
    const counts = await api.post("/api/notifications/seen/", { last_seen_id: newest });
    badge.set(counts.unseen);
  } catch {
    seenUpTo = 0; // try again on the next arrival or visit
  }
}

document.addEventListener("visibilitychange", markSeenSoon);

// --- actions ---

async function openItem(event, item) {
  if (item.read_at) return;
  event.preventDefault();
  // currentTarget is only set while the event is dispatched: read it before awaiting.
  const href = event.currentTarget.href;
  await setRead(item, true).catch(() => {});
  location.assign(href);
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
    const current = rows.get(item.id)?.entry ?? item;
    render(item.id, { ...current, read_at: updated.read_at });
    rows.get(item.id).element.querySelector(`[data-action="${read ? "unread" : "read"}"]`)?.focus();
  } catch (error) {
    say(error);
  }
}

async function readGroup(entry) {
  try {
    // Bounded by what this page knows of the group: a newer member stays unread.
    await api.post("/api/notifications/read-all/", { group: entry.key, up_to: Math.max(...entry.ids) });
    render(entry.key, { ...entry, unread_count: 0 });
    rows.get(entry.key).element.querySelector('[data-action="done"]')?.focus();
  } catch (error) {
    say(error);
  }
}

async function answerRequest(item, verb) {
  const name = item.actor?.username ?? "them";
  let outcome;
  try {
    await api.post(`/api/friend-requests/${item.data.request_id}/${verb}/`);
    outcome = verb === "accept" ? `You and ${name} are now friends.` : `You declined ${name}'s request.`;
  } catch (error) {
    if (error.status !== 404) {
      say(error);
      return;
    }
    outcome = "This request is no longer pending.";
  }
  let read = item;
  try {
    read = await api.post(`/api/notifications/${item.id}/read/`);
  } catch {
    // the outcome stands; the read state follows on the next change
  }
  render(item.id, { ...(rows.get(item.id)?.entry ?? item), read_at: read.read_at, outcome });
  rows.get(item.id)?.element.querySelector("a").focus();
  say(outcome);
}

async function markDone(key, ids, text) {
  try {
    if (ids.length === 1) await api.post(`/api/notifications/${ids[0]}/done/`);
    else await api.post("/api/notifications/done-all/", { group: String(key), up_to: Math.max(...ids) });
    forget(key);
    offerUndo(ids, text);
  } catch (error) {
    say(error);
  }
}

function offerUndo(ids, text) {
  clearTimeout(undoTimer);
  const undo = h("button", { type: "button", class: "small", onClick: () => undoDone(ids) }, "Undo");
  undoBar.replaceChildren(h("span", { text: `Done: ${text}` }), undo);
  undoBar.hidden = false;
  // Shown long enough to change one's mind; kept while the pointer or focus is on it.
  const hide = () => {
    if (undoBar.matches(":hover, :focus-within")) undoTimer = setTimeout(hide, 2000);
    else undoBar.hidden = true;
  };
  undoTimer = setTimeout(hide, UNDO_MS);
}

async function undoDone(ids) {
  clearTimeout(undoTimer);
  try {
    const items = await Promise.all(ids.map((id) => api.post(`/api/notifications/${id}/undone/`)));
    undoBar.hidden = true;
    if (grouped) await reload();
    else items.forEach(insertInOrder);
    const first = grouped ? null : rows.get(items[0]?.id);
    (first?.element.querySelector("a") ?? document.getElementById("inbox-heading")).focus();
    say("Back in your inbox.");
  } catch (error) {
    say(error);
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
  } catch (error) {
    say(error);
  }
});

unreadOnly.addEventListener("change", () => {
  const url = new URL(location.href);
  if (unreadOnly.checked) url.searchParams.set("unread", "true");
  else url.searchParams.delete("unread");
  history.replaceState(null, "", url);
  reload();
});

more.addEventListener("click", loadMore);
// Scrolling near the end loads the next page; the button stays for keyboards and old browsers.
infiniteScroll(more, loadMore);

// --- type chips ---

for (const chip of chips.querySelectorAll("[data-filter]")) {
  chip.setAttribute("aria-pressed", String(chip.dataset.filter === filter));
  chip.addEventListener("click", () => {
    const url = new URL(location.href);
    if (chip.dataset.filter) url.searchParams.set("type", chip.dataset.filter);
    else url.searchParams.delete("type");
    location.assign(url);
  });
}

function shownHere(item) {
  return !filter || FILTERS[filter].includes(item.type);
}

// --- keyboard: j/k move, o/Enter open, e done, u read/unread, ? help ---

function focusedRow() {
  return document.activeElement?.closest?.("#inbox-list > li") ?? null;
}

function moveFocus(step) {
  const all = [...list.children];
  if (!all.length) return;
  const index = all.indexOf(focusedRow());
  const target = all[index === -1 ? 0 : Math.min(all.length - 1, Math.max(0, index + step))];
  target.querySelector("a").focus();
  target.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (event.target.closest?.("input, textarea, select, [contenteditable], dialog")) return;
  const current = focusedRow();
  const press = (action) => current?.querySelector(`[data-action="${action}"]`)?.click();
  switch (event.key) {
    case "j":
      moveFocus(1);
      break;
    case "k":
      moveFocus(-1);
      break;
    case "o":
      current?.querySelector("a").click();
      break;
    case "e":
      press("done");
      break;
    case "u":
      if (current?.querySelector('[data-action="read"]')) press("read");
      else press("unread");
      break;
    case "?":
      shortcuts.showModal();
      break;
    default:
      return;
  }
  event.preventDefault();
});

document.getElementById("shortcuts-open").addEventListener("click", () => shortcuts.showModal());

// --- live updates ---

// A pushed frame has the same shape as a fetched item.
realtime.addEventListener("notification", ({ detail: { frame: item } }) => {
  markSeenSoon();
  if (!shownHere(item)) return;
  if (!grouped) {
    if (!rows.has(item.id)) render(item.id, item, { atTop: true });
    return;
  }
  // While groups are being fetched, a frame waits for them: on its own it would stand in
  // for a group whose other members and actors only the server's entry holds.
  whenFetched(() => showInGroup(item));
});

function showInGroup(item) {
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
}

let regroupTimer = null;

/** Fetch the groups again shortly (once for a burst of changes). */
function regroupSoon() {
  clearTimeout(regroupTimer);
  regroupTimer = setTimeout(() => reload({ keepPlace: true }), 200);
}

/** Another tab (or this one) changed read or done state: show what the server now holds. */
realtime.addEventListener("updated", ({ detail: update }) => {
  if (update.state === "seen") return;
  if (grouped) {
    // A group's counts span items this page never loaded: ask for the groups again.
    if (update.ids.some((id) => [...rows.values()].some(({ entry }) => entry.ids.includes(id))) || update.state === "undone") {
      regroupSoon();
    }
    return;
  }
  applyStates(update);
});

function applyStates({ ids, state, read_at: readAt, items = [] }) {
  if (state === "undone") {
    for (const item of items) if ((!unreadOnly.checked || !item.read_at) && shownHere(item)) insertInOrder(item);
    return;
  }
  for (const id of ids) {
    const entry = rows.get(id)?.entry;
    if (!entry) continue;
    if (state === "done" || (state === "read" && unreadOnly.checked)) forget(id);
    else if (state === "read" && !entry.read_at) render(id, { ...entry, read_at: readAt ?? new Date().toISOString() });
    else if (state === "unread" && entry.read_at) render(id, { ...entry, read_at: null });
  }
}

// Back from offline: what this page holds may have changed meanwhile.
let firstSync = true;
realtime.addEventListener("synced", async () => {
  if (firstSync) {
    firstSync = false;
    return;
  }
  if (grouped) {
    reload({ keepPlace: true });
    return;
  }
  const held = [...rows.keys()].slice(0, 100);
  if (!held.length) return;
  try {
    const { results } = await api.get("/api/notifications/states/", { ids: held.join(",") });
    const current = new Map(results.map((state) => [state.id, state]));
    for (const id of held) {
      const state = current.get(id);
      const entry = rows.get(id)?.entry;
      if (!entry) continue;
      if (!state || state.done || (unreadOnly.checked && state.read_at)) forget(id);
      else if (Boolean(state.read_at) !== Boolean(entry.read_at)) render(id, { ...entry, read_at: state.read_at });
    }
  } catch (error) {
    say(error);
  }
});

// A removal that lands during a fetch waits for it: the fetch may bring the removed rows.
realtime.addEventListener("removed", ({ detail: ids }) => whenFetched(() => removeRows(ids)));

function removeRows(ids) {
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
      // Which actors went is not known here: likes are one per person, others keep theirs
      // until the server's groups, fetched again, name who is left.
      const actorCount = entry.latest.type === "post_liked" ? count : entry.actor_count;
      render(key, { ...entry, ids: left, count, actor_count: actorCount });
      regroupSoon();
    }
  }
}

loadPage();
