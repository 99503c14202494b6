// Assistant page: the answer streams in token by token (SSE); each citation links to its moment.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  let conversation = [];
  let conversationId = null;

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props || {});
    node.append(...children);
    return node;
  }

  function momentLink(c) {
    return "/recordings/" + encodeURIComponent(c.recording_id) + "?segment=" +
      encodeURIComponent(c.segment_id) + "&t=" + c.start;
  }

  function renderCitations(box, citations) {
    box.replaceChildren();
    for (const c of citations) {
      const link = el("a", { href: momentLink(c), className: "citation-link",
        textContent: "[" + c.n + "] " + c.recording_title + " " + Nemo.clock(c.start) + " – " + Nemo.clock(c.end) +
          (c.speaker ? " · " + c.speaker : "") + (c.inferred ? " (matched)" : "") });
      link.dataset.segmentId = c.segment_id;
      box.append(el("li", {}, link, el("div", { className: "context", textContent: c.text })));
    }
  }

  function bubble(role, text) {
    const body = el("div", { className: "text", textContent: text });
    const node = el("div", { className: "chat-turn " + role }, el("div", { className: "meta", textContent: role === "user" ? "You" : "Nemo" }), body);
    $("chat-log").append(node);
    return { node, body };
  }

  function follow(chatId, turn) {
    const citations = el("ol", { className: "citations" });
    const meta = el("div", { className: "meta" });
    turn.node.append(citations, meta);
    let text = "";
    const source = new EventSource("/api/v1/chat/" + encodeURIComponent(chatId) + "/events");
    return new Promise((resolve) => {
      source.addEventListener("restart", () => { text = ""; turn.body.textContent = ""; });
      source.addEventListener("token", (e) => { text += JSON.parse(e.data).text; turn.body.textContent = text; });
      // The answer did not hold up against what it cites: what streamed is replaced by "not found".
      source.addEventListener("revised", (e) => { text = JSON.parse(e.data).answer; turn.body.textContent = text; });
      source.addEventListener("done", (e) => {
        const chat = JSON.parse(e.data);
        source.close();
        turn.body.textContent = chat.answer;
        renderCitations(citations, chat.citations);
        meta.textContent = chat.usage.completion_tokens + " tokens · first token " +
          chat.timings.first_token_s + " s · " + chat.timings.tokens_per_second + " tokens/s";
        turn.node.dataset.state = "done";
        resolve(chat.answer);
      });
      source.addEventListener("failed", (e) => {
        const chat = JSON.parse(e.data);
        source.close();
        turn.body.textContent = "";
        $("chat-error").textContent = chat.error || "the answer failed";
        $("chat-error").hidden = false;
        turn.node.dataset.state = "failed";
        resolve(null);
      });
    });
  }

  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = $("chat-input").value.trim();
    if (!question) return;
    $("chat-error").hidden = true;
    $("chat-send").disabled = true;
    bubble("user", question);
    const messages = conversation.concat([{ role: "user", content: question }]);
    try {
      const body = { messages, use_memory: $("chat-memory").checked,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone };
      if (conversationId) body.conversation_id = conversationId;
      const accepted = await Nemo.api("/chat", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body) });
      conversationId = accepted.conversation_id;
      $("chat-input").value = "";
      const answer = await follow(accepted.chat_id, bubble("assistant", ""));
      if (answer !== null) conversation = messages.concat([{ role: "assistant", content: answer }]);
    } catch (err) {
      $("chat-error").textContent = err.message;
      $("chat-error").hidden = false;
    } finally {
      $("chat-send").disabled = false;
    }
  });

  $("chat-new").addEventListener("click", () => {
    conversation = [];
    conversationId = null;
    $("chat-log").replaceChildren();
  });
})();
