// Recordings list: find, filter, sort, rename, tag, delete (one or several), export several; a recording
// being processed updates itself from its job's events (SSE) until it is ready.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  const ENDED = ["done", "failed", "cancelled"];
  const MAX_STREAMS = 4; // a browser holds ~6 connections per site: the rest poll
  let all = [];
  const streams = new Map(); // job id -> EventSource
  const selected = new Set();

  const el = Nemo.el;

  function running(rec) { return rec.job && !ENDED.includes(rec.job.state); }

  function statusText(rec) {
    if (running(rec)) {
      const job = rec.job;
      return (job.state === "queued" ? "queued" : (job.stage || job.state)) + " " + Math.round((job.progress || 0) * 100) + "%";
    }
    if (rec.job && rec.job.state !== "done") return rec.job.state + (rec.job.error ? ": " + rec.job.error : "");
    return "ready";
  }

  function group(rec) {
    if (running(rec)) return "processing";
    return rec.job && rec.job.state !== "done" ? "failed" : "ready";
  }

  function shown() {
    const find = $("list-find").value.trim().toLowerCase();
    const status = $("list-status").value;
    const since = $("list-since").value ? new Date($("list-since").value).getTime() / 1000 : null;
    const until = $("list-until").value ? new Date($("list-until").value + "T23:59:59").getTime() / 1000 : null;
    const speaker = $("list-speaker").value;
    const rows = all.filter((r) =>
      (!find || r.title.toLowerCase().includes(find) || r.tags.some((t) => t.includes(find)) ||
        r.speakers.some((s) => s.label.toLowerCase().includes(find))) &&
      (!speaker || r.speakers.some((s) => s.id === speaker)) &&
      (!status || group(r) === status) &&
      (since === null || r.recorded_at >= since) && (until === null || r.recorded_at <= until));
    const order = {
      "recorded-desc": (a, b) => b.recorded_at - a.recorded_at,
      "recorded-asc": (a, b) => a.recorded_at - b.recorded_at,
      "title": (a, b) => a.title.localeCompare(b.title),
      "duration-desc": (a, b) => b.duration - a.duration,
    }[$("list-sort").value];
    return rows.sort(order);
  }

  function row(rec) {
    const tr = el("tr");
    tr.dataset.recordingId = rec.id;
    const pick = el("input", { type: "checkbox", checked: selected.has(rec.id), className: "pick" });
    pick.setAttribute("aria-label", "Select " + rec.title);
    pick.addEventListener("change", () => {
      if (pick.checked) selected.add(rec.id); else selected.delete(rec.id);
      updateBulk();
    });
    const link = el("a", { href: "/recordings/" + encodeURIComponent(rec.id), textContent: rec.title, className: "title" });
    const rename = el("button", { type: "button", textContent: "Rename", className: "rename" });
    const remove = el("button", { type: "button", textContent: "Delete", className: "delete danger" });
    // Who speaks in it, as search and the assistant know them (one identity across recordings).
    const who = el("span", { className: "hint who", textContent: rec.speakers.map((s) => s.label).join(", ") });
    const titleCell = el("td", {}, link, " ", who);
    rename.addEventListener("click", () => {
      const input = el("input", { value: rec.title, maxLength: 200, className: "title-input" });
      input.setAttribute("aria-label", "New title for " + rec.title);
      const save = async () => {
        if (!input.value.trim() || input.value === rec.title) { render(); return; }
        try {
          Object.assign(rec, await edit(rec.id, { title: input.value }));
        } catch (err) { say(Nemo.plain(err)); }
        render();
      };
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); save(); }
        if (e.key === "Escape") render();
      });
      input.addEventListener("blur", save);
      titleCell.replaceChildren(input);
      input.focus();
    });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete \u201c" + rec.title + "\u201d with its transcript and audio? This cannot be undone.")) return;
      await removeAll([rec.id]);
    });
    const tags = el("input", { value: rec.tags.join(", "), className: "tags", placeholder: "add tags" });
    tags.setAttribute("aria-label", "Tags of " + rec.title);
    tags.addEventListener("change", async () => {
      try {
        Object.assign(rec, await edit(rec.id, { tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean) }));
        say("Tags saved.");
      } catch (err) { say(Nemo.plain(err)); tags.value = rec.tags.join(", "); }
    });
    const labelled = (label, props) => {
      const td = el("td", props); // the label names the cell where the table's head is hidden (phone)
      td.dataset.label = label;
      return td;
    };
    tr.append(el("td", {}, pick), titleCell, el("td", {}, tags),
      labelled("Recorded", { textContent: rec.recorded_at ? new Date(rec.recorded_at * 1000).toLocaleString() : "" }),
      labelled("Length", { textContent: Nemo.clock(rec.duration) }),
      labelled("Status", { className: "status", textContent: statusText(rec) }),
      el("td", { className: "actions" }, rename, " ", remove));
    return tr;
  }

  function edit(id, body) {
    return Nemo.api("/recordings/" + encodeURIComponent(id), {
      method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function say(text) { $("list-status-line").textContent = text; }

  function updateBulk() {
    for (const id of [...selected]) if (!all.some((r) => r.id === id)) selected.delete(id);
    $("bulk-delete").disabled = $("bulk-export").disabled = !selected.size;
    $("bulk-delete").textContent = "Delete selected" + (selected.size ? " (" + selected.size + ")" : "");
  }

  function render() {
    const rows = shown();
    const body = $("recording-rows");
    body.replaceChildren(...rows.map(row));
    if (!rows.length) {
      body.replaceChildren(el("tr", {}, el("td", { colSpan: 7,
        textContent: all.length ? "No recording matches these filters." : "No recordings yet." })));
    }
    $("select-all").checked = rows.length > 0 && rows.every((r) => selected.has(r.id));
    updateBulk();
  }

  async function removeAll(ids) {
    let gone = 0;
    for (const id of ids) {
      try {
        await Nemo.api("/recordings/" + encodeURIComponent(id), { method: "DELETE" });
        gone += 1;
        selected.delete(id);
      } catch (err) { say(Nemo.plain(err)); }
    }
    if (gone) say(gone + " recording" + (gone === 1 ? "" : "s") + " deleted.");
    await load();
  }

  // Several transcripts in one text file, each under its title, speakers and times kept.
  async function exportAll(ids) {
    const parts = [];
    for (const id of ids) {
      const rec = all.find((r) => r.id === id);
      const response = await fetch("/api/v1/recordings/" + encodeURIComponent(id) + "/export?format=txt", { credentials: "same-origin" });
      parts.push("# " + rec.title + "\n\n" + (response.ok ? await response.text() : "(could not be exported)") + "\n");
    }
    const link = el("a", { href: URL.createObjectURL(new Blob([parts.join("\n")], { type: "text/plain" })),
      download: "recordings.txt" });
    document.body.append(link);
    link.click();
    link.remove();
    say(ids.length + " transcript" + (ids.length === 1 ? "" : "s") + " exported.");
  }

  // Each running job is followed by its events; its end brings the recording's new state.
  function followJobs() {
    const wanted = all.filter(running).map((r) => r.job.id);
    for (const [jobId, source] of streams) {
      if (!wanted.includes(jobId)) { source.close(); streams.delete(jobId); }
    }
    for (const jobId of wanted.slice(0, MAX_STREAMS)) {
      if (streams.has(jobId)) continue;
      const source = new EventSource("/api/v1/jobs/" + encodeURIComponent(jobId) + "/events");
      streams.set(jobId, source);
      source.addEventListener("progress", (e) => {
        const rec = all.find((r) => r.job && r.job.id === jobId);
        if (!rec) return;
        Object.assign(rec.job, JSON.parse(e.data));
        const cell = document.querySelector('tr[data-recording-id="' + CSS.escape(rec.id) + '"] .status');
        if (cell) cell.textContent = statusText(rec);
      });
      for (const name of ENDED) source.addEventListener(name, () => { source.close(); streams.delete(jobId); load(); });
    }
    if (wanted.length > MAX_STREAMS) setTimeout(load, 5000);
  }

  async function load() {
    try {
      all = (await Nemo.api("/recordings")).recordings;
      render();
      followJobs();
    } catch (err) { say(Nemo.plain(err)); }
  }

  // The speaker filter lists every speaker of the user; a link from a transcript (?speaker=<id>) picks one.
  async function fillSpeakers() {
    const wanted = new URLSearchParams(window.location.search).get("speaker");
    try {
      const { speakers } = await Nemo.api("/speakers");
      $("list-speaker").append(...speakers.map((s) => el("option", { value: s.id, textContent: s.label })));
    } catch (err) { say(Nemo.plain(err)); }
    if (wanted && [...$("list-speaker").options].some((o) => o.value === wanted)) $("list-speaker").value = wanted;
  }

  for (const id of ["list-find", "list-status", "list-speaker", "list-since", "list-until", "list-sort"]) {
    $(id).addEventListener("input", render);
    // A choice in a list may come with only "change"; a text box's change (on leaving it) would rebuild
    // the rows under the pointer of whoever is clicking one.
    if ($(id).tagName === "SELECT") $(id).addEventListener("change", render);
  }
  $("list-controls").addEventListener("submit", (e) => e.preventDefault());
  $("select-all").addEventListener("change", () => {
    for (const rec of shown()) { if ($("select-all").checked) selected.add(rec.id); else selected.delete(rec.id); }
    render();
  });
  $("bulk-delete").addEventListener("click", async () => {
    const ids = [...selected];
    if (!confirm("Delete " + ids.length + " recording" + (ids.length === 1 ? "" : "s") +
      " with their transcripts and audio? This cannot be undone.")) return;
    await removeAll(ids);
  });
  $("bulk-export").addEventListener("click", () => exportAll([...selected]));
  fillSpeakers().then(load);
})();
