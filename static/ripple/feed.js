// The feed page: write a post, read the feed, and see friends' new posts arrive live.

import { api } from "./api.js";
import { otherTabs, realtime } from "./app.js";
import { h, infiniteScroll, showError, showFieldErrors } from "./dom.js";
import { postCard, showCounts } from "./post-card.js";

const form = document.getElementById("post-form");
const formStatus = document.getElementById("post-status");
const list = document.getElementById("feed");
const empty = document.getElementById("feed-empty");
const more = document.getElementById("feed-more");
const newPosts = document.getElementById("feed-new");
const skeleton = document.getElementById("feed-skeleton");
const waiting = []; // live posts held back while the reader is scrolled down the feed
const content = form.elements.content;
const counter = document.getElementById("content-count");
const maxLength = Number(content.dataset.maxLength);
const numbers = new Intl.NumberFormat("en");
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
  const fromButton = document.activeElement === more;
  const before = list.children.length;
  more.disabled = true;
  try {
    const page = await api.get(url ?? "/api/posts/");
    page.results.forEach((post) => add(post, { atTop: false }));
    next = page.next;
    empty.hidden = list.children.length > 0;
  } catch (error) {
    showError(formStatus, error);
  } finally {
    more.hidden = !next;
    more.disabled = false;
    skeleton.hidden = true;
    // Disabling the button took focus away: give it back, or to the first new post.
    if (fromButton) (more.hidden ? list.children[before]?.querySelector("a, button") : more)?.focus();
  }
}

/** "12 / 5,000", or how many characters to cut; returns whether the text fits. */
function countCharacters() {
  const length = content.value.length;
  const over = length - maxLength;
  counter.textContent =
    over > 0
      ? `${numbers.format(length)} / ${numbers.format(maxLength)}: ${numbers.format(over)} characters too many`
      : `${numbers.format(length)} / ${numbers.format(maxLength)}`;
  counter.dataset.over = String(over > 0);
  if (over <= 0 && content.getAttribute("aria-invalid") === "true") showFieldErrors(form, {});
  return over <= 0;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const button = form.querySelector("button[type=submit]");
  formStatus.textContent = "";
  if (!countCharacters()) {
    const length = numbers.format(content.value.length);
    showFieldErrors(form, {
      content: [`A post can have at most ${numbers.format(maxLength)} characters; this one has ${length}.`],
    });
    content.focus();
    return;
  }
  button.disabled = true;
  try {
    const post = await api.post("/api/posts/", { content: data.get("content"), type: data.get("type") });
    showFieldErrors(form, {});
    add(post, { atTop: true, fresh: true });
    otherTabs?.postMessage({ type: "post", post });
    form.reset();
    countCharacters();
    formStatus.textContent = "Posted.";
  } catch (error) {
    const unplaced = showFieldErrors(form, error.fields);
    if (unplaced.length || !Object.keys(error.fields).length) showError(formStatus, error);
  } finally {
    button.disabled = false;
    // The disabled button lost focus; the next post starts in the text box.
    content.focus();
  }
});

content.addEventListener("input", countCharacters);
countCharacters();

// Ctrl+Enter (or ⌘+Enter) posts from the text box.
content.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});

function loadMore() {
  if (next && !more.disabled) loadPage(next);
}

more.addEventListener("click", loadMore);
infiniteScroll(more, loadMore);

/** A friend's live post: at the top if the reader is there, else counted in "N new posts". */
function arrive(post) {
  if (window.scrollY < 200 || has(post.id)) {
    add(post, { atTop: true, fresh: true });
    return;
  }
  if (waiting.some((held) => held.id === post.id)) return;
  waiting.push(post);
  newPosts.textContent = waiting.length === 1 ? "1 new post" : `${waiting.length} new posts`;
  newPosts.hidden = false;
}

newPosts.addEventListener("click", () => {
  for (const post of waiting.splice(0)) add(post, { atTop: true, fresh: true });
  newPosts.hidden = true;
  window.scrollTo({ top: 0 });
  list.querySelector("a, button")?.focus({ preventScroll: true });
});

// Which card each live notification added, so a withdrawn notification takes its card along.
const cardForNotification = new Map();

realtime.addEventListener("notification", ({ detail: { frame } }) => {
  if (frame.type !== "new_post" || !frame.data) return;
  arrive(frame.data);
  cardForNotification.set(frame.id, frame.data.id);
});

// The server pushes a post to the author's friends, not to the author: their other tabs
// here hear of it from this tab.
otherTabs?.addEventListener("message", ({ data }) => {
  if (data?.type === "post" && data.post) add(data.post, { atTop: true, fresh: true });
});

// Likes and replies of posts on this feed, as they happen.
realtime.addEventListener("counts", ({ detail }) => showCounts(detail));

realtime.addEventListener("removed", ({ detail: ids }) => {
  for (const id of ids) {
    const postId = cardForNotification.get(id);
    if (postId === undefined) continue;
    cardForNotification.delete(id);
    const held = waiting.findIndex((post) => post.id === postId);
    if (held !== -1) waiting.splice(held, 1);
    list.querySelector(`li[data-post-id="${postId}"]`)?.remove();
  }
  empty.hidden = list.children.length > 0;
});

loadPage();
