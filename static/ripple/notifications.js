// What a notification says and where it leads; shared by toasts and the inbox.

/** The batching group an item belongs to: the server's, else one per type and person. */
export function groupOf(item) {
  if (item.group?.key) return { key: item.group.key, count: item.group.count ?? 1 };
  return { key: `${item.type}:${item.actor?.id ?? item.id}`, count: null };
}

/** `{text, href, preview}` for an item, or for `count` of them in one group. */
export function describe(item, count = 1) {
  const data = item.data ?? {};
  const name = item.actor?.username ?? "Someone";
  switch (item.type) {
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
