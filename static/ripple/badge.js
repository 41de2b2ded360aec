// The badge in the header: how many notifications are unseen (newer than the seen marker,
// unread and not done); bumped at once for live notifications, set by every triage event.

import { api } from "./api.js";

export class UnreadBadge {
  constructor(link, badge) {
    this.link = link;
    this.badge = badge;
    this.count = 0;
    this.baseTitle = document.title;
    this.refreshTimer = null;
    this.generation = 0;
  }

  set(count) {
    this.generation += 1; // an answer to an older request must not overwrite this
    this.#show(count);
  }

  /** A new notification arrived: count it now, confirm with the server shortly. */
  bump() {
    this.#show(this.count + 1);
    this.refreshSoon();
  }

  async refresh() {
    const generation = ++this.generation;
    try {
      const { unseen } = await api.get("/api/notifications/seen/");
      if (generation === this.generation) this.#show(unseen);
    } catch {
      // keep the last known count; the next push or refresh corrects it
    }
  }

  refreshSoon(delayMs = 800) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), delayMs);
  }

  #show(count) {
    this.count = Math.max(0, count);
    this.badge.textContent = String(this.count);
    this.badge.hidden = this.count === 0;
    this.badge.dataset.count = String(this.count);
    this.link.setAttribute("aria-label", this.count ? `Inbox, ${this.count} new` : "Inbox");
    document.title = this.count ? `(${this.count}) ${this.baseTitle}` : this.baseTitle;
  }
}
