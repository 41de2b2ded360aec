// The feed page: write a post, read the feed, and see friends' new posts arrive live.

import { api } from "./api.js";
import { realtime } from "./app.js";
import { h, showFieldErrors } from "./dom.js";
import { postCard, showCounts } from "./post-card.js";

const form = document.getElementById("post-form");
const formStatus = document.getElementById("post-status");
const list = document.getElementById("feed");
const empty = document.getElementById("feed-empty");
const more = document.getElementById("feed-more");
let next = null;

function has(postId) {
  return list.querySelector(`[data-post-id="${postId}"]`) !== null;
}

function add(post, { atTop, fresh = false }) {
  if (has(post.id)) return;
  const card = postCard(post);
  if (fresh) card.classList.add("fresh");
  const item = h("li", { dataset: { postId: post.id } }, card);
  if (atTop) list.prepend(item);
  else list.append(item);
  empty.hidden = true;
}

async function loadPage(url) {
  more.disabled = true;
  try {
    const page = await api.get(url ?? "/api/posts/");
    page.results.forEach((post) => add(post, { atTop: false }));
    next = page.next;
    empty.hidden = list.children.length > 0;
  } catch (error) {
    formStatus.textContent = error.message;
  } finally {
    more.hidden = !next;
    more.disabled = false;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  formStatus.textContent = "";
  try {
    const post = await api.post("/api/posts/", { content: data.get("content"), type: data.get("type") });
    showFieldErrors(form, {});
    add(post, { atTop: true, fresh: true });
    form.reset();
    formStatus.textContent = "Posted.";
  } catch (error) {
    const unplaced = showFieldErrors(form, error.fields);
    if (unplaced.length || !Object.keys(error.fields).length) formStatus.textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

// Ctrl+Enter (or ⌘+Enter) posts from the text box.
form.content.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});

more.addEventListener("click", () => loadPage(next));

// Which card each live notification added, so a withdrawn notification takes its card along.
const cardForNotification = new Map();

realtime.addEventListener("notification", ({ detail: { frame } }) => {
  if (frame.type !== "new_post" || !frame.data) return;
  add(frame.data, { atTop: true, fresh: true });
  cardForNotification.set(frame.id, frame.data.id);
});

// Likes and replies of posts on this feed, as they happen.
realtime.addEventListener("counts", ({ detail }) => showCounts(detail));

realtime.addEventListener("removed", ({ detail: ids }) => {
  for (const id of ids) {
    const postId = cardForNotification.get(id);
    if (postId === undefined) continue;
    cardForNotification.delete(id);
    list.querySelector(`li[data-post-id="${postId}"]`)?.remove();
  }
  empty.hidden = list.children.length > 0;
});

loadPage();
