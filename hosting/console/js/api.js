// The admin API, same origin, with the session cookie. Every change carries the session's CSRF
// token; the server refuses one without it.

let csrf = "";

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || "";
  }
}

export function setCsrf(token) {
  csrf = token || "";
}

// Calls the API; resolves to the parsed JSON body, rejects with an ApiError.
export async function api(method, path, body) {
  const headers = {"Accept": "application/json"};
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrf;
  }
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    throw new ApiError(response.status, error.message || response.statusText, error.field);
  }
  return data;
}

// The path of a domain's resource, the name escaped.
export function domainPath(name, rest) {
  return "/v1/domains/" + encodeURIComponent(name) + (rest || "");
}
