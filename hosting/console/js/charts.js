// TLS-RPT charts as inline SVG, drawn here from the API's numbers: sessions per group, stacked
// by result ("success" first, then each failure type).

import {h, s} from "./dom.js";

const SUCCESS = "#2e7d32";
// A palette that stays apart for the common forms of colour blindness (Okabe-Ito).
const FAILURE_COLOURS = ["#d55e00", "#0072b2", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
  "#f0e442", "#999999"];

function colourMap(groups) {
  const types = [];
  for (const group of groups) {
    for (const type of Object.keys(group.failures || {})) {
      if (!types.includes(type)) {
        types.push(type);
      }
    }
  }
  types.sort();
  const colours = new Map([["success", SUCCESS]]);
  types.forEach((type, i) => colours.set(type, FAILURE_COLOURS[i % FAILURE_COLOURS.length]));
  return colours;
}

function legend(colours) {
  return h("ul", {class: "legend"}, [...colours.entries()].map(([name, colour]) =>
    h("li", {}, s("svg", {width: 12, height: 12, "aria-hidden": "true"},
      s("rect", {width: 12, height: 12, rx: 2, fill: colour})), " ", name)));
}

function segments(group) {
  const out = [["success", group.successful || 0]];
  for (const [type, count] of Object.entries(group.failures || {}).sort()) {
    out.push([type, count]);
  }
  return out;
}

function total(group) {
  return (group.successful || 0) + (group.failed || 0);
}

function scaleMax(groups) {
  return Math.max(1, ...groups.map(total));
}

// Vertical stacked bars, one per group (the days of a period); `labelOf` names a group.
export function stackedColumns(title, groups, labelOf) {
  const colours = colourMap(groups);
  const width = 720;
  const height = 220;
  const left = 48;
  const bottom = 36;
  const plotHeight = height - bottom - 10;
  const max = scaleMax(groups);
  const slot = (width - left - 10) / Math.max(1, groups.length);
  const bar = Math.max(2, Math.min(36, slot * 0.7));
  const svg = s("svg", {class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": title + ": " + groups.map((g) =>
      `${labelOf(g)} ${g.successful || 0} succeeded, ${g.failed || 0} failed`).join("; ")});
  svg.append(s("line", {x1: left, y1: 10, x2: left, y2: 10 + plotHeight, stroke: "#888"}));
  svg.append(s("line", {x1: left, y1: 10 + plotHeight, x2: width - 5, y2: 10 + plotHeight,
    stroke: "#888"}));
  svg.append(s("text", {x: left - 6, y: 16, "text-anchor": "end"}, String(max)));
  svg.append(s("text", {x: left - 6, y: 10 + plotHeight, "text-anchor": "end"}, "0"));
  const labelEvery = Math.max(1, Math.ceil(groups.length / 10));
  groups.forEach((group, i) => {
    const x = left + i * slot + (slot - bar) / 2;
    let y = 10 + plotHeight;
    for (const [name, count] of segments(group)) {
      if (count <= 0) {
        continue;
      }
      const segment = (count / max) * plotHeight;
      y -= segment;
      svg.append(s("rect", {x, y, width: bar, height: Math.max(1, segment),
        fill: colours.get(name), "data-series": name, "data-group": labelOf(group),
        "data-count": count}, s("title", {}, `${labelOf(group)}: ${name} ${count}`)));
    }
    if (i % labelEvery === 0) {
      svg.append(s("text", {x: x + bar / 2, y: height - bottom + 16, "text-anchor": "middle"},
        labelOf(group).slice(5)));
    }
  });
  return h("figure", {class: "chart-figure"}, h("figcaption", {}, h("strong", {}, title)),
    legend(colours), svg);
}

// Horizontal stacked bars, one per group (reporters, MX hosts), largest first.
export function stackedRows(title, groups, labelOf) {
  const sorted = [...groups].sort((a, b) => total(b) - total(a)).slice(0, 12);
  const colours = colourMap(sorted);
  const width = 720;
  const rowHeight = 26;
  const left = 220;
  const height = 20 + sorted.length * rowHeight;
  const max = scaleMax(sorted);
  const plotWidth = width - left - 70;
  const svg = s("svg", {class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": title + ": " + sorted.map((g) =>
      `${labelOf(g)} ${g.successful || 0} succeeded, ${g.failed || 0} failed`).join("; ")});
  sorted.forEach((group, i) => {
    const y = 10 + i * rowHeight;
    const label = labelOf(group) || "(none)";
    svg.append(s("text", {x: left - 8, y: y + 15, "text-anchor": "end"},
      label.length > 34 ? label.slice(0, 33) + "…" : label));
    let x = left;
    for (const [name, count] of segments(group)) {
      if (count <= 0) {
        continue;
      }
      const segment = (count / max) * plotWidth;
      svg.append(s("rect", {x, y: y + 3, width: Math.max(1, segment), height: rowHeight - 8,
        fill: colours.get(name), "data-series": name, "data-group": label, "data-count": count},
      s("title", {}, `${label}: ${name} ${count}`)));
      x += segment;
    }
    svg.append(s("text", {x: x + 6, y: y + 15}, String(total(group))));
  });
  return h("figure", {class: "chart-figure"}, h("figcaption", {}, h("strong", {}, title)),
    legend(colours), svg);
}
