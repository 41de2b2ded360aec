// The friends page: find people, send, accept and decline requests, list and unfriend.

import { api } from "./api.js";
import { realtime } from "./app.js";
import { h } from "./dom.js";
import { searchUsers } from "./users.js";

const searchForm = document.getElementById("search-form");
const results = document.getElementById("search-results");
const status = document.getElementById("friends-status");
const lists = {
  incoming: document.getElementById("incoming-list"),
  outgoing: document.getElementById("outgoing-list"),
  friends: document.getElementById("friend-list"),
};
const friendsMore = document.getElementById("friends-more");
const friendIds = new Set();
const pendingIds = new Set(); // users with a pending request either way
let friendsNext = null;

function say(message, kind = "info") {
  status.textContent = message;
  status.dataset.kind = kind;
}

function syncEmpty() {
  for (const [name, list] of Object.entries(lists)) {
    document.getElementById(`${name}-empty`).hidden = list.children.length > 0;
  }
}

function person(user, ...actions) {
  return h(
    "li",
    { class: "person", dataset: { userId: user.id } },
    h("span", { class: "person-name", text: user.username }),
    h("span", { class: "person-actions" }, ...actions),
  );
}

function action(text, label, onClick, extra = "") {
  return h("button", { type: "button", class: `small ${extra}`.trim(), "aria-label": label, onClick }, text);
}

function place(list, row, { atTop = false } = {}) {
  list.querySelector(`[data-user-id="${row.dataset.userId}"]`)?.remove();
  if (atTop) list.prepend(row);
  else list.append(row);
  syncEmpty();
}

function drop(list, userId) {
  list.querySelector(`[data-user-id="${userId}"]`)?.remove();
  syncEmpty();
}

// --- rows ---

function friendRow(user) {
  friendIds.add(user.id);
  pendingIds.delete(user.id);
  return person(
    user,
    action("Unfriend", `Unfriend ${user.username}`, async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api.delete(`/api/friends/${user.id}/`);
        friendIds.delete(user.id);
        drop(lists.friends, user.id);
        say(`You and ${user.username} are no longer friends.`, "success");
      } catch (error) {
        say(error.message, "error");
      }
    }, "danger"),
  );
}

function incomingRow(requestId, user) {
  pendingIds.add(user.id);
  const respond = (verb) => async () => {
    try {
      await api.post(`/api/friend-requests/${requestId}/${verb}/`);
      drop(lists.incoming, user.id);
      pendingIds.delete(user.id);
      if (verb === "accept") {
        place(lists.friends, friendRow(user), { atTop: true });
        say(`You and ${user.username} are now friends.`, "success");
      } else {
        say(`Declined ${user.username}'s request.`, "info");
      }
      (lists.incoming.querySelector("button") ?? searchForm.username).focus();
    } catch (error) {
      say(error.message, "error");
    }
  };
  return person(
    user,
    action("Accept", `Accept friend request from ${user.username}`, respond("accept"), "primary"),
    action("Decline", `Decline friend request from ${user.username}`, respond("decline")),
  );
}

function outgoingRow(user) {
  pendingIds.add(user.id);
  return person(user, h("span", { class: "muted-text", text: "Pending" }));
}

function resultRow(user) {
  let state = null;
  if (user.id === undefined) state = null;
  else if (friendIds.has(user.id)) state = "Friends";
  else if (pendingIds.has(user.id)) state = "Request pending";
  if (state) return person(user, h("span", { class: "muted-text", text: state }));
  return person(
    user,
    action("Add friend", `Send a friend request to ${user.username}`, async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await api.post("/api/friend-requests/", { to_user: user.id });
        place(lists.outgoing, outgoingRow(user), { atTop: true });
        button.replaceWith(h("span", { class: "muted-text", text: "Request sent" }));
        say(`Friend request sent to ${user.username}.`, "success");
      } catch (error) {
        button.disabled = false;
        say(error.fields?.to_user?.join(" ") || error.message, "error");
      }
    }, "primary"),
  );
}

// --- loading ---

async function loadRequests(direction) {
  const page = await api.get("/api/friend-requests/", { direction, page_size: 100 });
  for (const request of page.results) {
    if (direction === "incoming") place(lists.incoming, incomingRow(request.id, request.from_user));
    else place(lists.outgoing, outgoingRow(request.to_user));
  }
}

async function loadFriends(url) {
  const page = await api.get(url ?? "/api/friends/");
  page.results.forEach((user) => place(lists.friends, friendRow(user)));
  friendsNext = page.next;
  friendsMore.hidden = !friendsNext;
}

searchForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const prefix = searchForm.username.value.trim();
  results.replaceChildren();
  if (!prefix) {
    say("Enter a username to search for.", "error");
    return;
  }
  try {
    const users = await searchUsers(prefix);
    results.append(...users.map(resultRow));
    say(users.length ? `${users.length} found.` : `Nobody's username starts with “${prefix}”.`, users.length ? "info" : "error");
  } catch (error) {
    say(error.message, "error");
  }
});

friendsMore.addEventListener("click", () => loadFriends(friendsNext).catch((error) => say(error.message, "error")));

// --- live updates ---

realtime.addEventListener("notification", ({ detail: { frame } }) => {
  if (frame.type === "friend_request") {
    if (friendIds.has(frame.data.from_user.id)) return; // already handled elsewhere
    place(lists.incoming, incomingRow(frame.data.request_id, frame.data.from_user), { atTop: true });
  } else if (frame.type === "friend_accepted") {
    drop(lists.outgoing, frame.data.user.id);
    place(lists.friends, friendRow(frame.data.user), { atTop: true });
  }
});

// A mention links here with `?username=`: search for that person straight away.
const wanted = new URLSearchParams(location.search).get("username");
if (wanted) {
  searchForm.username.value = wanted;
  searchForm.requestSubmit();
}

Promise.all([loadRequests("incoming"), loadRequests("outgoing"), loadFriends()])
  .catch((error) => say(error.message, "error"))
  .finally(syncEmpty);
