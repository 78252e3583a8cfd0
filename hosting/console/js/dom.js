// Building the page from data without HTML strings: every text goes in as a text node, so
// nothing a report or a domain holds can become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = String(value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// An HTML element: h("a", {href: "#/x"}, "text", otherNode).
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

// An SVG element.
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

// Replaces the children of `node`.
export function put(node, ...children) {
  node.replaceChildren();
  return fill(node, {}, children);
}

// "2026-12-07 10:00 UTC" from an RFC 3339 time, or "—".
export function when(text) {
  if (!text) {
    return "—";
  }
  return text.replace("T", " ").replace(/:\d\dZ$/, " UTC").replace(/Z$/, " UTC");
}

// A coloured state word.
export function badge(text, kind) {
  return h("span", {class: "badge" + (kind ? " " + kind : "")}, text);
}

// "97.5 %" or "—".
export function percent(rate) {
  if (rate === null || rate === undefined) {
    return "—";
  }
  return (Math.round(rate * 1000) / 10).toString() + " %";
}

// A button that copies `value` to the clipboard and says so.
export function copyButton(value, label) {
  const button = h("button", {type: "button", class: "quiet", "aria-label": label}, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
    setTimeout(() => {
      button.textContent = "Copy";
    }, 1500);
  });
  return button;
}

let tableCount = 0;

// A <table> with a header row and rows of cells (nodes or text). A wide table scrolls sideways
// inside its wrapper; its caption stands above the wrapper (labelling the table), so that on a
// phone it wraps to the screen instead of scrolling off it with the table.
export function table(caption, headers, rows) {
  const captionId = caption ? `table-caption-${++tableCount}` : null;
  return h("div", {class: "table-block"},
    caption ? h("p", {class: "table-caption muted", id: captionId}, caption) : null,
    h("div", {class: "table-wrap"},
      h("table", {"aria-labelledby": captionId},
        h("thead", {}, h("tr", {}, headers.map((head) =>
          h("th", {scope: "col", class: head.cls || null}, head.text || head)))),
        h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) =>
          h("td", {class: (headers[i] && headers[i].cls) || null}, cell))))))));
}

// The records as a list (name, type, value, copy), readable on a phone as on a desk.
export function recordList(records) {
  return h("ul", {class: "records"}, records.map((record) => h("li", {},
    h("code", {}, record.owner), h("span", {}, record.type),
    h("code", {class: "record-value"}, record.value),
    copyButton(record.value, `Copy the ${record.type} value of ${record.owner}`),
    record.managed_by_service ? h("span", {class: "kept muted"}, "Kept by the service") : null)));
}
