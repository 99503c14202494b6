// Webhooks page: add, remove, ping, and each webhook's deliveries with their outcome and a resend button.
"use strict";
(function () {
  const $ = (x) => document.getElementById(x);
  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };
  const when = (t) => (t ? new Date(t * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "medium" }) : "");

  function deliveryRow(hook, d) {
    const status = d.last_status ? "HTTP " + d.last_status : "";
    const error = d.last_error && d.state !== "delivered" && d.last_error !== status ? ": " + d.last_error : "";
    const outcome = d.state + (status ? " (" + status + ")" : "") + error;
    const resend = el("button", { type: "button", textContent: "Send again" });
    resend.setAttribute("aria-label", "Send delivery " + d.id + " again");
    resend.addEventListener("click", async () => {
      await Nemo.api("/webhooks/" + hook.id + "/deliveries/" + d.id + "/replay", { method: "POST" });
      setTimeout(load, 800);
    });
    const row = el("tr", {}, el("td", {}, when(d.created_at)), el("td", {}, d.event),
      el("td", { className: "state-" + d.state }, outcome), el("td", {}, String(d.attempts)), el("td", {}, resend));
    row.dataset.deliveryId = d.id;
    return row;
  }

  async function hookCard(hook) {
    const { deliveries } = await Nemo.api("/webhooks/" + hook.id + "/deliveries");
    const ping = el("button", { type: "button", textContent: "Send a ping" });
    const remove = el("button", { type: "button", textContent: "Delete" });
    ping.addEventListener("click", async () => {
      await Nemo.api("/webhooks/" + hook.id + "/ping", { method: "POST" });
      setTimeout(load, 800);
    });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete the webhook to " + hook.url + "?")) return;
      await Nemo.api("/webhooks/" + hook.id, { method: "DELETE" });
      load();
    });
    const table = el("table", { className: "list" },
      el("thead", {}, el("tr", {}, ...["Sent", "Event", "Outcome", "Tries", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...(deliveries.length ? deliveries.map((d) => deliveryRow(hook, d))
        : [el("tr", {}, el("td", { colSpan: 5 }, "Nothing sent yet."))])));
    const box = el("div", { className: "hook" },
      el("h3", {}, hook.url), el("p", { className: "meta" }, hook.events.join(", ") + (hook.description ? " · " + hook.description : "")),
      el("p", {}, ping, " ", remove), el("div", { className: "scroll" }, table));
    box.dataset.webhookId = hook.id;
    return box;
  }

  async function load() {
    const { webhooks } = await Nemo.api("/webhooks");
    const cards = await Promise.all(webhooks.map(hookCard));
    $("hooks").replaceChildren(...(cards.length ? cards : [el("p", {}, "No webhooks yet.")]));
  }

  $("hook-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("hook-error").hidden = true;
    const form = new FormData(event.target);
    try {
      const hook = await Nemo.api("/webhooks", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ url: form.get("url"), events: form.getAll("events"), description: form.get("description") }) });
      $("hook-secret").textContent = "Secret for " + hook.url + " (shown only now): " + hook.secret;
      $("hook-secret").hidden = false;
      event.target.reset();
      load();
    } catch (err) {
      $("hook-error").textContent = err.message;
      $("hook-error").hidden = false;
    }
  });
  load();
})();
