// Small helpers shared by the pages: API calls with the session cookie and the CSRF header.
"use strict";
const Nemo = {
  csrf() { return document.querySelector('meta[name="csrf-token"]').content; },
  async api(path, options = {}) {
    const headers = Object.assign({ "X-CSRFToken": Nemo.csrf() }, options.headers || {});
    const response = await fetch("/api/v1" + path, Object.assign({}, options, { headers, credentials: "same-origin" }));
    const body = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const err = new Error(body && body.error ? body.error.message : response.statusText);
      err.code = body && body.error ? body.error.code : "http_" + response.status;
      throw err;
    }
    return body;
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
