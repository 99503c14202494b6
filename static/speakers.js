// Speakers page: enroll, rename, delete voice profiles.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);

  async function load() {
    const { speakers } = await Nemo.api("/speakers");
    const body = $("speaker-rows");
    body.replaceChildren();
    for (const s of speakers) {
      const row = document.createElement("tr");
      row.dataset.speakerId = s.id;
      const name = Object.assign(document.createElement("input"), { value: s.label, maxLength: 100 });
      const rename = Object.assign(document.createElement("button"), { type: "button", textContent: "Rename" });
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "Delete" });
      rename.addEventListener("click", async () => {
        try {
          await Nemo.api("/speakers/" + s.id, { method: "PATCH", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ name: name.value }) });
          load();
        } catch (err) { alert(err.message); }
      });
      remove.addEventListener("click", async () => {
        if (!confirm("Delete " + s.label + " and their voice profile?")) return;
        await Nemo.api("/speakers/" + s.id, { method: "DELETE" });
        load();
      });
      for (const value of [name, String(s.samples), String(s.recordings)]) {
        const td = document.createElement("td");
        td.append(value);
        row.append(td);
      }
      const actions = document.createElement("td");
      actions.append(rename, " ", remove);
      row.append(actions);
      body.append(row);
    }
    if (!speakers.length) body.innerHTML = "<tr><td colspan=4>No speakers yet.</td></tr>";
  }

  $("enroll-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("enroll-error").hidden = true;
    $("enroll-button").disabled = true;
    try {
      const accepted = await Nemo.api("/speakers", { method: "POST", body: new FormData(event.target) });
      let job;
      do {
        await new Promise((r) => setTimeout(r, 700));
        job = await Nemo.api("/jobs/" + accepted.job_id);
      } while (job.state === "queued" || job.state === "running");
      if (job.state !== "done") throw new Error(job.error || job.state);
      event.target.reset();
      load();
    } catch (err) {
      $("enroll-error").textContent = err.message;
      $("enroll-error").hidden = false;
    } finally {
      $("enroll-button").disabled = false;
    }
  });
  load();
})();
