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

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Infinity, "year"],
];

export function timeAgo(iso, now = Date.now()) {
  let amount = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(amount) < 10) return "just now";
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return absolute.format(new Date(iso));
}

/** A `<time>` showing "3 min. ago", with the full date as its tooltip. */
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
