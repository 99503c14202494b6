// Emotions page: stacked bars per speaker and per period, from /emotions/summary with the search filters.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  const COLOURS = { anger: "#d64545", disgust: "#7a8c2e", fear: "#7b4fb3", joy: "#f2b705",
    neutral: "#a7b1bc", sadness: "#3b7dd8", surprise: "#f07c2a" };

  const el = Nemo.el;

  function bars(counts, total) {
    const box = el("div", { className: "bars" });
    for (const [emotion, n] of Object.entries(counts)) {
      if (!n) continue;
      const part = el("span", { title: emotion + ": " + n });
      part.style.width = (100 * n / total) + "%";
      part.style.background = COLOURS[emotion] || "#888";
      part.dataset.emotion = emotion;
      box.append(part);
    }
    return box;
  }

  function rows(target, entries, label) {
    target.replaceChildren();
    for (const entry of entries) {
      const row = el("tr", {}, el("td", { textContent: label(entry) }), el("td", { textContent: String(entry.total) }));
      const cell = el("td");
      cell.append(bars(entry.counts, entry.total || 1));
      row.append(cell);
      target.append(row);
    }
    if (!entries.length) target.append(el("tr", {}, el("td", { textContent: "Nothing yet." })));
  }

  async function load() {
    const params = new URLSearchParams({ bucket: $("filter-bucket").value });
    if ($("filter-speaker").value.trim()) params.set("speaker", $("filter-speaker").value.trim());
    if ($("filter-since").value) params.set("since", $("filter-since").value);
    if ($("filter-until").value) params.set("until", $("filter-until").value + "T23:59:59");
    if ($("filter-last").value) params.set("last_n_recordings", $("filter-last").value);
    $("emotions-error").hidden = true;
    try {
      const summary = await Nemo.api("/emotions/summary?" + params);
      $("legend").replaceChildren(...summary.emotions.map((e) => {
        const swatch = el("i");
        swatch.style.background = COLOURS[e];
        return el("span", {}, swatch, e + " " + summary.totals[e]);
      }));
      rows($("by-speaker"), summary.by_speaker, (s) => s.speaker || "unknown speaker");
      const fmt = summary.bucket === "hour" ? (d) => d.toLocaleString() : (d) => d.toLocaleDateString();
      rows($("over-time"), summary.over_time, (p) => fmt(new Date(p.start * 1000)));
    } catch (err) {
      $("emotions-error").textContent = err.message;
      $("emotions-error").hidden = false;
    }
  }

  $("emotion-filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load();
})();
