// The notification settings page: per-type switches, muted post types, batch window, the
// email digest's schedule, and the muted people list.

import { api } from "./api.js";
import "./app.js";
import { h, showFieldErrors } from "./dom.js";
import { listSubscriptions, pushSupported, removeSubscription, subscribe, unsubscribe, currentSubscription } from "./push.js";
import { findUser } from "./users.js";

const PREFERENCES_URL = "/api/notification-preferences/";
const MUTED_URL = "/api/muted-users/";
const DIGEST_URL = "/api/digest-settings/";

const form = document.getElementById("preferences-form");
const saveStatus = document.getElementById("save-status");
const muteForm = document.getElementById("mute-form");
const muteStatus = document.getElementById("mute-status");
const mutedList = document.getElementById("muted-list");
const mutedEmpty = document.getElementById("muted-empty");
const mutedMore = document.getElementById("muted-more");
let mutedNext = null;

// --- preferences ---

function fill(preferences) {
  for (const [type, switches] of Object.entries(preferences.types ?? {})) {
    for (const [channel, on] of Object.entries(switches)) {
      const box = form.querySelector(`[name="types.${type}.${channel}"]`);
      if (box) box.checked = Boolean(on);
    }
  }
  const muted = new Set(preferences.muted_post_types ?? []);
  for (const box of form.querySelectorAll('[name="muted_post_types"]')) box.checked = muted.has(box.value);
  form.batch_window_seconds.value = preferences.batch_window_seconds ?? "";
  const quiet = preferences.quiet_hours;
  form.quiet_enabled.checked = Boolean(quiet);
  if (quiet) {
    form.quiet_start.value = quiet.start;
    form.quiet_end.value = quiet.end;
    form.quiet_allow_messages.checked = quiet.allow_messages;
  }
  form.quiet_time_zone.value = quiet?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

function collect() {
  const types = {};
  for (const box of form.querySelectorAll('input[name^="types."]')) {
    const [, type, channel] = box.name.split(".");
    types[type] = { ...types[type], [channel]: box.checked };
  }
  const mutedPostTypes = [...form.querySelectorAll('[name="muted_post_types"]:checked')].map((box) => box.value);
  const raw = form.batch_window_seconds.value.trim();
  // Sent as typed when it is not a whole number, so the server's message explains the problem.
  const batch = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  const quietHours = form.quiet_enabled.checked
    ? {
        start: form.quiet_start.value,
        end: form.quiet_end.value,
        time_zone: form.quiet_time_zone.value.trim(),
        allow_messages: form.quiet_allow_messages.checked,
      }
    : null;
  return { types, muted_post_types: mutedPostTypes, batch_window_seconds: batch, quiet_hours: quietHours };
}

function setStatus(element, message, kind) {
  element.textContent = message;
  element.dataset.kind = kind;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  setStatus(saveStatus, "Saving…", "info");
  try {
    fill(await api.patch(PREFERENCES_URL, collect()));
    showFieldErrors(form, {});
    setStatus(saveStatus, "Settings saved.", "success");
  } catch (error) {
    const unplaced = showFieldErrors(form, error.fields);
    const summary = Object.keys(error.fields).length && !unplaced.length ? "Please fix the highlighted fields." : error.message;
    setStatus(saveStatus, summary, "error");
    form.querySelector("[aria-invalid=true]")?.focus();
  } finally {
    button.disabled = false;
  }
});

async function loadPreferences() {
  try {
    fill(await api.get(PREFERENCES_URL));
    document.getElementById("preferences-fields").disabled = false;
  } catch (error) {
    setStatus(saveStatus, error.message, "error");
  }
}

// --- email digest ---

const digestForm = document.getElementById("digest-form");
const digestStatus = document.getElementById("digest-status");

function fillDigest(digest) {
  for (const name of ["frequency", "hour", "weekday", "time_zone"]) {
    if (digest[name] !== undefined) digestForm.elements[name].value = String(digest[name]);
  }
  showDigestFields();
}

// The day only matters weekly, and nothing but the frequency while the digest is off.
function showDigestFields() {
  const frequency = digestForm.elements.frequency.value;
  document.getElementById("digest-weekday-field").hidden = frequency !== "weekly";
  for (const name of ["hour", "weekday", "time_zone"]) digestForm.elements[name].disabled = frequency === "off";
}

digestForm.elements.frequency.addEventListener("change", showDigestFields);

digestForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = digestForm.querySelector("button[type=submit]");
  button.disabled = true;
  setStatus(digestStatus, "Saving…", "info");
  const { frequency, hour, weekday, time_zone: zone } = digestForm.elements;
  const body = { frequency: frequency.value };
  if (frequency.value !== "off") Object.assign(body, { hour: Number(hour.value), weekday: Number(weekday.value), time_zone: zone.value });
  try {
    fillDigest(await api.patch(DIGEST_URL, body));
    showFieldErrors(digestForm, {});
    setStatus(digestStatus, "Digest settings saved.", "success");
  } catch (error) {
    showFieldErrors(digestForm, error.fields);
    setStatus(digestStatus, error.message, "error");
    digestForm.querySelector("[aria-invalid=true]")?.focus();
  } finally {
    button.disabled = false;
  }
});

