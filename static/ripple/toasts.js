// Toasts in an aria-live region: one per batching group, updated as the group grows.

import { api } from "./api.js";
import { h } from "./dom.js";
import { describe, groupOf } from "./notifications.js";

export class Toasts {
  constructor(region, { timeoutMs = 8000, max = 4 } = {}) {
    this.region = region;
    this.timeoutMs = timeoutMs;
    this.max = max;
    this.byKey = new Map();
  }

  /** Show a notification item, folding it into the toast of its group if one is up. */
  notify(item) {
    const group = groupOf(item);
    const toast = this.byKey.get(group.key) ?? this.#create(group.key);
    toast.ids.add(item.id);
    toast.item = item;
    // The server's count covers the whole group, even items this page never saw.
    toast.count = group.count ?? toast.count + 1;
    this.#render(toast);
    this.#restartTimer(toast);
    this.region.append(toast.element); // newest last, next to the others
    this.#trim();
  }

  /** Withdraw notifications the server removed. */
  removeIds(ids) {
    const removed = new Set(ids);
    for (const toast of [...this.byKey.values()]) {
      const before = toast.ids.size;
      for (const id of toast.ids) if (removed.has(id)) toast.ids.delete(id);
      if (toast.ids.size === before) continue;
      toast.count -= before - toast.ids.size;
      if (toast.ids.size === 0 || toast.count <= 0) this.#remove(toast);
      else this.#render(toast);
    }
  }

  #create(key) {
    const link = h("a", { class: "toast-link" });
    const close = h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, "×");
    const element = h("div", { class: "toast", dataset: { key } }, link, close);
    const toast = { key, element, link, ids: new Set(), count: 0, item: null, timer: null };
    close.addEventListener("click", () => this.#remove(toast));
    link.addEventListener("click", (event) => this.#open(event, toast));
    // Keep a toast up while the pointer or focus is on it.
    element.addEventListener("mouseenter", () => clearTimeout(toast.timer));
    element.addEventListener("focusin", () => clearTimeout(toast.timer));
    element.addEventListener("mouseleave", () => this.#restartTimer(toast));
    element.addEventListener("focusout", () => this.#restartTimer(toast));
    element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.#remove(toast);
    });
    this.byKey.set(key, toast);
    return toast;
  }

  /** Opening a notification from its toast reads it, as opening it from the inbox does. */
  async #open(event, toast) {
    this.#remove(toast);
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1) return;
    event.preventDefault();
    const href = toast.link.href; // read now: the element leaves the page
    const group = toast.item?.group?.key;
    try {
      if (toast.ids.size > 1 && group) await api.post("/api/notifications/read-all/", { group, up_to: Math.max(...toast.ids) });
      else await Promise.all([...toast.ids].map((id) => api.post(`/api/notifications/${id}/read/`)));
    } catch {
      // open it anyway; it stays unread
    }
    location.assign(href);
  }

  #render(toast) {
    const { text, href, preview } = describe(toast.item, toast.count);
    toast.link.href = href;
    toast.link.replaceChildren(h("span", { class: "toast-text", text }));
    if (preview) toast.link.append(h("span", { class: "toast-preview", text: preview }));
    toast.element.dataset.ids = [...toast.ids].join(",");
  }

  #restartTimer(toast) {
    clearTimeout(toast.timer);
    if (toast.element.matches(":hover, :focus-within")) return;
    toast.timer = setTimeout(() => this.#remove(toast), this.timeoutMs);
  }

  #trim() {
    while (this.byKey.size > this.max) {
      this.#remove(this.byKey.values().next().value);
    }
  }

  #remove(toast) {
    clearTimeout(toast.timer);
    toast.element.remove();
    this.byKey.delete(toast.key);
  }
}
