// Web Push in this browser: the service worker (/sw.js) and this browser's subscription.

import { api, request } from "./api.js";

const SUBSCRIPTIONS_URL = "/api/push-subscriptions/";

export const pushSupported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** This browser's push subscription, or null (none, or no service worker registered). */
export async function currentSubscription() {
  if (!pushSupported) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

/** Ask for permission, register the worker, subscribe and tell the server. */
export async function subscribe() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site in the browser's settings.");
  const { public_key: key } = await api.get("/api/push/vapid-public-key/");
  if (!key) throw new Error("Push notifications are not set up on this server.");
  const registration = await navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" });
  await navigator.serviceWorker.ready;
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  await api.post(SUBSCRIPTIONS_URL, subscription.toJSON());
  return subscription;
}

/** Forget this browser, on the server and in the browser (both, whatever fails first). */
export async function unsubscribe() {
  const subscription = await currentSubscription();
  if (!subscription) return;
  try {
    await request("DELETE", SUBSCRIPTIONS_URL, { endpoint: subscription.endpoint });
  } catch (error) {
    if (error.status !== 404) throw error;
  } finally {
    await subscription.unsubscribe();
  }
}

export async function listSubscriptions() {
  return api.get(SUBSCRIPTIONS_URL);
}

export async function removeSubscription(endpoint) {
  const mine = await currentSubscription();
  if (mine?.endpoint === endpoint) return unsubscribe();
  return request("DELETE", SUBSCRIPTIONS_URL, { endpoint });
}
