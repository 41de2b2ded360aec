// Small DOM helpers: build elements without innerHTML, and format times.

/**
 * Create an element. `attrs` keys: `class`, `text`, `dataset`, `on<Event>` handlers,
 * booleans (set or removed), anything else as an attribute. Children may be strings.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "now", "5 min", "3 h", "2 d" within a week; after that the date ("4 Mar", and the year
 * when it is not this one). Not "12 mo. ago": past a week people think in dates.
 */
export function timeAgo(iso, now = Date.now()) {
  const then = new Date(iso);
  const elapsed = now - then.getTime();
  if (elapsed < MINUTE) return "now"; // also a clock slightly ahead of ours
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h`;
  if (elapsed < 7 * DAY) return `${Math.floor(elapsed / DAY)} d`;
  return (then.getFullYear() === new Date(now).getFullYear() ? dayMonth : dayMonthYear).format(then);
}

/** A `<time>` showing "3 h", with the full date as its tooltip. */
export function timeElement(iso) {
  return h("time", { datetime: iso, title: absolute.format(new Date(iso)), text: timeAgo(iso) });
}

/** Refresh every relative `<time>` under `root` (called once a minute by the app). */
export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    element.textContent = timeAgo(element.getAttribute("datetime"));
  }
}

/** Show each field's messages next to its input (`[data-error-for=name]`); returns leftovers. */
export function showFieldErrors(form, fields = {}) {
  const unplaced = [];
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const [name, messages] of Object.entries(fields)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (!slot) {
      unplaced.push(...messages);
      continue;
    }
    slot.textContent = messages.join(" ");
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
  }
  return unplaced;
}

/**
 * Show an error in a status element. A network failure is marked, so that it is cleared
 * when the connection is back (see `clearNetworkErrors`).
 */
export function showError(element, error) {
  element.textContent = error.message;
  element.dataset.kind = "error";
  if (error.code === "network") element.dataset.networkError = "";
  else delete element.dataset.networkError;
}

/** Empty every status element still saying that the server cannot be reached. */
export function clearNetworkErrors(root = document) {
  for (const element of root.querySelectorAll("[data-network-error]")) {
    element.textContent = "";
    delete element.dataset.networkError;
    delete element.dataset.kind;
  }
}

/** Focus `element` without scrolling the page under the reader's eyes. */
export function focusQuietly(element) {
  element?.focus({ preventScroll: false });
}

/** A round avatar with the user's initial; its colour comes from their id. */
export function avatar(user) {
  const initial = (user?.username ?? "?").slice(0, 1).toUpperCase();
  const hue = ((user?.id ?? 0) * 47) % 360;
  return h("span", { class: `avatar hue-${Math.floor(hue / 30)}`, "aria-hidden": "true", text: initial });
}

/**
 * Call `load` whenever `button` (a "Load more" that stays as the fallback) scrolls near the
 * viewport. Where IntersectionObserver is missing, the button alone does it.
 */
export function infiniteScroll(button, load) {
  if (!("IntersectionObserver" in window)) return;
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !button.hidden) load();
    },
    { rootMargin: "200px 0px" },
  );
  observer.observe(button);
}
