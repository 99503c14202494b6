// Recording page: transcript with speakers and times, click-to-play, corrections.
"use strict";
(function () {
  const root = document.getElementById("recording");
  const id = root.dataset.recordingId;
  const player = document.getElementById("player");
  const $ = (x) => document.getElementById(x);

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  }

  function renderSpeakers(segments) {
    const seen = new Map();
    for (const s of segments) {
      if (!s.speaker_id) continue;
      const entry = seen.get(s.speaker_id) || { label: s.speaker, seconds: 0 };
      entry.seconds += s.end - s.start;
      seen.set(s.speaker_id, entry);
    }
    const list = $("speaker-list");
    list.replaceChildren();
    for (const [speakerId, info] of seen) {
      const input = el("input", { type: "text", value: info.label, maxLength: 100, className: "speaker-name" });
      const save = el("button", { type: "button", textContent: "Rename" });
      const status = el("span", { className: "hint" });
      save.addEventListener("click", async () => {
        try {
          await Nemo.api("/recordings/" + id + "/speakers/" + speakerId, {
            method: "PATCH", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ name: input.value, add_to_profile: true }),
          });
          load();
        } catch (err) { status.textContent = err.message; }
      });
      const item = el("li", {}, input, save, " ",
        el("span", { className: "hint", textContent: Nemo.clock(info.seconds) + " spoken " }), status);
      item.dataset.speakerId = speakerId;
      list.append(item);
    }
    if (!seen.size) list.append(el("li", { textContent: "No speakers were told apart in this recording." }));
  }

  // Why a transcript may be poor: how much of the speech has words, and how the audio sounds.
  function renderFidelity(rec) {
    const parts = [];
    const cov = rec.speech_coverage;
    if (cov && cov.ratio !== null) {
      parts.push("Speech coverage " + (cov.ratio * 100).toFixed(1) + "% (" + cov.covered_seconds.toFixed(1) +
        " of " + cov.speech_seconds.toFixed(1) + " s of speech have words)");
    }
    const q = rec.audio_quality;
    if (q && q.speech_level_dbfs !== null) {
      parts.push("speech at " + q.speech_level_dbfs.toFixed(0) + " dBFS, peak " + q.peak_dbfs.toFixed(0) +
        " dBFS, SNR " + (q.snr_db >= 60 ? "over 60" : q.snr_db.toFixed(0)) + " dB, clipping " + (q.clipping_ratio * 100).toFixed(2) +
        "%, speech " + Math.round(q.speech_ratio * 100) + "% of the audio");
    }
    $("recording-fidelity").textContent = parts.join(" · ");
  }

  function renderTranscript(rec) {
    const segments = rec.segments;
    const container = $("transcript");
    container.replaceChildren();
    const names = new Set();
    for (const seg of segments) {
      if (seg.speaker) names.add(seg.speaker);
      const time = el("a", { href: "#", className: "time", textContent: Nemo.clock(seg.start) + " – " + Nemo.clock(seg.end) });
      time.addEventListener("click", (e) => {
        e.preventDefault();
        player.currentTime = seg.start;
        player.play().catch(() => {});
      });
      const speaker = el("input", { className: "speaker", value: seg.speaker || "", title: "speaker" });
      speaker.setAttribute("list", "speaker-names");
      const text = el("span", { className: "text", textContent: seg.text, contentEditable: "true", spellcheck: true });
      const status = el("span", { className: "hint" });
      async function save(body) {
        try {
          await Nemo.api("/segments/" + seg.id, {
            method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
          });
          status.textContent = "saved";
          if ("speaker" in body) load();
        } catch (err) { status.textContent = err.message; }
      }
      text.addEventListener("blur", () => { if (text.textContent.trim() !== seg.text) save({ text: text.textContent }); });
      text.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); text.blur(); } });
      speaker.addEventListener("change", () => { if (speaker.value.trim()) save({ speaker: speaker.value }); });
      const emotion = el("span", { className: "emotion", textContent: seg.emotion || "",
        title: seg.emotion_scores ? Object.entries(seg.emotion_scores).map(([k, v]) => k + " " + v).join(", ") : "" });
      const q = seg.audio_quality;
      // The server flags a line whose audio was quiet, noisy or clipped: its words deserve less trust.
      const flag = el("span", { className: "quality", textContent: q && q.flags ? q.flags.join(", ") : "",
        title: q && q.speech_level_dbfs !== null ? "level " + q.speech_level_dbfs + " dBFS, SNR " + q.snr_db + " dB" : "" });
      const row = el("div", { className: "segment" + (seg.edited ? " edited" : "") }, time, speaker, text, emotion, flag, status);
      row.dataset.segmentId = seg.id;
      row.dataset.start = seg.start;
      container.append(row);
    }
    $("speaker-names").replaceChildren(...[...names].map((n) => el("option", { value: n })));
    if (!segments.length) container.textContent = emptyTranscript(rec);
  }

  const ENDED = ["done", "failed", "cancelled"];

  // What an empty transcript means depends on the job: "no speech" only once a finished job found none.
  function emptyTranscript(rec) {
    const job = rec.job;
    if (job && job.state === "failed") return "Processing failed: " + (job.error || "no reason was given") + ".";
    if (job && job.state === "cancelled") return "Processing was cancelled" + (job.error ? " (" + job.error + ")" : "") + ".";
    if (job && !ENDED.includes(job.state)) return "Processing: " + jobStage(job) + ". The transcript appears here when it is ready.";
    if (rec.speech_found === false) return "No speech was found in this recording.";
    return "The transcript appears here once the recording is processed.";
  }

  // A recording whose job was cancelled or failed stays "queued" in its own status: say what happened.
  function shownStatus(rec) {
    return rec.job && ["failed", "cancelled"].includes(rec.job.state) ? rec.job.state : rec.status;
  }

  function jobStage(job) {
    const stage = job.state === "queued" ? "waiting in the queue" : (job.message || job.stage || job.state);
    return stage + " (" + Math.round((job.progress || 0) * 100) + "%)";
  }

  // While the job runs, its events (SSE) keep the stage line current; its end brings the transcript.
  let following = null;
  function follow(job) {
    if (!job || ENDED.includes(job.state) || following === job.id) return;
    following = job.id;
    $("job-status").textContent = "Processing: " + jobStage(job);
    const source = new EventSource("/api/v1/jobs/" + encodeURIComponent(job.id) + "/events");
    source.addEventListener("progress", (e) => {
      $("job-status").textContent = "Processing: " + jobStage(JSON.parse(e.data));
    });
    for (const name of ENDED) {
      source.addEventListener(name, () => {
        source.close();
        following = null;
        $("job-status").textContent = "";
        load();
      });
    }
  }

  // A search result links here with ?segment=<id>&t=<seconds>: show that moment and cue the audio there.
  let opened = false;
  function openAtMoment() {
    if (opened) return;
    const params = new URLSearchParams(window.location.search);
    const row = params.get("segment") && document.querySelector('[data-segment-id="' + CSS.escape(params.get("segment")) + '"]');
    const start = row ? Number(row.dataset.start) : Number(params.get("t"));
    if (row) {
      row.classList.add("found");
      row.scrollIntoView({ block: "center" });
    }
    if (Number.isFinite(start) && (row || params.has("t"))) player.currentTime = start;
    opened = true;
  }

  const SUMMARY_STATES = {
    pending: "The summary is on its way (it is written after all other work).",
    failed: "The summary could not be written.",
  };

  function renderSummary(rec) {
    const state = rec.summary_state;
    $("summary-text").textContent = state === "done" ? rec.summary :
      SUMMARY_STATES[state] || "The summary is written once the recording is processed.";
    $("summary-card").dataset.state = state || "";
    $("action-items").replaceChildren(...(rec.action_items || []).map((item) =>
      Object.assign(document.createElement("li"), { textContent: item })));
    if (state === "done" && !rec.action_items.length) {
      $("action-items").append(Object.assign(document.createElement("li"), { textContent: "none" }));
    }
    const jobRunning = rec.job && !["done", "failed", "cancelled"].includes(rec.job.state);
    if (state === "pending" || (!state && jobRunning)) setTimeout(refreshSummary, 5000);
  }

  async function refreshSummary() {
    try { renderSummary(await Nemo.api("/recordings/" + id)); } catch (err) { /* try again on reload */ }
  }

  async function load() {
    try {
      const rec = await Nemo.api("/recordings/" + id);
      $("recording-title").textContent = rec.title;
      $("recording-meta").textContent = new Date(rec.recorded_at * 1000).toLocaleString() + " · " +
        Nemo.clock(rec.duration) + " · " + shownStatus(rec) + (rec.job && rec.job.warning ? " · " + rec.job.warning : "");
      renderSpeakers(rec.segments);
      renderFidelity(rec);
      renderTranscript(rec);
      renderSummary(rec);
      follow(rec.job);
      openAtMoment();
    } catch (err) {
      $("transcript").textContent = err.message;
    }
  }
  load();
})();
