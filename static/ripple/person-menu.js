// A person's menu: a "More" disclosure button beside their name, opening their actions
// (for now, Block). A disclosure rather than an ARIA menu: plain buttons, plain Tab order.

import { api } from "./api.js";
import { h } from "./dom.js";

let menuCount = 0;

/** POST the block; the server ends the friendship and retracts what is between you. */
export async function blockUser(user) {
  return api.post("/api/blocks/", { user: user.id });
}

/**
 * The menu for `user`. `onBlocked(user)` runs after a block succeeded; `onError(error)`
 * after it failed. Escape closes an open menu and gives focus back to its button.
 */
export function personMenu(user, { onBlocked, onError }) {
  const id = `person-menu-${++menuCount}`;
  const toggle = h("button", {
    type: "button",
    class: "small menu-toggle",
    "aria-expanded": "false",
    "aria-controls": id,
    "aria-label": `More for ${user.username}`,
    text: "⋯",
  });
  const block = h("button", {
    type: "button",
    class: "small danger",
    "aria-label": `Block ${user.username}`,
    text: "Block",
  });
  const panel = h("div", { id, class: "menu-panel", hidden: true }, block);
  const root = h("span", { class: "person-menu" }, toggle, panel);

  const setOpen = (open) => {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => {
    const open = panel.hidden;
    setOpen(open);
    if (open) block.focus();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      setOpen(false);
      toggle.focus();
    }
  });
  block.addEventListener("click", async () => {
    block.disabled = true;
    try {
      await blockUser(user);
      setOpen(false);
      onBlocked(user);
    } catch (error) {
      block.disabled = false;
      onError(error);
    }
  });
  return root;
}
