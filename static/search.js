// Search page: a question with filters; each result opens the transcript at its moment.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  }

  async function fillChoices() {
    try {
      const { speakers } = await Nemo.api("/speakers");
      $("speaker-options").replaceChildren(...speakers.map((s) => el("option", { value: s.label })));
      const { recordings } = await Nemo.api("/recordings");
      for (const r of recordings) $("filter-recording").append(el("option", { value: r.id, textContent: r.title }));
    } catch (err) { /* the filters still work by typing */ }
  }

  function filters() {
    const f = {};
    if ($("filter-speaker").value.trim()) f.speaker = $("filter-speaker").value.trim();
    if ($("filter-emotion").value) f.emotion = $("filter-emotion").value;
    if ($("filter-recording").value) f.recording_id = $("filter-recording").value;
    if ($("filter-since").value) f.since = $("filter-since").value;
    if ($("filter-until").value) f.until = $("filter-until").value + "T23:59:59";
    if ($("filter-last").value) f.last_n_recordings = Number($("filter-last").value);
    return f;
  }

  function contextLine(segments) {
    return segments.map((s) => (s.speaker ? s.speaker + ": " : "") + s.text).join(" ");
  }

  function render(answer) {
    const list = $("search-results");
    list.replaceChildren();
    $("search-summary").textContent = answer.results.length + " result(s) in " + answer.took_ms + " ms";
    for (const hit of answer.results) {
      const href = "/recordings/" + encodeURIComponent(hit.recording_id) + "?segment=" +
        encodeURIComponent(hit.segment_id) + "&t=" + hit.start;
      const link = el("a", { href, className: "result-link", textContent: hit.text });
      const meta = el("div", { className: "meta", textContent:
        hit.recording_title + " · " + new Date(hit.recorded_at * 1000).toLocaleDateString() + " · " +
        Nemo.clock(hit.start) + " – " + Nemo.clock(hit.end) + (hit.speaker ? " · " + hit.speaker : "") });
      const emotion = el("span", { className: "emotion", textContent: hit.emotion ? " " + hit.emotion : "" });
      const item = el("li", {},
        el("div", { className: "context", textContent: contextLine(hit.context_before) }),
        el("div", {}, link, emotion),
        el("div", { className: "context", textContent: contextLine(hit.context_after) }),
        meta);
      item.dataset.segmentId = hit.segment_id;
      list.append(item);
    }
  }

  $("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("search-error").hidden = true;
    $("search-button").disabled = true;
    try {
      render(await Nemo.api("/search", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: $("search-query").value, top_k: Number($("search-top-k").value) || 10,
          filters: filters() }),
      }));
    } catch (err) {
      $("search-error").textContent = err.message;
      $("search-error").hidden = false;
    } finally {
      $("search-button").disabled = false;
    }
  });
  fillChoices();
})();
