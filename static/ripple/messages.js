// The messages page: each friend, a link to the conversation with them.

import { api } from "./api.js";
import "./app.js";
import { avatar, h, showError } from "./dom.js";

const list = document.getElementById("conversations");
const empty = document.getElementById("conversations-empty");
const more = document.getElementById("conversations-more");
const status = document.getElementById("messages-status");
let next = null;

async function load(url) {
  try {
    const page = await api.get(url ?? "/api/friends/");
    for (const user of page.results) {
      list.append(
        h(
          "li",
          { class: "person" },
          h("a", { class: "person-link", href: `/messages/${encodeURIComponent(user.username)}/` }, avatar(user), h("span", { class: "person-name", text: user.username })),
        ),
      );
    }
    next = page.next;
    empty.hidden = list.children.length > 0;
    list.hidden = list.children.length === 0;
  } catch (error) {
    showError(status, error);
  } finally {
    more.hidden = !next;
  }
}

more.addEventListener("click", () => load(next));
load();
