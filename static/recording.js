// Recording page: the transcript with times and speakers.
"use strict";
(async function () {
  const root = document.getElementById("recording");
  try {
    const rec = await Nemo.api("/recordings/" + root.dataset.recordingId);
    document.getElementById("recording-title").textContent = rec.title;
    document.getElementById("recording-meta").textContent =
      new Date(rec.recorded_at * 1000).toLocaleString() + " · " + Nemo.clock(rec.duration) + " · " + rec.status;
    Nemo.renderTranscript(document.getElementById("transcript"), rec.segments);
  } catch (err) {
    document.getElementById("transcript").textContent = err.message;
  }
})();
