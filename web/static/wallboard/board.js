// Supervisor wallboard: renders the snapshots the server streams (SSE) and sends actions.
// Durations tick every second from the server's clock (snapshot.now), not the browser's.
"use strict";
(function () {
  const root = document.getElementById("wallboard");
  if (!root) return;
  const base = root.dataset.base;
  const labels = JSON.parse(root.dataset.labels);
  const reasons = JSON.parse(root.dataset.reasons);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let snap = null, skew = 0, shownAgents = "", shownQueues = "";
  const chosenReason = {};   // agent → the reason picked in its select, kept across re-renders

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return node;
  };
  const now = () => Date.now() / 1000 + skew;
  const dur = (s) => {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  };
  const pct = (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + "%");
  const mask = (n) => (n && n.length >= 7 ? n.slice(0, 3) + "****" + n.slice(-4) : n || "");
  const line = (number, name) => (number ? number + (name ? " " + name : "") : "—");

  function renderQueues() {
    const box = document.getElementById("queues");
    box.replaceChildren(...snap.queues.map((q) => {
      const alert = q.answer_rate_alert || q.sl_rate_alert;
      const kpi = (label, value, isAlert, key) =>
        [el("dt", {}, label), el("dd", { class: isAlert ? "kpi-alert" : "", "data-kpi": key }, value)];
      return el("div", { class: "card" + (alert ? " alerting" : ""), "data-queue": q.name },
        el("h3", {}, "队列 " + q.name),
        el("dl", {},
          ...kpi("排队 waiting", q.waiting, false, "waiting"),
          ...kpi("最长等待 longest wait", q.waiting ? dur(now() - Math.min(...q.callers.map((c) => c.joined_at))) : "—",
                 false, "longest_wait"),
          ...kpi("今日接通 answered", q.answered, false, "answered"),
          ...kpi("今日放弃 abandoned", q.abandoned, false, "abandoned"),
          ...kpi("接通率 answer rate (≥95%)", pct(q.answer_rate) + (q.answer_rate_alert ? " ⚠" : ""),
                 q.answer_rate_alert, "answer_rate"),
          ...kpi("15秒接通率 15 s rate (≥80%)", pct(q.sl_rate) + (q.sl_rate_alert ? " ⚠" : ""),
                 q.sl_rate_alert, "sl_rate"),
          ...kpi("在线坐席 agents in queue", q.members.length, false, "members")));
    }));
    const callers = snap.queues.flatMap((q) => q.callers);
    document.querySelector("#callers tbody").replaceChildren(...(callers.length ? callers.map((c) =>
      el("tr", { "data-caller": c.uniqueid },
        el("td", {}, c.queue), el("td", {}, c.position), el("td", {}, mask(c.caller)),
        el("td", { class: "line" }, line(c.line, c.line_name)),
        el("td", { class: "waited", "data-since": c.joined_at }, dur(now() - c.joined_at))))
      : [el("tr", {}, el("td", { colSpan: 5, class: "muted" }, "无人排队 nobody is waiting"))]));
  }

  function agentActions(a) {
    const td = el("td", { class: "actions" });
    if (a.state === "logged_out") return td;
    if (a.state === "paused") {
      td.append(el("button", { type: "button", "data-action": "unpause", onclick: () => act(a.number, "unpause") },
                   "示闲 unpause"));
    } else {
      const select = el("select", { "data-reason-for": a.number,
        onchange: (e) => { chosenReason[a.number] = e.target.value; } },
        ...Object.entries(reasons).map(([k, v]) => el("option", { value: k }, v)));
      if (chosenReason[a.number]) select.value = chosenReason[a.number];
      td.append(select, el("button", { type: "button", "data-action": "pause",
        onclick: () => act(a.number, "pause", { reason: select.value }) }, "示忙 pause"));
    }
    if (a.state === "talking" || a.state === "ringing") {
      for (const [mode, text] of [["listen", "监听 listen"], ["whisper", "耳语 whisper"], ["barge", "强插 barge"]]) {
        td.append(el("button", { type: "button", "data-action": mode,
          onclick: () => act(a.number, "spy", { mode }) }, text));
      }
    }
    return td;
  }

  function renderAgents() {
    document.querySelector("#agents tbody").replaceChildren(...snap.agents.map((a) =>
      el("tr", { "data-agent": a.number, "data-state": a.state },
        el("td", {}, a.number + " " + a.name),
        el("td", {}, el("span", { class: "state state-" + a.state }, labels[a.state] || a.state),
           a.reason ? " (" + (reasons[a.reason] || a.reason) + ")" : "",
           a.phone === "offline" && a.state !== "logged_out" ? el("span", { class: "offline" }, " 话机离线 phone offline") : ""),
        el("td", { class: "duration", "data-since": a.since }, dur(now() - a.since)),
        el("td", { class: "line" }, a.call_uniqueid ? line(a.call_line, a.call_line_name) : "—"),
        el("td", {}, (a.queues || "").split(",").filter(Boolean).map((q) => q.split(":")[0]).join(", ")),
        el("td", {}, a.answered),
        agentActions(a))));
  }

  function renderStatus() {
    const pill = document.getElementById("live-status");
    const ok = snap.listener.connected;
    pill.className = "pill " + (ok ? "pill-live" : "pill-down");
    pill.textContent = ok ? "实时 live" : "断开 AMI down";
    document.getElementById("listener-alert").hidden = ok;
    const s = snap.surge || {};
    document.getElementById("surge-banner").hidden = !s.on;
    document.getElementById("surge-banner-text").textContent = s.text || "(recording)";
    document.getElementById("surge-state").textContent = s.on
      ? "当前开启 ON since " + (s.updated_at || "") + " by " + (s.by || "") : "当前关闭 OFF" + (s.text ? " — last: " + s.text : "");
  }

  function render() {
    renderStatus();
    // re-render only what changed: a select being used is not replaced by an identical row
    const queuesKey = JSON.stringify(snap.queues.map(({ longest_wait, ...q }) => q));
    if (queuesKey !== shownQueues) { renderQueues(); shownQueues = queuesKey; }
    const agentsKey = JSON.stringify(snap.agents.map(({ duration, ...a }) => a));
    if (agentsKey !== shownAgents) { renderAgents(); shownAgents = agentsKey; }
    root.dataset.renderedAt = String(Date.now());
  }

  function tick() {
    if (!snap) return;
    document.querySelectorAll("[data-since]").forEach((node) => {
      node.textContent = dur(now() - Number(node.dataset.since));
    });
    document.querySelectorAll('[data-kpi="longest_wait"]').forEach((node) => {
      const q = snap.queues.find((x) => x.name === node.closest("[data-queue]").dataset.queue);
      if (q && q.waiting) node.textContent = dur(now() - Math.min(...q.callers.map((c) => c.joined_at)));
    });
  }

  async function post(url, body) {
    const resp = await fetch(url, { method: "POST", body, headers: { "X-CSRF-Token": csrf, Accept: "application/json" } });
    let data = {};
    try { data = await resp.json(); } catch (e) { data = { message: resp.statusText }; }
    return { ok: resp.ok && data.ok !== false, data };
  }

  async function act(number, action, fields) {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields || {})) body.append(k, v);
    const out = document.getElementById("action-result");
    out.textContent = "…";
    const { ok, data } = await post(base + "agents/" + encodeURIComponent(number) + "/" + action, body);
    out.textContent = ok ? "✓ " + action + " " + number : "✗ " + (data.message || data.error || "failed");
    out.dataset.result = ok ? "ok" : "error";
  }

  document.querySelectorAll("[data-surge]").forEach((button) => button.addEventListener("click", async () => {
    const form = document.getElementById("surge-form");
    const what = button.dataset.surge;
    const out = document.getElementById("action-result");
    out.textContent = "…";
    const url = base + (what === "on" ? "surge" : "surge/" + what);
    const { ok, data } = await post(url, what === "off" ? new FormData() : new FormData(form));
    out.textContent = ok ? "✓ surge " + what : "✗ " + (data.message || data.error || "failed");
    out.dataset.result = ok ? "ok" : "error";
  }));

  function unavailable(yes) {
    document.getElementById("live-unavailable").hidden = !yes;
    if (yes) {
      const pill = document.getElementById("live-status");
      pill.className = "pill pill-down";
      pill.textContent = "不可用 unavailable";
    }
  }

  function connect() {
    const source = new EventSource(root.dataset.stream);
    source.addEventListener("snapshot", (e) => {
      snap = JSON.parse(e.data);
      skew = snap.now - Date.now() / 1000;
      unavailable(false);
      render();
    });
    source.addEventListener("unavailable", () => unavailable(true));
    source.onerror = async () => {
      const pill = document.getElementById("live-status");
      pill.className = "pill pill-wait";
      pill.textContent = "重连中 reconnecting…";
      if (source.readyState === EventSource.CLOSED) {
        // the stream was refused (503 "live_state_unavailable"): say so, and try again shortly
        try {
          const resp = await fetch(base + "snapshot", { headers: { Accept: "application/json" } });
          const data = await resp.json();
          unavailable(resp.status === 503 && data.error === "live_state_unavailable");
        } catch (err) { unavailable(true); }
        setTimeout(connect, 2000);
      }
    };
  }
  connect();
  setInterval(tick, 1000);
})();
