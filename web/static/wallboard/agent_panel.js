// The agent's own state panel (fragment of the agent workspace): live by SSE, buttons post actions.
"use strict";
(function () {
  const root = document.getElementById("agent-state");
  if (!root || root.dataset.started) return;
  root.dataset.started = "1";
  const labels = JSON.parse(root.dataset.labels), reasons = JSON.parse(root.dataset.reasons);
  const field = (name) => root.querySelector('[data-field="' + name + '"]');
  let skew = 0;
  const dur = (s) => {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };

  function show(st) {
    skew = st.now - Date.now() / 1000;
    const state = field("state");
    state.textContent = labels[st.state] || st.state;
    state.className = "state state-" + st.state;
    root.dataset.state = st.state;
    field("reason").textContent = st.reason ? "(" + (reasons[st.reason] || st.reason) + ")" : "";
    field("duration").dataset.since = st.since;
    field("line").textContent = st.call_line ? st.call_line + " " + (st.call_line_name || "") : "";
    field("answered").textContent = st.answered;
    const loggedIn = st.state !== "logged_out";
    root.querySelector('[data-action="login"]').hidden = loggedIn;
    root.querySelector('[data-action="logout"]').hidden = !loggedIn;
    root.querySelector('[data-action="pause"]').hidden = !loggedIn || st.state === "paused";
    root.querySelector('[data-field="reason-choice"]').hidden = !loggedIn || st.state === "paused";
    root.querySelector('[data-action="unpause"]').hidden = st.state !== "paused";
  }

  root.querySelectorAll("[data-action]").forEach((button) => button.addEventListener("click", async () => {
    const body = new FormData();
    if (button.dataset.action === "pause") body.append("reason", field("reason-choice").value);
    const resp = await fetch(root.dataset.base + button.dataset.action, {
      method: "POST", body, headers: { "X-CSRF-Token": root.dataset.csrf, Accept: "application/json" } });
    let data = {};
    try { data = await resp.json(); } catch (e) { data = { message: resp.statusText }; }
    field("result").textContent = resp.ok ? "✓" : "✗ " + (data.message || data.error || "failed");
  }));

  // The workspace around this panel learns of a new call from this one stream (no polling of its own).
  function tellWorkspace(st) {
    if (window.parent !== window) {
      window.parent.postMessage({ type: "hotline-agent-state", call_uniqueid: st.call_uniqueid || null,
                                  call_caller: st.call_caller || "" }, location.origin);
    }
  }

  function connect() {
    const source = new EventSource(root.dataset.stream);
    source.addEventListener("state", (e) => {
      const st = JSON.parse(e.data);
      field("unavailable").hidden = true;
      show(st);
      tellWorkspace(st);
    });
    source.addEventListener("unavailable", () => { field("unavailable").hidden = false; });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {   // refused (503 while Redis is down): retry
        field("unavailable").hidden = false;
        setTimeout(connect, 2000);
      }
    };
  }
  connect();
  setInterval(() => {
    const since = Number(field("duration").dataset.since);
    field("duration").textContent = since ? dur(Date.now() / 1000 + skew - since) : "";
  }, 1000);
})();
