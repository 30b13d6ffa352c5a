// Compose pages: live service states, the combined log, the progress table
// of the latest action, and the create form's source switch.
(function () {
  "use strict";

  const MAX_LINES = 5000;

  function combinedLog(box) {
    const lines = box.querySelector("[data-log-lines]");
    const status = box.querySelector("[data-log-status]");
    const search = box.querySelector("[data-log-search]");
    let connection = null;
    function visible(row) {
      const term = search.value.trim().toLowerCase();
      return !term || row.dataset.text.includes(term);
    }
    function append(batch) {
      const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
      const fragment = document.createDocumentFragment();
      for (const line of batch) {
        const row = document.createElement("div");
        row.className = "line " + line[0];
        row.innerHTML = Pier.ansiToHtml(line[2]);
        row.dataset.text = line[2].toLowerCase();
        row.hidden = !visible(row);
        fragment.appendChild(row);
      }
      lines.appendChild(fragment);
      while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
      if (atBottom) lines.scrollTop = lines.scrollHeight;
    }
    function open() {
      if (connection) connection.close();
      lines.replaceChildren();
      status.textContent = "Connecting…";
      connection = Pier.socket("/ws/compose/" + box.dataset.composeLog + "/logs/?tail=100", function (message) {
        if (message.type === "lines") {
          status.textContent = "Following";
          append(message.lines);
        } else if (message.type === "end") {
          status.textContent = message.reason;
        } else if (message.type === "error") {
          status.textContent = message.message;
        }
      });
    }
    search.addEventListener("input", function () {
      for (const row of lines.children) row.hidden = !visible(row);
    });
    box.querySelector("[data-log-reconnect]").addEventListener("click", open);
    box.reopen = open;
    open();
  }

  function resourceTable(table) {
    const body = table.querySelector("tbody");
    function render(resources) {
      const rows = [];
      for (const name of Object.keys(resources)) {
        const entry = resources[name];
        let detail = entry.text || "";
        if (entry.total) detail += " " + Math.round((100 * (entry.current || 0)) / entry.total) + "%";
        rows.push('<tr class="' + (entry.error ? "error" : "") + '"><td>' + Pier.escapeHtml(name) +
          "</td><td>" + Pier.escapeHtml(entry.status || "") + "</td><td>" + Pier.escapeHtml(detail) + "</td></tr>");
      }
      body.innerHTML = rows.join("");
    }
    const connection = Pier.socket("/ws/jobs/" + table.dataset.composeResources + "/", function (message) {
      if (message.type === "job.progress") render((message.progress || {}).resources || {});
      if (message.type === "job.state" && (message.state === "succeeded" || message.state === "failed")) {
        connection.close();
        document.body.dispatchEvent(new CustomEvent("pier:compose-changed"));
      }
    });
  }

  function projectEvents(page, log) {
    let timer = null;
    Pier.socket("/ws/compose/" + page.dataset.projectId + "/", function (message) {
      if (message.type !== "mirror.change") return;
      Pier.updateContainerState(message);
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        document.body.dispatchEvent(new CustomEvent("pier:compose-changed"));
        if (log && message.state === "running") log.reopen();
      }, 300);
    });
  }

  function sourceSwitch(form) {
    const radios = form.querySelectorAll('input[name="source_kind"]');
    function show() {
      const chosen = form.querySelector('input[name="source_kind"]:checked');
      form.querySelectorAll("[data-source]").forEach(function (set) {
        set.hidden = chosen !== null && set.dataset.source !== chosen.value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", show); });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const log = document.querySelector("[data-compose-log]");
    if (log) combinedLog(log);
    document.querySelectorAll("[data-compose-resources]").forEach(resourceTable);
    const page = document.getElementById("compose-page");
    if (page) projectEvents(page, log);
    const form = document.querySelector("form.compose-form");
    if (form && form.querySelector('input[name="source_kind"]')) sourceSwitch(form);
  });
})();
