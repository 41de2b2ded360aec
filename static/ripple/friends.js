// The friends page: find people, send, accept and decline requests (delivered and
// filtered), choose who may send them, list and unfriend, block and unblock.

import { api } from "./api.js";
import { realtime } from "./app.js";
import { avatar, h, showError } from "./dom.js";
import { personMenu } from "./person-menu.js";
import { searchUsers } from "./users.js";

const searchForm = document.getElementById("search-form");
const results = document.getElementById("search-results");
const status = document.getElementById("friends-status");
const lists = {
  incoming: document.getElementById("incoming-list"),
  outgoing: document.getElementById("outgoing-list"),
  friends: document.getElementById("friend-list"),
  filtered: document.getElementById("filtered-list"),
  blocked: document.getElementById("blocked-list"),
};
const policyForm = document.getElementById("policy-form");
const policyStatus = document.getElementById("policy-status");
const friendsMore = document.getElementById("friends-more");
const friendIds = new Set();
const pendingIds = new Set(); // users with a pending request either way
let friendsNext = null;

function say(message, kind = "info") {
  if (message instanceof Error) {
    showError(status, message);
    return;
  }
  status.textContent = message;
  status.dataset.kind = kind;
  delete status.dataset.networkError;
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
    h("span", { class: "person-who" }, avatar(user), h("span", { class: "person-name", text: user.username })),
    h("span", { class: "person-actions" }, ...actions),
  );
}

/** A person's row with their menu (Block) after the row's own actions. */
function personWithMenu(user, ...actions) {
  return person(user, ...actions, personMenu(user, { onBlocked: blocked, onError: (error) => say(error.message, "error") }));
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
  const unfriend = action("Unfriend", `Unfriend ${user.username}`, () => confirmUnfriend(row, unfriend, user), "danger");
  const row = personWithMenu(user, unfriend);
  return row;
}

/** Unfriending cannot be undone (it takes a new request): ask first, in the row itself. */
function confirmUnfriend(row, unfriend, user) {
  const actions = row.querySelector(".person-actions");
  const original = [...actions.children];
  const question = h("span", { class: "confirm-text", text: `Unfriend ${user.username}?` });
  const cancel = action("Cancel", `Keep ${user.username} as a friend`, () => {
    actions.replaceChildren(...original);
    unfriend.focus();
  });
  const confirm = action("Yes, unfriend", `Yes, unfriend ${user.username}`, async () => {
    confirm.disabled = true;
    try {
      await api.delete(`/api/friends/${user.id}/`);
      friendIds.delete(user.id);
      const neighbour = row.nextElementSibling ?? row.previousElementSibling;
      drop(lists.friends, user.id);
      say(`You and ${user.username} are no longer friends.`, "success");
      (neighbour?.querySelector("button") ?? document.getElementById("friend-list-heading")).focus();
    } catch (error) {
      confirm.disabled = false;
      say(error, "error");
    }
  }, "danger");
  actions.replaceChildren(question, confirm, cancel);
  cancel.focus();
}

function incomingRow(requestId, user, list = lists.incoming) {
  pendingIds.add(user.id);
  const respond = (verb) => async () => {
    try {
      await api.post(`/api/friend-requests/${requestId}/${verb}/`);
      drop(list, user.id);
      pendingIds.delete(user.id);
      if (verb === "accept") {
        place(lists.friends, friendRow(user), { atTop: true });
        say(`You and ${user.username} are now friends.`, "success");
      } else {
        say(`Declined ${user.username}'s request.`, "info");
      }
      (list.querySelector("button") ?? searchForm.username).focus();
    } catch (error) {
      say(error, "error");
    }
  };
  return personWithMenu(
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
  if (state) return personWithMenu(user, h("span", { class: "muted-text", text: state }));
  return personWithMenu(
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

function blockedRow(user) {
  return person(
    user,
    action("Unblock", `Unblock ${user.username}`, async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api.delete(`/api/blocks/${user.id}/`);
        drop(lists.blocked, user.id);
        say(`Unblocked ${user.username}. Nothing the block ended comes back.`, "info");
      } catch (error) {
        say(error.message, "error");
      }
    }),
  );
}

/** After a block: the server ended the friendship and withdrew your request to them. */
function blocked(user) {
  friendIds.delete(user.id);
  pendingIds.delete(user.id);
  for (const name of ["friends", "incoming", "outgoing", "filtered"]) drop(lists[name], user.id);
  results.querySelector(`[data-user-id="${user.id}"]`)?.remove();
  place(lists.blocked, blockedRow(user), { atTop: true });
  say(`You blocked ${user.username}. They are not told.`, "success");
  searchForm.username.focus();
}

// --- who may send requests ---

policyForm.addEventListener("submit", (event) => event.preventDefault());
policyForm.requests_from.addEventListener("change", async () => {
  policyStatus.textContent = "";
  try {
    const saved = await api.patch("/api/friend-preferences/", { requests_from: policyForm.requests_from.value });
    policyForm.requests_from.value = saved.requests_from;
    policyStatus.textContent = "Saved.";
    policyStatus.dataset.kind = "success";
  } catch (error) {
    policyStatus.textContent = error.message;
    policyStatus.dataset.kind = "error";
  }
});

// --- loading ---

async function loadRequests(direction) {
  const page = await api.get("/api/friend-requests/", { direction, page_size: 100 });
  for (const request of page.results) {
    if (direction === "incoming") place(lists.incoming, incomingRow(request.id, request.from_user));
    else if (direction === "filtered") place(lists.filtered, incomingRow(request.id, request.from_user, lists.filtered));
    else place(lists.outgoing, outgoingRow(request.to_user));
  }
}

async function loadBlocked() {
  const page = await api.get("/api/blocks/", { page_size: 100 });
  page.results.forEach((block) => place(lists.blocked, blockedRow(block.user)));
}

async function loadPolicy() {
  const preference = await api.get("/api/friend-preferences/");
  policyForm.requests_from.value = preference.requests_from;
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
    say(error, "error");
  }
});

friendsMore.addEventListener("click", () => loadFriends(friendsNext).catch((error) => say(error, "error")));

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

Promise.all([
  loadRequests("incoming"),
  loadRequests("outgoing"),
  loadRequests("filtered"),
  loadFriends(),
  loadBlocked(),
  loadPolicy(),
])
  .catch((error) => say(error, "error"))
  .finally(syncEmpty);
