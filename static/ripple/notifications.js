// What a notification says and where it leads; shared by toasts and the inbox.

/** The batching group an item belongs to: the server's, else one per type and person. */
export function groupOf(item) {
  if (item.group?.key) return { key: item.group.key, count: item.group.count ?? 1 };
  return { key: `${item.type}:${item.actor?.id ?? item.id}`, count: null };
}

// The service worker (sw.js) imports this module too: it has no document, and passes the
// recipient to `describe` itself.
const me = Number(globalThis.document?.body?.dataset.userId);

// How many names an entry spells out before "and N others".
const NAMED = 2;

/** "pablo", "pablo and tito", "pablo, tito and 3 others": `names` newest first, `total` people. */
export function people(names, total = names.length) {
  if (!names.length) return total === 1 ? "Someone" : `${total} people`;
  const shown = names.slice(0, Math.max(1, Math.min(NAMED, names.length, total)));
  const others = Math.max(0, total - shown.length);
  if (others === 0) {
    if (shown.length === 1) return shown[0];
    return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
  }
  return `${shown.join(", ")} and ${others === 1 ? "1 other" : `${others} others`}`;
}

function whosePost(post, viewer) {
  return post?.author_id === viewer ? "your post" : "a post you replied to";
}

/**
 * `{text, href, preview}` for an item, or for `count` of them in one group. `group` (a
 * grouped inbox entry) names the latest actors and how many there are in all; `viewer` is
 * the recipient's id (the page's user unless given).
 */
export function describe(item, count = 1, group = null, viewer = me) {
  const data = item.data ?? {};
  const name = item.actor?.username ?? "Someone";
  const post = data.post ?? null;
  // A pushed like stands for one person each, so the group's count is the people's count.
  const who = group
    ? people(group.actors.map((actor) => actor.username), group.actor_count)
    : people([name], item.type === "post_liked" ? count : 1);
  switch (item.type) {
    case "post_liked":
      return { text: `${who} liked ${whosePost(post, viewer)}`, href: postHref(post), preview: post?.excerpt ?? "" };
    case "post_replied": {
      const replies = count > 1 ? ` (${count} replies)` : "";
      return {
        text: `${who} replied to ${whosePost(post, viewer)}${replies}`,
        href: postHref(post),
        preview: data.reply?.excerpt ?? "",
      };
    }
    case "mentioned":
      return {
        text: `${name} mentioned you ${data.reply ? "in a reply" : "in a post"}`,
        href: postHref(post),
        preview: data.reply?.excerpt ?? post?.excerpt ?? "",
      };
    case "new_post":
      return {
        text: count > 1 ? `${name} posted ${count} things` : `${name} posted something`,
        href: data.id ? `/posts/${data.id}/` : "/",
        preview: data.content ?? "",
      };
    case "friend_request":
      return { text: `${name} sent you a friend request`, href: "/friends/", preview: "" };
    case "friend_accepted":
      return { text: `${name} accepted your friend request`, href: "/friends/", preview: "" };
    case "new_message":
      return {
        text: count > 1 ? `${name} sent you ${count} messages` : `${name} sent you a message`,
        href: data.from_user?.username ? `/messages/${encodeURIComponent(data.from_user.username)}/` : "/messages/",
        preview: data.text ?? "",
      };
    default:
      return { text: "New notification", href: "/inbox/", preview: "" };
  }
}

function postHref(post) {
  return Number.isSafeInteger(post?.id) ? `/posts/${post.id}/` : "/inbox/";
}
