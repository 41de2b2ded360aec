// The notification socket: reconnects with exponential backoff and jitter, and catches up
// from the last notification id it saw.
//
// Protocol (/ws/notifications/?after=<id>): the server replays every notification newer than
// `after`, oldest first, then sends {"type":"synced","last_id":n}, then live frames (with
// "clamped":true when `after` was beyond the newest id: the cursor restarts at n). Frames
// with an `id` are notifications; the others are control frames (see CONTROL below).
//
// Events dispatched (CustomEvent, payload in `detail`):
//   "notification"  {frame, replayed}  one new notification, never twice, in id order
//   "synced"        {lastId}           the catch-up after (re)connecting is complete
//   "unread"        count              the server's unread count after a read-state change
//   "removed"       [ids]              notifications withdrawn by the server
//   "counts"        {post_id, likes_count, reply_count}  a post's live counts (not stored)
//   "terminated"    reason             the account can no longer connect; the client stops
//   "updated"       {ids, state, ...}  read state changed elsewhere (notification_updated)
//   "state"         "connecting" | "open" (caught up and streaming) | "offline" (retrying,
//                   or no network at all: `navigator.onLine` tells which)

const CONTROL = new Set([
  "synced",
  "unread_count",
  "notification_removed",
  "notification_updated",
  "session_terminated",
  "post_counts",
  "pong",
  "error",
]);
const CLOSE_BAD_AFTER = 4400;
const CLOSE_SUSPENDED = 4403;

/**
 * Milliseconds to wait before reconnect attempt number `attempt` (0 for the first retry).
 *
 * Exponential backoff capped at `maxMs`, with "equal jitter": half the step is fixed and half
 * random, so delays keep growing while clients that lost the same server spread out.
 * Pure: pass `random` to make it deterministic.
 */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 30000, random = Math.random } = {}) {
  const step = Math.max(0, Math.floor(Number(attempt) || 0));
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(step, 30));
  const jitter = Math.min(1, Math.max(0, Number(random()) || 0));
  return Math.round(ceiling / 2 + (ceiling / 2) * jitter);
}

function readStoredId(key) {
  try {
    const value = Number.parseInt(localStorage.getItem(key) ?? "", 10);
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  } catch {
    return null; // storage disabled: fall back to asking the server
  }
}

function storeId(key, id, { force = false } = {}) {
  try {
    // Several tabs share the key; it only moves forward, unless the server reset it.
    if (force || (readStoredId(key) ?? -1) < id) localStorage.setItem(key, String(id));
  } catch {
    // storage disabled or full: the in-memory id still drives reconnects
  }
}

export class RealtimeClient extends EventTarget {
  /**
   * @param {object} options
   * @param {string} options.url       ws:// or wss:// URL of the notification socket
   * @param {string} options.storageKey localStorage key for the last id seen
   * @param {() => Promise<number>} options.latestId  the newest notification id, when none is stored
   */
  constructor({ url, storageKey, latestId, pingMs = 25000, pongTimeoutMs = 10000, backoff = {} }) {
    super();
    this.url = url;
    this.storageKey = storageKey;
    this.latestId = latestId;
    this.pingMs = pingMs;
    this.pongTimeoutMs = pongTimeoutMs;
    this.backoff = backoff;
    this.lastId = null;
    this.attempt = 0;
    this.socket = null;
    this.state = "offline";
    this.replaying = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.stopped = false;
    this.listening = false;
  }

  async start() {
    this.stopped = false;
    this.#listenForWakeUps();
    await this.#connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.socket) this.#abandon(this.socket, 1000);
    this.#setState("offline");
  }

  /** Connect now if disconnected; if connected, check the line with a ping. */
  wake() {
    if (this.stopped) return;
    if (!this.socket) {
      clearTimeout(this.retryTimer);
      this.#connect();
    } else if (this.socket.readyState === WebSocket.OPEN) {
      this.#ping();
    }
  }

