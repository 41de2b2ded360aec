// Looking people up by username.

import { api } from "./api.js";

/** Users whose name starts with `prefix` (an exact match comes first). */
export async function searchUsers(prefix, { pageSize = 10 } = {}) {
  const page = await api.get("/api/users/", { username: prefix, page_size: pageSize });
  return page.results;
}

/** The user called exactly `username` (ignoring case), or null. */
export async function findUser(username) {
  const [first] = await searchUsers(username, { pageSize: 1 });
  return first && first.username.toLowerCase() === username.toLowerCase() ? first : null;
}
