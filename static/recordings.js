// Recordings list.
"use strict";
(async function () {
  const body = document.getElementById("recording-rows");
  const { recordings } = await Nemo.api("/recordings");
  body.replaceChildren();
  for (const rec of recordings) {
    const row = document.createElement("tr");
    const link = document.createElement("a");
    link.href = "/recordings/" + rec.id;
    link.textContent = rec.title;
    const cells = [link, new Date(rec.recorded_at * 1000).toLocaleString(), Nemo.clock(rec.duration),
      rec.job ? rec.job.state : rec.status];
    for (const value of cells) {
      const td = document.createElement("td");
      td.append(value);
      row.append(td);
    }
    body.append(row);
  }
  if (!recordings.length) body.innerHTML = "<tr><td colspan=4>No recordings yet.</td></tr>";
})();