  /** The network is gone (the browser says so): stop pretending to be live until it is back. */
  #networkLost() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    if (this.socket) this.#abandon(this.socket, 4000);
    this.#setState("offline", { force: true });
  }

  async #connect() {
    if (this.stopped || this.socket) return;
    if (navigator.onLine === false) {
      // Connecting now could only fail (and log an error); the "online" event wakes us.
      this.#setState("offline");
      return;
    }
    this.#setState("connecting");
    if (this.lastId === null) {
      try {
        this.lastId = readStoredId(this.storageKey) ?? (await this.latestId());
      } catch {
        this.#scheduleReconnect();
        return;
      }
      if (this.stopped || this.socket) return;
    }
    const socket = new WebSocket(`${this.url}?after=${this.lastId}`);
    this.socket = socket;
    this.replaying = true;
    // "open" waits for "synced": the page is live once it has caught up.
    socket.onopen = () => this.#startHeartbeat();
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.#dropSocket();
      if (event.code === CLOSE_SUSPENDED) {
        this.#terminate("closed");
        return;
      }
      if (event.code === CLOSE_BAD_AFTER) this.lastId = null; // ask the server afresh
      this.#scheduleReconnect();
    };
  }

  #receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (CONTROL.has(frame.type)) {
      this.#control(frame);
      return;
    }
    if (!Number.isSafeInteger(frame.id) || frame.id <= this.lastId) return;
    this.#remember(frame.id);
    this.#emit("notification", { frame, replayed: this.replaying });
  }

  #control(frame) {
    switch (frame.type) {
      case "pong":
        clearTimeout(this.pongTimer);
        break;
      case "synced":
        this.replaying = false;
        this.attempt = 0;
        this.#setState("open");
        if (frame.clamped && Number.isSafeInteger(frame.last_id)) {
          // Our cursor was ahead of everything the server holds (a restored database):
          // start again from the server's newest id, in every tab.
          this.lastId = frame.last_id;
          storeId(this.storageKey, frame.last_id, { force: true });
        } else if (Number.isSafeInteger(frame.last_id)) {
          // Stored even when unchanged, so a page opened later catches up from here.
          this.#remember(Math.max(frame.last_id, this.lastId));
        }
        this.#emit("synced", { lastId: this.lastId });
        break;
      case "unread_count":
        this.#emit("unread", frame.data?.count ?? 0);
        break;
      case "notification_removed":
        this.#emit("removed", frame.data?.ids ?? []);
        break;
      case "notification_updated":
        if (frame.data && Array.isArray(frame.data.ids)) this.#emit("updated", frame.data);
        break;
      case "post_counts":
        if (frame.data) this.#emit("counts", frame.data);
        break;
      case "session_terminated":
        this.#terminate(frame.reason);
        break;
      case "error":
        this.#emit("server-error", frame.error);
        break;
    }
  }

  #terminate(reason) {
    if (this.stopped) return;
    this.stop();
    this.#emit("terminated", reason);
  }

  #remember(id) {
    this.lastId = id;
    storeId(this.storageKey, id);
  }

  #scheduleReconnect() {
    if (this.stopped) return;
    this.#setState("offline");
    clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #startHeartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.#ping(), this.pingMs);
  }

  #ping() {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ping" }));
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      // No answer: the line is dead (a sleeping laptop, a lost network). Start over.
      if (this.socket !== socket) return;
      this.#abandon(socket, 4000);
      this.#scheduleReconnect();
    }, this.pongTimeoutMs);
  }

  #abandon(socket, code) {
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState === WebSocket.OPEN) socket.close(code);
    else if (socket.readyState === WebSocket.CONNECTING) {
      socket.onopen = () => socket.close(code); // closing now would log a browser error
    }
    if (this.socket === socket) this.#dropSocket();
  }

  #dropSocket() {
    this.socket = null;
    this.replaying = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  #listenForWakeUps() {
    if (this.listening) return;
    this.listening = true;
    const wake = () => this.wake();
    window.addEventListener("online", wake);
    window.addEventListener("offline", () => this.#networkLost());
    window.addEventListener("pageshow", wake);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") wake();
    });
  }

  #setState(state, { force = false } = {}) {
    if (this.state === state && !force) return;
    this.state = state;
    this.#emit("state", state);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
