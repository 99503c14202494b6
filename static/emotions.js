// Emotions page: stacked bars per speaker and per period, from /emotions/summary with the search filters.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  const COLOURS = { anger: "#d64545", disgust: "#7a8c2e", fear: "#7b4fb3", joy: "#f2b705",
    neutral: "#a7b1bc", sadness: "#3b7dd8", surprise: "#f07c2a" };

  const el = Nemo.el;

  const percent = (n, total) => Math.round(100 * n / total);

  // Black or white, whichever reads better on the colour (WCAG relative luminance; they tie near 0.18).
  function inkOn(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? "#000" : "#fff";
  }

  // One stacked bar across the full width: each emotion's share, its percentage written inside when it
  // fits, and the whole bar read out as text (count and share of every emotion) for a screen reader.
  function bars(who, counts, total) {
    const box = el("div", { className: "bars" });
    const said = [];
    for (const [emotion, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
      if (!n) continue;
      const share = percent(n, total);
      const part = el("span", { title: emotion + ": " + n + " (" + share + "%)", textContent: share >= 8 ? share + "%" : "" });
      part.style.width = (100 * n / total) + "%";
      part.style.background = COLOURS[emotion] || "#888888";
      part.style.color = inkOn(COLOURS[emotion] || "#888888");
      part.dataset.emotion = emotion;
      part.dataset.count = n;
      box.append(part);
      said.push(emotion + " " + share + "% (" + n + ")");
    }
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", who + ": " + (said.join(", ") || "no emotions"));
    return box;
  }

  function rows(target, entries, label) {
    target.replaceChildren();
    for (const entry of entries) {
      const who = label(entry);
      const row = el("tr", {}, el("td", { className: "who", textContent: who, title: who }),
        el("td", { className: "count", textContent: String(entry.total) }));
      const cell = el("td", { className: "share" });
      cell.append(bars(who, entry.counts, entry.total || 1));
      row.append(cell);
      target.append(row);
    }
    if (!entries.length) target.append(el("tr", {}, el("td", { colSpan: 3, textContent: "Nothing yet." })));
    target.closest("table").querySelector("tfoot").hidden = !entries.length;
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
      const all = Object.values(summary.totals).reduce((a, b) => a + b, 0) || 1;
      $("legend").replaceChildren(...summary.emotions.map((e) => {
        const swatch = el("i");
        swatch.style.background = COLOURS[e];
        return el("span", {}, swatch, e + " " + summary.totals[e] + " (" + percent(summary.totals[e], all) + "%)");
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
