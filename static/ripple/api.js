// REST calls with the session cookie and CSRF token; failures become ApiError.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `The request failed (HTTP ${status}).`);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.code || "error";
    this.fields = body?.fields || {};
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function withQuery(url, params) {
  if (!params) return url;
  const target = new URL(url, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target.pathname + target.search;
}

export async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, { detail: "Cannot reach the server; check your connection.", code: "network" });
  }
  if (response.status === 401) {
    // The session ended: log in again and come back here.
    location.assign(`/login/?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  get: (url, params) => request("GET", withQuery(url, params)),
  post: (url, body) => request("POST", url, body),
  patch: (url, body) => request("PATCH", url, body),
  delete: (url) => request("DELETE", url),
};
