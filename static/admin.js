// Admin page: create users, change roles, sign users out, delete them; their API tokens; the audit log
// with filters; the workers and their queues (GET /api/v1/health), with a link to Flower.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  let people = [];

  const el = Nemo.el;
  // A cell named for the phone layout, where the table's head is hidden.
  function labelled(label, text) {
    const td = el("td", { textContent: text });
    td.dataset.label = label;
    return td;
  }
  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "never");
  const json = (method, body) => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const say = (text) => { $("users-status").textContent = text; };

  function userRow(u) {
    const tr = el("tr");
    tr.dataset.userId = u.id;
    const role = el("select", { className: "role" },
      ...["user", "admin"].map((r) => el("option", { value: r, textContent: r, selected: r === u.role })));
    role.setAttribute("aria-label", "Role of " + u.username);
    role.addEventListener("change", async () => {
      if (!confirm("Make " + u.username + " " + role.value + "? Their sessions end.")) { role.value = u.role; return; }
      try { await Nemo.api("/users/" + u.id, json("PATCH", { role: role.value })); say(u.username + " is now " + role.value + "."); load(); }
      catch (err) { say(Nemo.plain(err)); role.value = u.role; }
    });
    const tokens = el("button", { type: "button", textContent: "Tokens", className: "tokens" });
    tokens.addEventListener("click", () => showTokens(u));
    const signOut = el("button", { type: "button", textContent: "Sign out everywhere" });
    signOut.addEventListener("click", async () => {
      try { await Nemo.api("/users/" + u.id + "/sessions", { method: "DELETE" }); say(u.username + " is signed out everywhere."); }
      catch (err) { say(Nemo.plain(err)); }
    });
    const remove = el("button", { type: "button", textContent: "Delete", className: "delete danger" });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete " + u.username + " with all their recordings, speakers and tokens? This cannot be undone.")) return;
      try { await Nemo.api("/users/" + u.id, { method: "DELETE" }); say(u.username + " was deleted."); load(); }
      catch (err) { say(Nemo.plain(err)); }
    });
    const used = u.quota ? (u.quota.storage_bytes.used / 1e6).toFixed(1) + " MB" : "";
    tr.append(el("td", { className: "username", textContent: u.username }), el("td", {}, role),
      labelled("Created", when(u.created_at)), labelled("Storage", used),
      el("td", { className: "actions" }, tokens, " ", signOut, " ", remove));
    return tr;
  }

  async function showTokens(u) {
    $("tokens-card").hidden = false;
    $("tokens-title").textContent = "API tokens of " + u.username;
    const { tokens } = await Nemo.api("/users/" + u.id + "/tokens");
    $("token-rows").replaceChildren(...tokens.map((t) => {
      const revoke = el("button", { type: "button", textContent: "Revoke", className: "revoke danger", disabled: !!t.revoked_at });
      revoke.setAttribute("aria-label", "Revoke the token " + t.name);
      revoke.addEventListener("click", async () => {
        if (!confirm("Revoke " + u.username + "'s token " + t.name + "? Programs using it stop working.")) return;
        try { await Nemo.api("/users/" + u.id + "/tokens/" + t.id, { method: "DELETE" }); showTokens(u); loadAudit(); }
        catch (err) { say(Nemo.plain(err)); }
      });
      const row = el("tr", {}, el("td", { textContent: t.name }), el("td", { textContent: when(t.created_at) }),
        el("td", { textContent: when(t.last_used_at) }),
        el("td", { className: "state", textContent: t.revoked_at ? "revoked " + when(t.revoked_at) : "active" }),
        el("td", {}, revoke));
      row.dataset.tokenId = t.id;
      return row;
    }));
    if (!tokens.length) $("token-rows").replaceChildren(el("tr", {}, el("td", { colSpan: 5, textContent: u.username + " has no API tokens." })));
  }

  async function loadAudit() {
    const params = new URLSearchParams({ limit: "200" });
    if ($("audit-action").value) params.set("action", $("audit-action").value);
    if ($("audit-user").value) params.set("user_id", $("audit-user").value);
    if ($("audit-since").value) params.set("since", String(new Date($("audit-since").value).getTime() / 1000));
    if ($("audit-until").value) params.set("until", String(new Date($("audit-until").value + "T23:59:59").getTime() / 1000));
    try {
      const { events } = await Nemo.api("/audit?" + params);
      const name = (id) => (people.find((p) => p.id === id) || { username: id || "" }).username;
      $("audit-rows").replaceChildren(...events.map((e) => {
        const row = el("tr", {}, el("td", { textContent: when(e.at) }), el("td", { textContent: name(e.user_id) }),
          el("td", { className: "action", textContent: e.action }), el("td", { textContent: e.detail }),
          el("td", { textContent: e.remote_addr || "" }));
        return row;
      }));
      if (!events.length) $("audit-rows").replaceChildren(el("tr", {}, el("td", { colSpan: 5, textContent: "Nothing matches these filters." })));
    } catch (err) { $("audit-rows").replaceChildren(el("tr", {}, el("td", { colSpan: 5, textContent: Nemo.plain(err) }))); }
  }

  async function loadWorkers() {
    try {
      const health = await Nemo.api("/health");
      $("worker-list").replaceChildren(...health.workers.map((w) =>
        el("li", { textContent: w.hostname + ": " + (w.queues || []).join(", ") })));
      const unserved = health.queues_without_worker || [];
      $("unserved").hidden = !unserved.length;
      $("unserved").textContent = unserved.length ? "No worker serves: " + unserved.join(", ") : "";
    } catch (err) { $("worker-list").replaceChildren(el("li", { textContent: Nemo.plain(err) })); }
  }

  async function load() {
    try {
      people = (await Nemo.api("/users")).users;
      $("user-rows").replaceChildren(...people.map(userRow));
      const chosen = $("audit-user").value;
      $("audit-user").replaceChildren(el("option", { value: "", textContent: "anyone" }),
        ...people.map((p) => el("option", { value: p.id, textContent: p.username, selected: p.id === chosen })));
    } catch (err) { say(Nemo.plain(err)); }
    loadAudit();
  }

  $("new-user").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const created = await Nemo.api("/users", json("POST", { username: $("new-username").value,
        password: $("new-password").value, role: $("new-role").value }));
      e.target.reset();
      say(created.username + " was created; give them their password to sign in.");
      load();
    } catch (err) { say(Nemo.plain(err)); }
  });
  for (const id of ["audit-action", "audit-user", "audit-since", "audit-until"]) $(id).addEventListener("change", loadAudit);
  $("audit-filters").addEventListener("submit", (e) => e.preventDefault());
  load();
  loadWorkers();
})();
