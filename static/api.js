// Small helpers shared by the pages: API calls with the session cookie and the CSRF header.
"use strict";
const Nemo = {
  csrf() { return document.querySelector('meta[name="csrf-token"]').content; },
  // An element with properties and children: the pages build their DOM with it, never with HTML strings.
  el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  },
  async api(path, options = {}) {
    const headers = Object.assign({ "X-CSRFToken": Nemo.csrf() }, options.headers || {});
    const response = await fetch("/api/v1" + path, Object.assign({}, options, { headers, credentials: "same-origin" }));
    const body = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const err = new Error(body && body.error ? body.error.message : response.statusText);
      err.code = body && body.error ? body.error.code : "http_" + response.status;
      err.param = body && body.error ? body.error.param : null;
      err.status = response.status;
      throw err;
    }
    return body;
  },
  // What a page says when a call fails: the server's message without the API's own vocabulary.
  plain(err) {
    if (err.status === 401) return "Your session has ended: sign in again.";
    if (err.status === 429) return "Too many requests just now: wait a moment and try again.";
    if (err.status >= 500) return "The server could not do this just now: try again in a moment.";
    return err.message.replace(/:?\s*see (GET|POST|PATCH|DELETE) \/api\/\S+.*$/i, "").replace(/\s*\((GET|POST|PATCH|DELETE) \/api\/[^)]*\)/gi, "");
  },
  // `text` as DOM nodes with each of `words` (whole words, any case) wrapped in <mark>.
  STOPWORDS: new Set(("the and but for from with about are was were been being this that these those you she they " +
    "them his her our their what which who when where why how does did done have has had not yes than then there " +
    "here will would can could should may might must just also very too only into over under say said says tell " +
    "told talk talked any all some").split(" ")),
  highlighted(text, words) {
    const wanted = words.filter((w) => w.length > 2 && !Nemo.STOPWORDS.has(w.toLowerCase())).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    if (!wanted.length) return [document.createTextNode(text)];
    const pattern = new RegExp("\\b(" + wanted.join("|") + ")\\w*", "gi");
    const nodes = [];
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      nodes.push(document.createTextNode(text.slice(last, match.index)));
      nodes.push(Object.assign(document.createElement("mark"), { textContent: match[0] }));
      last = match.index + match[0].length;
    }
    nodes.push(document.createTextNode(text.slice(last)));
    return nodes;
  },
  clock(seconds) {
    const s = Math.max(0, seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = (s % 60).toFixed(1).padStart(4, "0");
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + sec;
  },
  renderTranscript(container, segments) {
    container.replaceChildren();
    if (!segments.length) { container.textContent = "No speech was found in this recording."; return; }
    for (const seg of segments) {
      const row = document.createElement("div");
      row.className = "segment";
      row.dataset.segmentId = seg.id;
      row.dataset.start = seg.start;
      const time = document.createElement("span");
      time.className = "time";
      time.textContent = Nemo.clock(seg.start) + " – " + Nemo.clock(seg.end);
      const speaker = document.createElement("span");
      speaker.className = "speaker";
      speaker.textContent = seg.speaker || "";
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = seg.text;
      row.append(time, speaker, text);
      container.append(row);
    }
  },
};
// A signed-in page restored from the back-forward cache after logout would show data without asking the
// server: reload it, and the server decides (the sign-in page once the session is over).
window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
// The phone menu opens and closes with its button.
(function () {
  const toggle = document.getElementById("menu-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", () => {
    const open = document.getElementById("site-nav").classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
})();
