// Recording page: transcript with speakers and times, click-to-play, corrections.
"use strict";
(function () {
  const root = document.getElementById("recording");
  const id = root.dataset.recordingId;
  const player = document.getElementById("player");
  const $ = (x) => document.getElementById(x);

  const el = Nemo.el;

  // This recording calls its unnamed speakers "Speaker 1, 2" in the order diarization first heard them
  // (a corrected line does not renumber them); each is an identity the user has elsewhere under a
  // global label ("Speaker 17", what search filters use).
  let here = new Map();
  const shown = (seg) => (seg.speaker_id && here.has(seg.speaker_id) ? here.get(seg.speaker_id).label_in_recording : seg.speaker);

  // The pickers' choices: this recording's speakers as it calls them, then every named person, then the
  // unnamed speakers of other recordings. A choice typed or picked is that speaker, never a new one.
  let choices = [];
  const UNNAMED = /^speaker\s+\d+$/i;
  const noSuchLabel = (typed) => "There is no " + typed + " here: pick a speaker from the list or type a person's name.";
  function buildChoices(voices) {
    choices = [...here.values()].map((s) => ({ id: s.id, text: s.label_in_recording, label: s.label }));
    for (const v of voices) {
      if (here.has(v.id)) continue;
      choices.push({ id: v.id, label: v.label, text: v.name || v.label + " (other recordings)" });
    }
  }
  function knownByLabel(text) {
    const wanted = text.trim().toLowerCase();
    // This meeting's own words first; the label a speaker has everywhere ("Speaker 17") works too.
    return choices.find((c) => c.text.toLowerCase() === wanted) ||
      choices.find((c) => c.label.toLowerCase() === wanted) || null;
  }

  function renderSpeakers(rec) {
    const seen = new Map(rec.speakers.map((s) => [s.id, { label: s.label_in_recording, identity: s, seconds: 0 }]));
    for (const s of rec.segments) {
      if (seen.has(s.speaker_id)) seen.get(s.speaker_id).seconds += s.end - s.start;
    }
    const list = $("speaker-list");
    list.replaceChildren();
    for (const [speakerId, info] of seen) {
      const input = el("input", { type: "text", value: info.label, maxLength: 100, className: "speaker-name" });
      const save = el("button", { type: "button", textContent: "Rename" });
      const status = el("span", { className: "hint" });
      input.setAttribute("aria-label", "Name of " + info.label);
      input.setAttribute("list", "speaker-names");
      const submit = async () => {
        const other = knownByLabel(input.value);
        if (other && other.id === speakerId) { input.value = info.label; return; }
        if (other && !confirm(other.text + " is already a speaker. Merge " + info.label +
          " into " + other.text + "? Every line of " + info.label + " in this recording becomes " + other.text + "'s.")) {
          input.value = info.label;
          return;
        }
        if (!other && UNNAMED.test(input.value.trim())) {
          status.textContent = noSuchLabel(input.value.trim());
          input.value = info.label;
          return;
        }
        try {
          // The server knows speakers by their global label: a choice is sent as that, a new name as typed.
          await Nemo.api("/recordings/" + id + "/speakers/" + speakerId, {
            method: "PATCH", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ name: other ? other.label : input.value, add_to_profile: true }),
          });
          load();
        } catch (err) { status.textContent = err.message; }
      };
      save.addEventListener("click", submit);
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); submit(); } });
      // An unnamed speaker is one identity across recordings: say under which label, and link to them.
      const elsewhere = info.identity.name ? [] : [el("a", { href: "/recordings?speaker=" + encodeURIComponent(speakerId),
        className: "hint", textContent: "“" + info.identity.label + "” in search and other recordings" }), " "];
      const item = el("li", { className: "speaker-entry " + colourOf(speakerId) }, input, save, " ",
        el("span", { className: "hint", textContent: Nemo.clock(info.seconds) + " spoken " }), ...elsewhere, status);
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

  // Each timed word its own span (click: play from it; highlighted while it plays). A corrected line's
  // words no longer match their timings: it stays plain text.
  let timedWords = [];
  function fillWords(node, seg) {
    const words = seg.words || [];
    const joined = words.map((w) => w.word.trim()).join(" ").replace(/\s+/g, " ");
    if (seg.edited || !words.length || joined !== seg.text.trim().replace(/\s+/g, " ")) {
      node.textContent = seg.text;
      return;
    }
    words.forEach((w, i) => {
      const span = el("span", { className: "word", textContent: w.word.trim() });
      span.dataset.start = w.start;
      span.addEventListener("click", () => { player.currentTime = w.start; });
      node.append(...(i ? [" ", span] : [span]));
      timedWords.push({ start: w.start, end: w.end, span });
    });
  }

  // An emotion as a coloured chip with the model's confidence.
  function emotionChip(seg) {
    if (!seg.emotion) return el("span", { className: "emotion" });
    const score = seg.emotion_scores && seg.emotion_scores[seg.emotion];
    const chip = el("span", { className: "emotion chip emotion-" + seg.emotion,
      textContent: seg.emotion + (typeof score === "number" ? " " + Math.round(score * 100) + "%" : ""),
      title: seg.emotion_scores ? Object.entries(seg.emotion_scores).sort((a, b) => b[1] - a[1])
        .map(([k, v]) => k + " " + Math.round(v * 100) + "%").join(", ") : "" });
    return chip;
  }

  function renderTranscript(rec) {
    timedWords = [];
    const segments = rec.segments;
    const container = $("transcript");
    container.replaceChildren();
    for (const seg of segments) {
      const time = el("a", { href: "#", className: "time", textContent: Nemo.clock(seg.start) + " – " + Nemo.clock(seg.end) });
      time.addEventListener("click", (e) => {
        e.preventDefault();
        player.currentTime = seg.start;
        player.play().catch(() => {});
      });
      const label = shown(seg) || "";
      const speaker = el("input", { className: "speaker " + colourOf(seg.speaker_id), value: label,
        title: "Who said this: pick a speaker or type a new name" });
      speaker.setAttribute("list", "speaker-names");
      speaker.setAttribute("aria-label", "Speaker of the line at " + Nemo.clock(seg.start));
      const text = el("span", { className: "text", contentEditable: "true", spellcheck: true });
      text.setAttribute("aria-label", "Words said at " + Nemo.clock(seg.start) + " (edit to correct)");
      fillWords(text, seg);
      const status = el("span", { className: "hint" });
      async function save(body) {
        try {
          await Nemo.api("/segments/" + seg.id, {
            method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
          });
          status.textContent = "saved";
          if ("speaker" in body || "speaker_id" in body) load();
        } catch (err) { status.textContent = err.message; }
      }
      const squeeze = (x) => x.trim().replace(/\s+/g, " ");
      text.addEventListener("blur", () => { if (squeeze(text.textContent) !== squeeze(seg.text)) save({ text: text.textContent }); });
      text.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); text.blur(); } });
      speaker.addEventListener("change", () => {
        const typed = speaker.value.trim();
        if (!typed || typed === label) { speaker.value = label; return; }
        const existing = knownByLabel(typed);
        if (existing) { if (existing.id !== seg.speaker_id) save({ speaker_id: existing.id }); else speaker.value = label; return; }
        if (UNNAMED.test(typed)) {
          status.textContent = noSuchLabel(typed);
          speaker.value = label;
          return;
        }
        if (confirm("Add " + typed + " as a new speaker for this line?")) save({ speaker: typed });
        else speaker.value = label;
      });
      const emotion = emotionChip(seg);
      const q = seg.audio_quality;
      // The server flags a line whose audio was quiet, noisy or clipped: its words deserve less trust.
      const flag = el("span", { className: "quality", textContent: q && q.flags ? q.flags.join(", ") : "",
        title: q && q.speech_level_dbfs !== null ? "level " + q.speech_level_dbfs + " dBFS, SNR " + q.snr_db + " dB" : "" });
      const row = el("div", { className: "segment " + colourOf(seg.speaker_id) + (seg.edited ? " edited" : "") },
        time, speaker, text, emotion, flag, status);
      row.dataset.segmentId = seg.id;
      row.dataset.start = seg.start;
      container.append(row);
    }
    $("speaker-names").replaceChildren(...choices.map((c) => el("option", { value: c.text })));
    if (!segments.length) container.textContent = emptyTranscript(rec);
  }

  // One colour per speaker, the same on every line and in the speakers list (app.css speaker-c0..c7).
  const colours = new Map();
  function colourOf(speakerId) {
    if (!speakerId) return "speaker-none";
    if (!colours.has(speakerId)) colours.set(speakerId, "speaker-c" + (colours.size % 8));
    return colours.get(speakerId);
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
    // A summary being rewritten (after a rename or a correction) stays readable until the new one lands.
    const rewriting = state === "pending" && rec.summary;
    $("summary-text").textContent = state === "done" || rewriting ? rec.summary :
      SUMMARY_STATES[state] || "The summary is written once the recording is processed.";
    $("summary-status").textContent = rewriting ? "Being rewritten after your changes…" : "";
    $("summary-card").dataset.state = state || "";
    $("action-items").replaceChildren(...(rec.action_items || []).map((item) =>
      Object.assign(document.createElement("li"), { textContent: item })));
    if ((state === "done" || rewriting) && !rec.action_items.length) {
      $("action-items").append(Object.assign(document.createElement("li"), { textContent: "none" }));
    }
    const jobRunning = rec.job && !["done", "failed", "cancelled"].includes(rec.job.state);
    $("summary-rewrite").disabled = state === "pending" || jobRunning;
    if (state === "pending" || (!state && jobRunning)) setTimeout(refreshSummary, 5000);
  }

  $("summary-rewrite").addEventListener("click", async () => {
    try {
      await Nemo.api("/recordings/" + id + "/summary", { method: "POST" });
      $("summary-status").textContent = "Being rewritten…";
      $("summary-rewrite").disabled = true;
      setTimeout(refreshSummary, 3000);
    } catch (err) { $("summary-status").textContent = err.message; }
  });

  // Diarization again, told how many people speak (or left to count them): the job's stages show as
  // it runs and the transcript reloads when it ends; corrected lines keep their speaker.
  let rediarizing = false;
  $("rediarize").addEventListener("submit", async (e) => {
    e.preventDefault();
    const count = $("rediarize-count").value;
    try {
      const accepted = await Nemo.api("/recordings/" + id + "/diarize", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ speakers: count ? Number(count) : null }),
      });
      $("rediarize-status").textContent = "Telling " + (count ? count + " speakers" : "the speakers") + " apart…";
      $("rediarize-button").disabled = true;
      rediarizing = true;
      follow({ id: accepted.job_id, state: "queued", progress: 0 });
    } catch (err) { $("rediarize-status").textContent = Nemo.plain(err); }
  });

  async function refreshSummary() {
    try { renderSummary(await Nemo.api("/recordings/" + id)); } catch (err) { /* try again on reload */ }
  }

  async function load() {
    try {
      const [rec, voices] = await Promise.all([Nemo.api("/recordings/" + id), Nemo.api("/speakers")]);
      here = new Map(rec.speakers.map((s) => [s.id, s]));
      buildChoices(voices.speakers);
      $("recording-title").textContent = rec.title;
      $("recording-meta").textContent = new Date(rec.recorded_at * 1000).toLocaleString() + " · " +
        Nemo.clock(rec.duration) + " · " + shownStatus(rec) + (rec.job && rec.job.warning ? " · " + rec.job.warning : "");
      renderSpeakers(rec);
      renderFidelity(rec);
      renderTranscript(rec);
      drawLanes(rec);
      renderSummary(rec);
      follow(rec.job);
      const busy = rec.job && !ENDED.includes(rec.job.state);
      $("rediarize-button").disabled = busy || !["transcribed", "diarized", "undiarized"].includes(rec.status);
      if (rediarizing && !busy) {
        rediarizing = false;
        $("rediarize-status").textContent = rec.job && rec.job.state !== "done" ?
          "Telling the speakers apart " + rec.job.state + (rec.job.error ? ": " + rec.job.error : "") + "." :
          rec.speakers.length + " speaker" + (rec.speakers.length === 1 ? "" : "s") + " told apart.";
      }
      openAtMoment();
    } catch (err) {
      $("transcript").textContent = err.message;
    }
  }
  // Playback: the word being said is marked and kept in view (unless the reader scrolled in the last
  // few seconds); speed; keyboard shortcuts.
  let lastScrolledByHand = 0;
  let scrolling = false;
  window.addEventListener("scroll", () => { if (!scrolling) lastScrolledByHand = Date.now(); }, { passive: true });
  let current = null;
  function markPlaying() {
    const t = player.currentTime;
    let lo = 0, hi = timedWords.length - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (timedWords[mid].start <= t + 0.02) { found = timedWords[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    if (found && t > found.end + 0.5) found = null;
    if (found === current) return;
    if (current) { current.span.classList.remove("now"); current.span.closest(".segment").classList.remove("playing"); }
    current = found;
    if (!current) return;
    current.span.classList.add("now");
    const row = current.span.closest(".segment");
    row.classList.add("playing");
    const box = row.getBoundingClientRect();
    if (Date.now() - lastScrolledByHand > 4000 && (box.top < 0 || box.bottom > window.innerHeight)) {
      scrolling = true;
      row.scrollIntoView({ block: "center" });
      setTimeout(() => { scrolling = false; }, 100);
    }
  }
  function tick() { markPlaying(); drawCursor(); if (!player.paused) requestAnimationFrame(tick); }
  player.addEventListener("play", () => requestAnimationFrame(tick));
  player.addEventListener("seeked", () => { markPlaying(); drawCursor(); });
  $("speed").addEventListener("change", () => { player.playbackRate = Number($("speed").value); });

  function nextSpeakerTurn() {
    const rows = [...document.querySelectorAll("#transcript .segment")];
    const here = rows.findIndex((r) => Number(r.dataset.start) > player.currentTime) - 1;
    const from = rows[Math.max(0, here)];
    const speakerOf = (r) => r.querySelector(".speaker").value;
    const next = rows.slice(Math.max(0, here) + 1).find((r) => !from || speakerOf(r) !== speakerOf(from));
    if (next) player.currentTime = Number(next.dataset.start);
  }
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(target.tagName)) return;
    if (e.key === " " || e.key === "k") { e.preventDefault(); if (player.paused) player.play().catch(() => {}); else player.pause(); }
    else if (e.key === "j" || e.key === "ArrowLeft") { e.preventDefault(); player.currentTime = Math.max(0, player.currentTime - 5); }
    else if (e.key === "l" || e.key === "ArrowRight") { e.preventDefault(); player.currentTime = player.currentTime + 5; }
    else if (e.key === "n") { e.preventDefault(); nextSpeakerTurn(); }
  });

  // Waveform with one lane per speaker: the audio's loudness (decoded here, for recordings up to 30
  // minutes) above coloured bars of who spoke when; a click plays from there.
  let lanes = null;
  const canvas = $("waveform");
  function drawLanes(rec) {
    const duration = rec.duration || 1;
    const speakers = [...new Set(rec.segments.filter((s) => s.speaker_id).map((s) => s.speaker_id))];
    lanes = { duration, speakers, segments: rec.segments, peaks: lanes ? lanes.peaks : null };
    canvas.height = 60 + 14 * speakers.length;
    drawCursor();
    if (!lanes.peaks && duration <= 1800 && window.OfflineAudioContext) loadPeaks(duration).catch(() => {});
  }
  async function loadPeaks(duration) {
    const response = await fetch(player.currentSrc || player.src, { credentials: "same-origin" });
    const context = new OfflineAudioContext(1, Math.ceil(duration * 8000), 8000);
    const audio = await context.decodeAudioData(await response.arrayBuffer());
    const data = audio.getChannelData(0);
    const columns = 600, step = Math.max(1, Math.floor(data.length / columns));
    const peaks = [];
    for (let c = 0; c < columns; c++) {
      let peak = 0;
      for (let i = c * step; i < Math.min(data.length, (c + 1) * step); i++) peak = Math.max(peak, Math.abs(data[i]));
      peaks.push(peak);
    }
    lanes.peaks = peaks;
    drawCursor();
  }
  function drawCursor() {
    if (!lanes) return;
    const width = canvas.width = canvas.clientWidth || 600;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, canvas.height);
    const x = (t) => (t / lanes.duration) * width;
    if (lanes.peaks) {
      ctx.fillStyle = "#9aa8b4";
      const w = width / lanes.peaks.length;
      lanes.peaks.forEach((p, i) => ctx.fillRect(i * w, 28 - p * 26, Math.max(1, w - 0.5), Math.max(1, p * 52)));
    }
    lanes.speakers.forEach((id, lane) => {
      ctx.fillStyle = getComputedStyle(document.querySelector("." + colourOf(id)) || canvas).getPropertyValue("--spk") || "#1f6feb";
      for (const seg of lanes.segments.filter((s) => s.speaker_id === id)) {
        ctx.fillRect(x(seg.start), 60 + lane * 14, Math.max(1, x(seg.end) - x(seg.start)), 10);
      }
    });
    ctx.fillStyle = "#b42318";
    ctx.fillRect(x(player.currentTime), 0, 2, canvas.height);
  }
  canvas.addEventListener("click", (e) => {
    if (!lanes) return;
    const box = canvas.getBoundingClientRect();
    player.currentTime = ((e.clientX - box.left) / box.width) * lanes.duration;
  });
  window.addEventListener("resize", drawCursor);

  load();
})();
