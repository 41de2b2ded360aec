// One post as a card: author (with their menu), type, time, content (mentions as links),
// like button and replies link; `showCounts` applies live counts to every card of a post.

import { api } from "./api.js";
import { currentUser } from "./app.js";
import { h, timeElement } from "./dom.js";
import { personMenu } from "./person-menu.js";

const TYPE_LABELS = { thoughts: "Thoughts", milestone: "Milestone", question: "Question" };

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

/** Like once per click; the server ignores a second like, so the button then turns off. */
function likeButton(post) {
  const count = h("span", { class: "count", text: String(post.likes_count) });
  const button = h(
    "button",
    { type: "button", class: "like", "aria-pressed": "false", "aria-label": `Like, ${plural(post.likes_count, "like", "likes")}` },
    h("span", { "aria-hidden": "true", text: "♥ " }),
    count,
  );
  button.addEventListener("click", async () => {
    const liked = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    try {
      const url = `/api/posts/${post.id}/like/`;
      const updated = liked ? await api.delete(url) : await api.post(url);
      const likes = updated?.likes_count ?? post.likes_count;
      count.textContent = String(likes);
      button.setAttribute("aria-pressed", String(!liked));
      button.setAttribute("aria-label", `${liked ? "Like" : "Unlike"}, ${plural(likes, "like", "likes")}`);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** After blocking an author, none of their posts stays on the page. */
function dropPostsBy(author) {
  for (const card of document.querySelectorAll(`article.post[data-author-id="${author.id}"]`)) {
    (card.parentElement?.tagName === "LI" ? card.parentElement : card).remove();
  }
}

function authorMenu(author) {
  if (author.id === currentUser.id) return null;
  const menu = personMenu(author, {
    onBlocked: dropPostsBy,
    onError: (error) => menu.replaceWith(h("span", { class: "field-error", role: "alert", text: error.message })),
  });
  return menu;
}

// As the server reads mentions (apps/notifications/services/activity.py): `@name` not after
// a word character or `@`, ending on a word character.
const MENTION = /(?<![\p{L}\p{N}_@])@([\p{L}\p{N}_.+-]*[\p{L}\p{N}_])/gu;

/** The text as nodes, each `@name` a link to finding that person; never parsed as HTML. */
export function withMentions(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    nodes.push(text.slice(last, match.index));
    const href = `/friends/?username=${encodeURIComponent(match[1])}`;
    nodes.push(h("a", { class: "mention", href, text: match[0] }));
    last = match.index + match[0].length;
  }
  nodes.push(text.slice(last));
  return nodes.filter((node) => node !== "");
}

/** Live counts (a `post_counts` frame) on every card of that post on this page. */
export function showCounts({ post_id: postId, likes_count: likes, reply_count: replies }) {
  if (!Number.isSafeInteger(postId)) return;
  for (const card of document.querySelectorAll(`article.post[data-post-id="${postId}"]`)) {
    const like = card.querySelector("button.like");
    if (like && Number.isSafeInteger(likes)) {
      like.querySelector(".count").textContent = String(likes);
      const verb = like.getAttribute("aria-pressed") === "true" ? "Unlike" : "Like";
      like.setAttribute("aria-label", `${verb}, ${plural(likes, "like", "likes")}`);
    }
    const label = card.querySelector(".replies");
    if (label && Number.isSafeInteger(replies)) {
      label.textContent = plural(replies, "reply", "replies");
      if (label.dataset.replyCount !== undefined) label.dataset.replyCount = String(replies);
    }
  }
}

export function postCard(post, { link = true } = {}) {
  const replies = plural(post.reply_count, "reply", "replies");
  return h(
    "article",
    {
      class: "post card",
      dataset: { postId: post.id, authorId: post.author.id },
      "aria-label": `Post by ${post.author.username}`,
    },
    h(
      "header",
      { class: "post-meta" },
      h("strong", { class: "author", text: post.author.username }),
      h("span", { class: `tag tag-${post.type}`, text: TYPE_LABELS[post.type] ?? post.type }),
      timeElement(post.created_at),
      authorMenu(post.author),
    ),
    h("p", { class: "post-content" }, ...withMentions(post.content)),
    h(
      "footer",
      { class: "post-actions" },
      likeButton(post),
      link
        ? h("a", { class: "replies", href: `/posts/${post.id}/`, text: replies })
        : h("span", { class: "replies", "data-reply-count": post.reply_count, text: replies }),
    ),
  );
}
