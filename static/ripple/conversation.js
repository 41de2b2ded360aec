// One conversation: the messages with a friend, oldest at the top, live, with a composer.
// Reading it marks its message notifications read.

import { api } from "./api.js";
import { currentUser, realtime } from "./app.js";
import { h, showError, showFieldErrors, timeElement } from "./dom.js";

const root = document.getElementById("conversation");
const other = { id: Number(root.dataset.otherId), username: root.dataset.otherUsername };
const thread = document.getElementById("thread");
const empty = document.getElementById("thread-empty");
const older = document.getElementById("thread-older");
const form = document.getElementById("message-form");
const text = form.elements.text;
const status = document.getElementById("message-status");
const maxLength = Number(text.dataset.maxLength);
const shown = new Set();
let next = null;

function bubble(message) {
  const mine = message.sender.id === currentUser.id;
  return h(
    "li",
    { class: `message${mine ? " mine" : ""}`, dataset: { messageId: message.id } },
    h("span", { class: "visually-hidden", text: mine ? "You: " : `${message.sender.username}: ` }),
    h("p", { class: "message-text", text: message.text }),
    timeElement(message.created_at),
  );
}

function add(message, { atEnd = true } = {}) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  if (atEnd) thread.append(bubble(message));
  else thread.prepend(bubble(message));
  empty.hidden = true;
}

async function load(url) {
  try {
    const page = await api.get(url ?? "/api/messages/", url ? undefined : { with: other.id, page_size: 30 });
    for (const message of page.results) add(message, { atEnd: false }); // newest first
    next = page.next;
    empty.hidden = shown.size > 0;
  } catch (error) {
    showError(status, error);
  } finally {
    older.hidden = !next;
  }
}

/** This conversation is on screen: its message notifications are read. */
async function markRead() {
  if (document.visibilityState !== "visible") return;
  try {
    // Only what this page has had the chance to show: a message arriving meanwhile stays unread.
    const upTo = realtime.lastId || undefined;
    await api.post("/api/notifications/read-all/", { actor: other.id, type: "new_message", up_to: upTo });
  } catch {
    // stays unread; the next visit tries again
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = text.value;
  if (!value.trim()) {
    showFieldErrors(form, { text: ["Write something first."] });
    text.focus();
    return;
  }
  if (value.length > maxLength) {
    showFieldErrors(form, { text: [`A message can have at most ${maxLength.toLocaleString("en")} characters; this one has ${value.length.toLocaleString("en")}.`] });
    text.focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const message = await api.post("/api/messages/", { to: other.id, text: value });
    showFieldErrors(form, {});
    status.textContent = "";
    add(message);
    form.reset();
  } catch (error) {
    const unplaced = showFieldErrors(form, error.fields);
    if (unplaced.length || !Object.keys(error.fields).length) showError(status, error);
  } finally {
    button.disabled = false;
    text.focus();
  }
});

text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});

older.addEventListener("click", async () => {
  await load(next);
  (older.hidden ? thread.querySelector("li") : older)?.focus?.();
});

realtime.addEventListener("notification", ({ detail: { frame } }) => {
  if (frame.type !== "new_message" || frame.data?.from_user?.id !== other.id) return;
  add({ id: frame.data.message_id, sender: frame.data.from_user, text: frame.data.text, created_at: frame.data.created_at });
  markRead();
});
realtime.addEventListener("synced", markRead); // the cursor now covers what was loaded
document.addEventListener("visibilitychange", markRead);

load().then(markRead);
