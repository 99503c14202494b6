// Search page: a question with filters; each result opens the transcript at its moment.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);

  const el = Nemo.el;

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

  // Results grouped by recording (the recording of the best result first), the query's words marked.
  function render(answer, query) {
    const list = $("search-results");
    list.replaceChildren();
    const words = query.split(/[^\p{L}\p{N}']+/u);
    const n = answer.results.length;
    const groups = new Map();
    for (const hit of answer.results) {
      if (!groups.has(hit.recording_id)) groups.set(hit.recording_id, []);
      groups.get(hit.recording_id).push(hit);
    }
    $("search-summary").textContent = n
      ? n + " moment" + (n === 1 ? "" : "s") + " in " + groups.size + " recording" + (groups.size === 1 ? "" : "s") + " (" + Math.round(answer.took_ms) + " ms)"
      : "Nothing in your recordings matches this closely enough. Try other words, or fewer filters.";
    for (const [recordingId, hits] of groups) {
      const first = hits[0];
      const heading = el("h2", { className: "result-recording" },
        el("a", { href: "/recordings/" + encodeURIComponent(recordingId), textContent: first.recording_title }),
        el("span", { className: "meta", textContent: " · " + new Date(first.recorded_at * 1000).toLocaleDateString() }));
      const moments = el("ol", { className: "results" });
      for (const hit of hits) {
        const href = "/recordings/" + encodeURIComponent(hit.recording_id) + "?segment=" +
          encodeURIComponent(hit.segment_id) + "&t=" + hit.start;
        const link = el("a", { href, className: "result-link" }, ...Nemo.highlighted(hit.text, words));
        const meta = el("div", { className: "meta", textContent:
          Nemo.clock(hit.start) + " – " + Nemo.clock(hit.end) + (hit.speaker ? " · " + hit.speaker : "") });
        const emotion = el("span", { className: "emotion", textContent: hit.emotion ? " " + hit.emotion : "" });
        const item = el("li", {},
          el("div", { className: "context", textContent: contextLine(hit.context_before) }),
          el("div", {}, link, emotion),
          el("div", { className: "context", textContent: contextLine(hit.context_after) }),
          meta);
        item.dataset.segmentId = hit.segment_id;
        moments.append(item);
      }
      list.append(el("li", { className: "result-group" }, heading, moments));
    }
  }

  $("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("search-error").hidden = true;
    $("search-button").disabled = true;
    const query = $("search-query").value;
    try {
      render(await Nemo.api("/search", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: $("search-query").value, top_k: Number($("search-top-k").value) || 10,
          filters: filters() }),
      }), query);
    } catch (err) {
      // Results of an earlier search must not stand under an error about this one.
      $("search-results").replaceChildren();
      $("search-summary").textContent = "";
      $("search-error").textContent = "Search failed: " + Nemo.plain(err);
      $("search-error").hidden = false;
    } finally {
      $("search-button").disabled = false;
    }
  });
  fillChoices();
})();