async function loadDigest() {
  try {
    fillDigest(await api.get(DIGEST_URL));
    document.getElementById("digest-fields").disabled = false;
  } catch (error) {
    setStatus(digestStatus, error.message, "error");
  }
}

// --- muted people ---

function mutedRow(entry) {
  const { user } = entry;
  const unmute = h("button", { type: "button", class: "small", "aria-label": `Unmute ${user.username}` }, "Unmute");
  const row = h("li", { class: "person", dataset: { userId: user.id } }, h("span", { class: "person-name", text: user.username }), unmute);
  unmute.addEventListener("click", async () => {
    unmute.disabled = true;
    try {
      await api.delete(`${MUTED_URL}${user.id}/`);
      row.remove();
      mutedEmpty.hidden = mutedList.children.length > 0;
      setStatus(muteStatus, `Unmuted ${user.username}.`, "success");
      muteForm.username.focus();
    } catch (error) {
      unmute.disabled = false;
      setStatus(muteStatus, error.message, "error");
    }
  });
  return row;
}

function showMuted(entry, { atTop = false } = {}) {
  mutedList.querySelector(`[data-user-id="${entry.user.id}"]`)?.remove();
  const row = mutedRow(entry);
  if (atTop) mutedList.prepend(row);
  else mutedList.append(row);
  mutedEmpty.hidden = true;
}

async function loadMuted(url) {
  try {
    const page = await api.get(url ?? MUTED_URL);
    page.results.forEach((entry) => showMuted(entry));
    mutedNext = page.next;
    mutedEmpty.hidden = mutedList.children.length > 0;
  } catch (error) {
    setStatus(muteStatus, error.message, "error");
  } finally {
    mutedMore.hidden = !mutedNext;
  }
}

muteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = muteForm.username.value.trim();
  if (!name) {
    setStatus(muteStatus, "Enter a username to mute.", "error");
    return;
  }
  try {
    const user = await findUser(name);
    if (!user) {
      setStatus(muteStatus, `No user is called “${name}”.`, "error");
      return;
    }
    const entry = await api.post(MUTED_URL, { user: user.id });
    showMuted(entry?.user ? entry : { user }, { atTop: true });
    muteForm.reset();
    setStatus(muteStatus, `Muted ${user.username}. You will not be notified about them.`, "success");
  } catch (error) {
    setStatus(muteStatus, error.fields?.user?.join(" ") || error.message, "error");
  }
});

mutedMore.addEventListener("click", () => loadMuted(mutedNext));

// --- push notifications in this browser ---

const pushStatus = document.getElementById("push-status");
const pushToggle = document.getElementById("push-toggle");
const pushList = document.getElementById("push-list");
const pushEmpty = document.getElementById("push-empty");

function browserLabel(endpoint, mine) {
  let host = endpoint;
  try {
    host = new URL(endpoint).host;
  } catch {
    // An endpoint the server accepted is a URL; show it whole otherwise.
  }
  return mine ? `This browser (${host})` : `A browser via ${host}`;
}

async function loadPush() {
  const mine = pushSupported ? await currentSubscription().catch(() => null) : null;
  try {
    const subscriptions = await listSubscriptions();
    pushList.replaceChildren(
      ...subscriptions.map((entry) => {
        const isMine = entry.endpoint === mine?.endpoint;
        const label = browserLabel(entry.endpoint, isMine);
        const remove = h("button", { type: "button", class: "small", "aria-label": `Stop pushing to ${label}` }, "Remove");
        remove.addEventListener("click", async () => {
          remove.disabled = true;
          try {
            await removeSubscription(entry.endpoint);
            setStatus(pushStatus, "Removed.", "success");
          } catch (error) {
            setStatus(pushStatus, error.message, "error");
          }
          loadPush();
        });
        return h("li", { class: "person" }, h("span", { class: "person-name", text: label }), remove);
      }),
    );
    pushEmpty.hidden = subscriptions.length > 0;
  } catch (error) {
    setStatus(pushStatus, error.message, "error");
  }
  if (!pushSupported) {
    setStatus(pushStatus, "This browser cannot receive push notifications.", "info");
    pushToggle.hidden = true;
    return;
  }
  pushToggle.hidden = false;
  pushToggle.textContent = mine ? "Turn off in this browser" : "Turn on in this browser";
  pushToggle.dataset.on = mine ? "true" : "false";
}

pushToggle.addEventListener("click", async () => {
  pushToggle.disabled = true;
  const on = pushToggle.dataset.on === "true";
  try {
    if (on) await unsubscribe();
    else await subscribe();
    setStatus(pushStatus, on ? "This browser no longer gets push notifications." : "This browser now gets push notifications.", "success");
  } catch (error) {
    setStatus(pushStatus, error.message, "error");
  } finally {
    pushToggle.disabled = false;
  }
  loadPush();
});

loadPreferences();
loadDigest();
loadMuted();
loadPush();
