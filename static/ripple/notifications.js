// What a notification says and where it leads; shared by toasts and the inbox.

/** The user a notification is about, from its `data` (pushed frames carry no `actor`). */
export function actorOf(type, data = {}) {
  switch (type) {
    case "new_post":
      return data.author;
    case "friend_request":
    case "new_message":
      return data.from_user;
    case "friend_accepted":
      return data.user;
    default:
      return undefined;
  }
}

/** A pushed frame in the shape of an inbox item. */
export function frameToItem(frame) {
  return {
    id: frame.id,
    type: frame.type,
    actor: actorOf(frame.type, frame.data) ?? null,
    data: frame.data ?? {},
    created_at: frame.created_at,
    read_at: null,
    group: frame.group ?? null,
  };
}

/** The batching group an item belongs to: the server's, else one per type and person. */
export function groupOf(item) {
  if (item.group?.key) return { key: item.group.key, count: item.group.count ?? 1 };
  const actor = item.actor ?? actorOf(item.type, item.data);
  return { key: `${item.type}:${actor?.id ?? item.id}`, count: null };
}

/** `{text, href, preview}` for an item, or for `count` of them in one group. */
export function describe(item, count = 1) {
  const data = item.data ?? {};
  const name = (item.actor ?? actorOf(item.type, data))?.username ?? "Someone";
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
        href: "/inbox/",
        preview: data.text ?? "",
      };
    default:
      return { text: "New notification", href: "/inbox/", preview: "" };
  }
}
