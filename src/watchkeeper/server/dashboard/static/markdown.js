// The Markdown of playbooks and notes as DOM nodes: headings, paragraphs, ordered and
// unordered lists, tables, fenced code, block quotes, rules; inline code, bold, italics and
// links (http, https, mailto, relative). Raw HTML is shown as text: the text of a playbook
// carries feature names and values from the data, so nothing in it may become markup.

import { h } from "./ui.js";

const BLOCK_START = /^(#{1,6}\s|```|\s*[-*+]\s|\s*\d+[.)]\s|>|\|)/;

export function renderMarkdown(text) {
  const root = h("div", { class: "markdown" });
  const lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
    } else if (line.startsWith("```")) {
      const code = [];
      for (i += 1; i < lines.length && !lines[i].startsWith("```"); i += 1) code.push(lines[i]);
      i += 1;
      root.append(h("pre", {}, h("code", { text: code.join("\n") })));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.match(/^#+/)[0].length;
      root.append(h(`h${Math.min(6, level + 1)}`, {}, inline(line.slice(level).trim())));
      i += 1;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      root.append(h("hr"));
      i += 1;
    } else if (line.startsWith("|") && i + 1 < lines.length && /^\|?[\s:|-]+\|?$/.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const rows = [];
      for (; i < lines.length && lines[i].startsWith("|"); i += 1) rows.push(cells(lines[i]));
      root.append(tableOf(rows));
    } else if (/^\s*([-*+]|\d+[.)])\s/.test(line)) {
      i = list(lines, i, root);
    } else if (line.startsWith(">")) {
      const quoted = [];
      for (; i < lines.length && lines[i].startsWith(">"); i += 1) quoted.push(lines[i].replace(/^>\s?/, ""));
      root.append(h("blockquote", {}, [...renderMarkdown(quoted.join("\n")).childNodes]));
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && (para.length === 0 || !BLOCK_START.test(lines[i])); i += 1) {
        para.push(lines[i].trim());
      }
      root.append(h("p", {}, inline(para.join(" "))));
    }
  }
  return root;
}

function list(lines, start, root) {
  const ordered = /^\s*\d+[.)]\s/.test(lines[start]);
  const node = h(ordered ? "ol" : "ul");
  const first = lines[start].match(/^\s*(\d+)/);
  if (ordered && first && first[1] !== "1") node.setAttribute("start", first[1]);
  let i = start;
  let item = null;
  while (i < lines.length && lines[i].trim()) {
    const marker = lines[i].match(/^\s*([-*+]|\d+[.)])\s+(.*)$/);
    if (marker) {
      item = [marker[2]];
      node.append(h("li"));
      node.lastChild.item = item;
    } else if (item) {
      item.push(lines[i].trim()); // a continuation line of the item
    }
    i += 1;
  }
  for (const li of node.children) li.append(...inline(li.item.join(" ")));
  root.append(node);
  return i;
}

function cells(line) {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
}

function tableOf(rows) {
  const [head, , ...body] = rows;
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, inline(c))))),
    h("tbody", {}, body.map((r) => h("tr", {}, r.map((c) => h("td", {}, inline(c)))))));
}

const SAFE_URL = /^(https?:|mailto:|#|\/|\.{0,2}\/|[\w-]+(\/|$))/i;

/** Inline Markdown as an array of nodes (text, code, strong, em, a). */
export function inline(text) {
  const out = [];
  const pattern = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) out.push(h("code", { text: m[2].trim() }));
    else if (m[3] || m[4]) out.push(h("strong", {}, inline(m[3] || m[4])));
    else if (m[5] || m[6]) out.push(h("em", {}, inline(m[5] || m[6])));
    else if (m[7]) {
      const href = m[8];
      out.push(SAFE_URL.test(href) && !/^javascript:/i.test(href)
        ? h("a", { href, rel: "noopener noreferrer", target: href.startsWith("#") ? null : "_blank" }, inline(m[7]))
        : `${m[7]} (${href})`);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
