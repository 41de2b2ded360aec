// The post page: one post, its replies, and a reply form.

import { api } from "./api.js";
import { realtime } from "./app.js";
import { h, showFieldErrors, timeElement } from "./dom.js";
import { postCard, showCounts, withMentions } from "./post-card.js";

const container = document.getElementById("post");
const postId = Number(container.dataset.postId);
const replies = document.getElementById("replies");
const more = document.getElementById("replies-more");
const form = document.getElementById("reply-form");
const status = document.getElementById("reply-status");
let next = null;
let replyCount = 0;
// Counts frames applied since the last reply was sent: one that arrives before the reply's
// own answer may already count it.
let countsFrames = 0;

function replyItem(reply) {
  return h(
    "li",
    { class: "reply", dataset: { replyId: reply.id } },
    h("div", { class: "post-meta" }, h("strong", { text: reply.author.username }), timeElement(reply.created_at)),
    h("p", { class: "post-content" }, ...withMentions(reply.content)),
  );
}

function showCount() {
  const label = container.querySelector(".replies");
  if (label) label.textContent = `${replyCount} ${replyCount === 1 ? "reply" : "replies"}`;
}

async function loadReplies(url) {
  const page = await api.get(url ?? `/api/posts/${postId}/replies/`);
  replies.append(...page.results.map(replyItem));
  next = page.next;
  more.hidden = !next;
}

async function load() {
  try {
    const post = await api.get(`/api/posts/${postId}/`);
    replyCount = post.reply_count;
    container.replaceChildren(postCard(post, { link: false }));
    form.hidden = false;
    await loadReplies();
  } catch (error) {
    container.replaceChildren(h("p", { class: "notice-empty", text: error.status === 404 ? "This post is not available." : error.message }));
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  status.textContent = "";
  try {
    const framesBefore = countsFrames;
    const reply = await api.post(`/api/posts/${postId}/replies/`, { content: form.content.value });
    showFieldErrors(form, {});
    if (!next) replies.append(replyItem(reply)); // oldest first: it belongs on the last page
    // The server's count is the truth: once a frame came while this reply was on its way,
    // the frame of this reply has set the count or will set it.
    if (countsFrames === framesBefore) replyCount += 1;
    showCount();
    form.reset();
    status.textContent = "Reply posted.";
  } catch (error) {
    if (showFieldErrors(form, error.fields).length || !Object.keys(error.fields).length) {
      status.textContent = error.message;
    }
  }
});

more.addEventListener("click", () => loadReplies(next));

realtime.addEventListener("counts", ({ detail }) => {
  if (detail.post_id !== postId) return;
  if (Number.isSafeInteger(detail.reply_count)) {
    replyCount = detail.reply_count;
    countsFrames += 1;
  }
  showCounts(detail);
});

load();
