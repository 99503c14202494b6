// Upload page: one or several files (chosen or dropped), each sent with its upload percentage, then
// followed through its job's Server-Sent Events until its transcript is ready; any step can be cancelled.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const $ = (id) => document.getElementById(id);
  let dropped = null; // files dropped on the zone, used instead of the input's

  const el = Nemo.el;

  function chosenFiles() {
    return dropped || [...$("audio").files];
  }

  function describeChoice() {
    const files = chosenFiles();
    $("chosen").textContent = files.length > 1 ? files.length + " files: " + files.map((f) => f.name).join(", ") +
      " (each is titled by its file name)" : "";
    $("title").disabled = files.length > 1;
  }

  // One line per file: its name, state, percentage, the job's stages, and what can be done now.
  function entry(file) {
    const item = el("li", { className: "upload" });
    item.dataset.file = file.name;
    const parts = {
      item,
      state: el("span", { className: "state", textContent: "waiting" }),
      stage: el("span", { className: "stage" }),
      bar: el("progress", { className: "bar", max: 1, value: 0 }),
      cancel: el("button", { type: "button", className: "cancel", textContent: "Cancel" }),
      open: el("a", { className: "open", hidden: true, textContent: "Open the recording" }),
      error: el("p", { className: "error", role: "alert", hidden: true }),
      choice: el("p", { className: "duplicate", hidden: true }),
      log: el("ol", { className: "log" }),
    };
    parts.bar.setAttribute("aria-label", "Progress of " + file.name);
    parts.cancel.setAttribute("aria-label", "Cancel " + file.name);
    item.append(el("strong", { textContent: file.name }), " · ", parts.state, " ", parts.stage, parts.bar, " ",
      parts.cancel, " ", parts.open, parts.choice, parts.error, parts.log);
    $("uploads").append(item);
    return parts;
  }

  function fail(parts, message, state) {
    parts.state.textContent = state || "failed";
    parts.error.textContent = message;
    parts.error.hidden = false;
    parts.cancel.hidden = true;
  }

  // The same audio already in the user's memory (its SHA-256, computed here where the browser can):
  // the user chooses between opening that one and uploading again.
  async function duplicateOf(file) {
    if (!window.crypto || !crypto.subtle || file.size > 200e6) return null;
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    const { recordings } = await Nemo.api("/recordings?sha256=" + hex);
    return recordings[0] || null;
  }

  function askAboutDuplicate(parts, existing) {
    return new Promise((resolve) => {
      const open = el("a", { href: "/recordings/" + encodeURIComponent(existing.id), className: "open-existing",
        textContent: "Open the existing one" });
      const again = el("button", { type: "button", className: "upload-anyway", textContent: "Upload it again" });
      parts.choice.replaceChildren("This file is already in your recordings as \u201c" + existing.title + "\u201d (" +
        new Date(existing.recorded_at * 1000).toLocaleString() + "). ", open, " ", again);
      parts.choice.hidden = false;
      parts.state.textContent = "already uploaded";
      again.addEventListener("click", () => { parts.choice.hidden = true; resolve(true); });
      parts.cancel.onclick = () => { parts.choice.hidden = true; resolve(false); };
    });
  }

  function send(file, fields, parts) {
    return new Promise((resolve, reject) => {
      const data = new FormData();
      data.append("audio", file);
      for (const [key, value] of fields) data.append(key, value);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/recordings");
      xhr.setRequestHeader("X-CSRFToken", Nemo.csrf());
      xhr.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        parts.bar.value = e.loaded / e.total;
        parts.stage.textContent = Math.round((100 * e.loaded) / e.total) + "% sent";
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON: a proxy's page */ }
        if (xhr.status === 202 && body) return resolve(body);
        const err = new Error(body && body.error ? body.error.message : "the upload was refused (" + xhr.status + ")");
        err.status = xhr.status;
        reject(err);
      });
      xhr.addEventListener("error", () => reject(Object.assign(new Error("the connection was lost"), { status: 0 })));
      xhr.addEventListener("abort", () => reject(Object.assign(new Error("cancelled"), { cancelled: true })));
      parts.cancel.onclick = () => xhr.abort();
      xhr.send(data);
    });
  }

  async function showTranscript(recordingId) {
    const recording = await Nemo.api("/recordings/" + recordingId);
    $("transcript-card").hidden = false;
    $("transcript-link").href = "/recordings/" + recordingId;
    Nemo.renderTranscript($("transcript"), recording.segments);
  }

  function follow(accepted, parts) {
    return new Promise((resolve) => {
      const source = new EventSource("/api/v1/jobs/" + encodeURIComponent(accepted.job_id) + "/events");
      parts.cancel.onclick = async () => {
        try { await Nemo.api("/jobs/" + encodeURIComponent(accepted.job_id), { method: "DELETE" }); }
        catch (err) { parts.error.textContent = Nemo.plain(err); parts.error.hidden = false; }
      };
      const update = (data) => {
        parts.state.textContent = data.state || "";
        parts.stage.textContent = data.stage || "";
        if (typeof data.progress === "number") parts.bar.value = data.progress;
      };
      source.addEventListener("progress", (e) => {
        const data = JSON.parse(e.data);
        update(data);
        if (data.message) parts.log.append(el("li", { textContent: data.message }));
      });
      source.addEventListener("done", (e) => {
        source.close();
        update(JSON.parse(e.data));
        parts.bar.value = 1;
        parts.cancel.hidden = true;
        showTranscript(accepted.recording_id).catch((err) => fail(parts, Nemo.plain(err)));
        resolve();
      });
      for (const name of ["failed", "cancelled"]) {
        source.addEventListener(name, (e) => {
          source.close();
          const data = JSON.parse(e.data);
          update(data);
          fail(parts, data.error || name, name);
          resolve();
        });
      }
    });
  }

  async function uploadOne(file, fields) {
    const parts = entry(file);
    try {
      const existing = await duplicateOf(file).catch(() => null);
      if (existing && !(await askAboutDuplicate(parts, existing))) {
        parts.state.textContent = "not uploaded";
        parts.cancel.hidden = true;
        return;
      }
      parts.state.textContent = "uploading";
      const accepted = await send(file, fields, parts);
      parts.open.href = "/recordings/" + encodeURIComponent(accepted.recording_id);
      parts.open.hidden = false;
      parts.state.textContent = "queued";
      parts.stage.textContent = "";
      parts.bar.value = 0;
      parts.log.append(el("li", { textContent: "accepted as job " + accepted.job_id }));
      follow(accepted, parts); // the next file goes up while this one is processed
    } catch (err) {
      if (err.cancelled) fail(parts, "The upload was cancelled; nothing was kept.", "cancelled");
      else fail(parts, Nemo.plain(err), "rejected");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = chosenFiles();
    if (!files.length) return;
    $("upload-button").disabled = true;
    $("transcript-card").hidden = true;
    $("progress-card").hidden = false;
    $("uploads").replaceChildren();
    const fields = [...new FormData(form)].filter(([key, value]) =>
      key !== "audio" && key !== "recorded_at_local" && value !== "" && !(key === "title" && files.length > 1));
    const local = $("recorded_at_local").value;
    if (local) fields.push(["recorded_at", new Date(local).toISOString()]);
    // The files go up one after another; each is followed while the next one is sent.
    for (const file of files) await uploadOne(file, fields);
    $("upload-button").disabled = false;
    dropped = null;
  });

  $("audio").addEventListener("change", () => { dropped = null; describeChoice(); });
  const zone = $("drop-zone");
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) zone.addEventListener(name, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    dropped = [...e.dataTransfer.files];
    $("audio").required = !dropped.length;
    describeChoice();
  });
})();
