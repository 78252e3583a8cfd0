// What every page shares: the signed-in caller, notices, the confirmation dialog.

import {h, put} from "./dom.js";

export const session = {me: null};

let pending = "";

// A message for the next page shown (after a change that moves to another page).
export function flash(text) {
  pending = text;
}

// Shows the message kept by flash(), or clears the notice bar; called on every page change.
export function showPending() {
  notice(pending);
  pending = "";
}

// Shows a message in the notice bar (an empty text clears it).
export function notice(text, kind) {
  const bar = document.getElementById("notice");
  bar.className = kind || "";
  bar.textContent = text || "";
}

// Asks for confirmation in a modal dialog; resolves true when confirmed. With `typed`, the
// confirm button stays disabled until that exact text is typed.
export function confirmAction(title, text, okLabel, typed) {
  const dialog = document.getElementById("confirm");
  const ok = document.getElementById("confirm-ok");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  ok.textContent = okLabel || "Confirm";
  const extra = document.getElementById("confirm-extra");
  put(extra);
  ok.disabled = false;
  if (typed) {
    const input = h("input", {id: "confirm-typed", autocomplete: "off", spellcheck: "false"});
    input.addEventListener("input", () => {
      ok.disabled = input.value.trim() !== typed;
    });
    ok.disabled = true;
    put(extra, h("label", {for: "confirm-typed"}, `Type ${typed} to confirm`, input));
  }
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
    dialog.showModal();
    (typed ? document.getElementById("confirm-typed") : document.getElementById("confirm-cancel"))
      .focus();
  });
}

// A new view in the main area, with a heading; focus moves there for keyboard and screen
// readers. Pages fill the view they got: when another page replaced it meanwhile (a slow answer
// after the user moved on), what they write goes to a detached node and shows nowhere.
export function page(title, ...children) {
  const main = document.getElementById("main");
  document.title = title + " · mtasts console";
  const view = h("div", {class: "view"}, h("h1", {}, title), ...children);
  put(main, view);
  main.focus();
  return view;
}

export function isOperator() {
  return session.me && session.me.role === "operator";
}
