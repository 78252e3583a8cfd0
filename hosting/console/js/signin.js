// The sign-in page: a token of the service's token file makes a session.

import {api, ApiError, setCsrf} from "./api.js";
import {h} from "./dom.js";
import {notice, page, session} from "./ui.js";

export function showSignIn(onSignedIn) {
  const input = h("input", {id: "token", name: "token", type: "password", autocomplete: "off",
    required: true, "aria-describedby": "token-help"});
  const error = h("p", {class: "error-text", role: "alert"});
  const form = h("form", {class: "signin-form"},
    h("label", {for: "token"}, "Access token", input),
    h("p", {id: "token-help", class: "muted"},
      "The token your provider gave you (a line of the service's token file)."),
    error,
    h("button", {type: "submit", id: "sign-in"}, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const me = await api("POST", "/v1/session", {token: input.value});
      setCsrf(me.csrf);
      session.me = me;
      input.value = "";
      notice("");
      onSignedIn();
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401
        ? "That token is not valid." : "Sign-in failed: " + e.message;
      input.focus();
    }
  });
  page("Sign in", h("div", {class: "signin"}, form));
  input.focus();
}
