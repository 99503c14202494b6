// Speakers page: enroll a voice, add samples to one, rename inline, merge two, delete.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  let speakers = [];

  const el = Nemo.el;

  // An enrollment or a sample upload is a job: wait for it, so the page says whether the voice took.
  async function finished(jobId) {
    let job;
    do {
      await new Promise((r) => setTimeout(r, 700));
      job = await Nemo.api("/jobs/" + jobId);
    } while (job.state === "queued" || job.state === "running");
    if (job.state !== "done") throw new Error(job.error || job.state);
  }

  function row(s) {
    const tr = el("tr");
    tr.dataset.speakerId = s.id;
    const status = el("span", { className: "hint", role: "status" });
    const name = el("input", { value: s.label, maxLength: 100, className: "speaker-name" });
    name.setAttribute("aria-label", "Name of " + s.label);
    const rename = el("button", { type: "button", textContent: "Rename" });
    const submitName = async () => {
      if (name.value.trim() === s.label) return;
      try {
        await Nemo.api("/speakers/" + s.id, { method: "PATCH", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: name.value }) });
        load();
      } catch (err) { status.textContent = err.message; }
    };
    rename.addEventListener("click", submitName);
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); submitName(); } });

    // Two speakers who are one person: pick the one who stays.
    const into = el("select", { className: "merge-into" },
      el("option", { value: "", textContent: "Merge into…" }),
      ...speakers.filter((o) => o.id !== s.id).map((o) => el("option", { value: o.id, textContent: o.label })));
    into.setAttribute("aria-label", "Merge " + s.label + " into another speaker");
    into.addEventListener("change", async () => {
      const target = speakers.find((o) => o.id === into.value);
      if (!target) return;
      if (!confirm("Merge " + s.label + " into " + target.label + "? Every line and sample of " + s.label +
        " becomes " + target.label + "'s, in every recording.")) { into.value = ""; return; }
      try {
        await Nemo.api("/speakers/" + s.id + "/merge", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ into: target.id }) });
        load();
      } catch (err) { status.textContent = err.message; into.value = ""; }
    });

    const actions = el("td", { className: "actions" });
    if (s.name) {
      const files = el("input", { type: "file", multiple: true, accept: "audio/*,.m4a,.webm,.ogg,.flac,.mp3,.wav",
        className: "add-samples", hidden: true });
      files.setAttribute("aria-label", "More samples of " + s.label);
      const add = el("button", { type: "button", textContent: "Add samples" });
      add.addEventListener("click", () => files.click());
      files.addEventListener("change", async () => {
        if (!files.files.length) return;
        const form = new FormData();
        for (const f of files.files) form.append("audio", f);
        files.value = "";
        status.textContent = "adding samples…";
        try {
          const accepted = await Nemo.api("/speakers/" + s.id + "/samples", { method: "POST", body: form });
          await finished(accepted.job_id);
          load();
        } catch (err) { status.textContent = err.message; }
      });
      actions.append(add, files, " ");
    }
    const remove = el("button", { type: "button", textContent: "Delete", className: "danger" });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete " + s.label + " and their voice profile?")) return;
      try {
        await Nemo.api("/speakers/" + s.id, { method: "DELETE" });
        load();
      } catch (err) { status.textContent = err.message; }
    });
    actions.append(into, " ", remove, " ", status);
    const nameCell = el("td", {}, name, " ", rename);
    const samples = el("td", {}, el("span", { className: "count", textContent: String(s.samples) }));
    const heard = el("td", {}, el("span", { className: "count", textContent: String(s.recordings) }));
    if (s.samples) {
      const play = el("button", { type: "button", textContent: "Play sample", className: "play-sample" });
      play.setAttribute("aria-label", "Play sample of " + s.label); // the visible words first (WCAG 2.5.3)
      play.addEventListener("click", () => playSample(s, play));
      samples.append(" ", play);
    } else if (s.recordings) {
      const hear = el("button", { type: "button", textContent: "Hear them", className: "hear" });
      hear.setAttribute("aria-label", "Hear them: " + s.label + ", in a recording");
      hear.addEventListener("click", () => hearInRecording(s));
      heard.append(" ", hear);
    }
    samples.dataset.label = "Samples";
    heard.dataset.label = "Recordings";
    tr.append(nameCell, samples, heard, actions);
    return tr;
  }

  // One player for the page: an enrolled voice's samples in turn, or an unnamed speaker's longest line.
  const player = $("voice-player");
  function play(src, what) {
    player.src = src;
    player.hidden = false;
    $("voice-playing").textContent = "Playing " + what + ".";
    player.play().catch(() => { $("voice-playing").textContent = what + ": press play."; });
  }
  const nextSample = new Map(); // speaker id -> index of the sample the next click plays
  async function playSample(s, button) {
    try {
      const { samples } = await Nemo.api("/speakers/" + s.id + "/samples");
      if (!samples.length) throw new Error(s.label + " has no samples");
      const n = (nextSample.get(s.id) || 0) % samples.length;
      nextSample.set(s.id, n + 1);
      play(samples[n].audio, "sample " + (n + 1) + " of " + samples.length + " of " + s.label +
        " (" + samples[n].seconds.toFixed(1) + " s of voice)");
      if (samples.length > 1) {
        button.textContent = "Play sample " + ((n + 1) % samples.length + 1) + " of " + samples.length;
        button.setAttribute("aria-label", button.textContent + " of " + s.label);
      }
    } catch (err) { $("voice-playing").textContent = Nemo.plain(err); }
  }
  async function hearInRecording(s) {
    try {
      const { recordings } = await Nemo.api("/recordings?speaker_id=" + encodeURIComponent(s.id));
      if (!recordings.length) throw new Error(s.label + " speaks in no recording");
      const rec = await Nemo.api("/recordings/" + encodeURIComponent(recordings[0].id));
      const lines = rec.segments.filter((g) => g.speaker_id === s.id).sort((a, b) => (b.end - b.start) - (a.end - a.start));
      const line = lines[0];
      play("/api/v1/recordings/" + encodeURIComponent(rec.id) + "/audio#t=" + line.start + "," + line.end,
        s.label + " in “" + rec.title + "” at " + Nemo.clock(line.start) + ": “" + line.text + "”");
    } catch (err) { $("voice-playing").textContent = Nemo.plain(err); }
  }

  async function load() {
    speakers = (await Nemo.api("/speakers")).speakers;
    const body = $("speaker-rows");
    body.replaceChildren(...speakers.map(row));
    if (!speakers.length) body.replaceChildren(el("tr", {}, el("td", { colSpan: 4, textContent: "No speakers yet." })));
  }

  // Enrolling a name that exists adds the samples to that person, once the user says so.
  $("enroll-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = $("enroll-error");
    error.hidden = true;
    $("enroll-button").disabled = true;
    const wanted = $("enroll-name").value.trim().toLowerCase();
    const existing = speakers.find((s) => s.name && s.name.toLowerCase() === wanted);
    try {
      if (existing && !confirm(existing.label + " is already enrolled. Add these samples to " + existing.label + "?")) return;
      const data = new FormData(form);
      if (existing) data.delete("name");
      const accepted = await Nemo.api(existing ? "/speakers/" + existing.id + "/samples" : "/speakers",
        { method: "POST", body: data });
      await finished(accepted.job_id);
      form.reset();
      load();
    } catch (err) {
      // The files were for this person: never let them ride along with the next enrollment.
      $("enroll-audio").value = "";
      error.textContent = err.message + " Choose the samples again.";
      error.hidden = false;
    } finally {
      $("enroll-button").disabled = false;
    }
  });
  load();
})();
