// Assistant page: the answer streams in token by token (SSE); each citation links to its moment.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  let conversation = [];
  let conversationId = null;

  const el = Nemo.el;

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

  // The answer with each [n] a link to the moment it cites. The server may cite a neighbour of the
  // excerpt the model named (the reply to a question, the line that holds the answer): a mark with no
  // citation of its own number goes to the citation in the same order as the marks.
  function linkedAnswer(body, answer, citations) {
    const list = citations || [];
    const byN = new Map(list.map((c) => [c.n, c]));
    const order = [...new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))];
    body.replaceChildren();
    let last = 0;
    for (const match of answer.matchAll(/\[(\d+)\]/g)) {
      const n = Number(match[1]);
      const cited = byN.get(n) || list[order.indexOf(n)];
      if (!cited) continue;
      body.append(answer.slice(last, match.index), el("a", { href: momentLink(cited), className: "citation-mark",
        textContent: match[0], title: cited.recording_title + " " + Nemo.clock(cited.start) +
          (cited.speaker ? " · " + cited.speaker : "") }));
      last = match.index + match[0].length;
    }
    body.append(answer.slice(last));
  }

  function bubble(role, text) {
    const body = el("div", { className: "text", textContent: text });
    const node = el("div", { className: "chat-turn " + role }, el("div", { className: "meta", textContent: role === "user" ? "You" : "Nemo" }), body);
    $("chat-log").append(node);
    return { node, body };
  }

  function follow(chatId, turn) {
    const citations = el("ol", { className: "citations" });
    turn.node.append(citations);
    let text = "";
    // Until the first word, say what is happening: the search and the model's reading take seconds.
    turn.body.textContent = $("chat-memory").checked ? "Searching your recordings…" : "Thinking…";
    turn.node.dataset.state = "waiting";
    const source = new EventSource("/api/v1/chat/" + encodeURIComponent(chatId) + "/events");
    return new Promise((resolve) => {
      source.addEventListener("restart", () => { text = ""; turn.body.textContent = ""; });
      source.addEventListener("token", (e) => {
        text += JSON.parse(e.data).text;
        turn.body.textContent = text;
        turn.node.dataset.state = "writing";
      });
      // The answer did not hold up against what it cites: what streamed is replaced by "not found".
      source.addEventListener("revised", (e) => { text = JSON.parse(e.data).answer; turn.body.textContent = text; });
      source.addEventListener("done", (e) => {
        const chat = JSON.parse(e.data);
        source.close();
        linkedAnswer(turn.body, chat.answer, chat.citations);
        renderCitations(citations, chat.citations);
        turn.node.dataset.state = "done";
        loadHistory();
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
      $("chat-error").textContent = Nemo.plain(err);
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

  // Past conversations, newest first: opening one shows its questions and answers, and goes on from there.
  async function loadHistory() {
    try {
      const { conversations } = await Nemo.api("/conversations");
      $("chat-history").replaceChildren(...conversations.map((c) => {
        const question = (c.messages.filter((m) => m.role === "user").pop() || { content: "" }).content;
        const open = el("button", { type: "button", className: "link-button", textContent: question.slice(0, 80) || "(empty)" });
        open.addEventListener("click", () => openConversation(c.conversation_id));
        return el("li", {}, open, el("span", { className: "meta", textContent: " " + new Date(c.created_at * 1000).toLocaleString() }));
      }));
      if (!conversations.length) $("chat-history").replaceChildren(el("li", { className: "hint", textContent: "No conversations yet." }));
    } catch (err) { /* the page works without its history */ }
  }

  async function openConversation(id) {
    const { answers } = await Nemo.api("/conversations/" + encodeURIComponent(id));
    $("chat-log").replaceChildren();
    conversation = [];
    for (const chat of answers) {
      const question = chat.messages[chat.messages.length - 1];
      bubble("user", question.content);
      const turn = bubble("assistant", "");
      if (chat.answer) linkedAnswer(turn.body, chat.answer, chat.citations);
      else turn.body.textContent = chat.error || chat.state;
      const citations = el("ol", { className: "citations" });
      renderCitations(citations, chat.citations || []);
      turn.node.append(citations);
      turn.node.dataset.state = chat.state;
      conversation = chat.messages.concat(chat.answer ? [{ role: "assistant", content: chat.answer }] : []);
    }
    conversationId = id;
  }
  loadHistory();
})();
