// Upload page: send the file, follow the job's Server-Sent Events, then show the transcript.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const $ = (id) => document.getElementById(id);

  function showError(message) {
    $("progress-card").hidden = false;
    $("job-error").hidden = false;
    $("job-error").textContent = message;
    $("upload-button").disabled = false;
  }

  function log(text) {
    const item = document.createElement("li");
    item.textContent = text;
    $("job-log").append(item);
  }

  async function showTranscript(recordingId) {
    const recording = await Nemo.api("/recordings/" + recordingId);
    $("transcript-card").hidden = false;
    $("transcript-link").href = "/recordings/" + recordingId;
    Nemo.renderTranscript($("transcript"), recording.segments);
  }

  function follow(jobId, recordingId) {
    const source = new EventSource("/api/v1/jobs/" + jobId + "/events");
    const update = (data) => {
      $("job-state").textContent = data.state || "";
      $("job-stage").textContent = data.stage || "";
      if (typeof data.progress === "number") $("job-progress").value = data.progress;
    };
    source.addEventListener("progress", (e) => {
      const data = JSON.parse(e.data);
      update(data);
      if (data.message) log(data.message);
    });
    source.addEventListener("done", (e) => {
      source.close();
      update(JSON.parse(e.data));
      $("job-progress").value = 1;
      $("upload-button").disabled = false;
      showTranscript(recordingId).catch((err) => showError(err.message));
    });
    for (const name of ["failed", "cancelled"]) {
      source.addEventListener(name, (e) => {
        source.close();
        const data = JSON.parse(e.data);
        update(data);
        showError(data.error || name);
      });
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("upload-button").disabled = true;
    $("job-error").hidden = true;
    $("transcript-card").hidden = true;
    $("job-log").replaceChildren();
    const data = new FormData(form);
    const local = data.get("recorded_at_local");
    data.delete("recorded_at_local");
    if (local) data.set("recorded_at", new Date(local).toISOString());
    $("progress-card").hidden = false;
    $("job-state").textContent = "uploading";
    try {
      const accepted = await Nemo.api("/recordings", { method: "POST", body: data });
      log("accepted as job " + accepted.job_id);
      follow(accepted.job_id, accepted.recording_id);
    } catch (err) {
      showError(err.message);
    }
  });
})();
