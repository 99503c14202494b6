// Account page: the user's own API tokens (create one, shown once; revoke).
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "never");

  const el = Nemo.el;

  async function load() {
    const { tokens } = await Nemo.api("/auth/tokens");
    $("my-tokens").replaceChildren(...tokens.map((t) => {
      const revoke = el("button", { type: "button", textContent: "Revoke", className: "revoke danger", disabled: !!t.revoked_at });
      revoke.setAttribute("aria-label", "Revoke the token " + t.name);
      revoke.addEventListener("click", async () => {
        if (!confirm("Revoke the token " + t.name + "? Programs using it stop working.")) return;
        try { await Nemo.api("/auth/tokens/" + t.id, { method: "DELETE" }); load(); }
        catch (err) { $("token-new").textContent = Nemo.plain(err); }
      });
      const row = el("tr", {}, el("td", { textContent: t.name }), el("td", { textContent: when(t.created_at) }),
        el("td", { textContent: when(t.last_used_at) }),
        el("td", { className: "state", textContent: t.revoked_at ? "revoked" : "active" }), el("td", {}, revoke));
      row.dataset.tokenId = t.id;
      return row;
    }));
    if (!tokens.length) $("my-tokens").replaceChildren(el("tr", {}, el("td", { colSpan: 5, textContent: "No tokens yet." })));
  }

  $("token-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const made = await Nemo.api("/auth/tokens", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: $("token-name").value }) });
      $("token-new").replaceChildren("New token (copy it now, it is not shown again): ",
        el("code", { id: "token-value", textContent: made.token }));
      e.target.reset();
      load();
    } catch (err) { $("token-new").textContent = Nemo.plain(err); }
  });
  load();
})();
