// Live container pages: the list of a host and one container's state panel
// follow the host's mirror changes (websocket /ws/hosts/<id>/events/).
(function () {
  "use strict";

  // Changes often come in bursts (a compose project starting), so a change
  // waits REFRESH_DELAY milliseconds and one fetch of the table covers them all.
  const REFRESH_DELAY = 100;

  function throttled(work) {
    let timer = null;
    let running = false;
    let again = false;
    function run() {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      work().finally(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
    }
    function schedule() {
      if (!timer) timer = setTimeout(run, REFRESH_DELAY);
    }
    return schedule;
  }

  // Put the fresh table's rows in place, keeping rows whose markup did not
  // change, so focus and selection in them survive.
  function mergeRows(body, freshBody) {
    const old = new Map(Array.from(body.children).map(function (row) { return [row.id, row]; }));
    Array.from(freshBody.children).forEach(function (row, index) {
      const existing = old.get(row.id);
      old.delete(row.id);
      let node = row;
      if (existing && existing.outerHTML === row.outerHTML) node = existing;
      else if (existing) existing.replaceWith(row);
      if (body.children[index] !== node) body.insertBefore(node, body.children[index] || null);
    });
    old.forEach(function (row) { row.remove(); });
  }

  function mergeTable(html) {
    const current = document.getElementById("container-table");
    if (!current) return;
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.getElementById("container-table");
    if (!fresh) return;
    current.querySelector("[data-summary]").replaceWith(fresh.querySelector("[data-summary]"));
    mergeRows(current.querySelector("[data-rows]"), fresh.querySelector("[data-rows]"));
    const pages = current.querySelector(".pagination");
    const freshPages = fresh.querySelector(".pagination");
    if (pages) pages.remove();
    if (freshPages) {
      current.appendChild(freshPages);
      htmx.process(freshPages);
    }
  }

  function liveList(root) {
    const refresh = throttled(function () {
      const url = window.location.pathname + window.location.search;
      return fetch(url, {
        headers: {"HX-Target": "container-table"},
        credentials: "same-origin",
      }).then(function (response) {
        if (!response.ok) return;
        return response.text().then(function (html) {
          // A filter, sort or page change while fetching makes this table stale.
          if (url === window.location.pathname + window.location.search) mergeTable(html);
          else refresh();
        });
      }).catch(function () { /* The next change or reconnect fetches again. */ });
    });
    Pier.socket("/ws/hosts/" + root.dataset.hostId + "/events/", function (message) {
      if (message.type !== "mirror.change" || message.kind !== "container") return;
      if (message.action === "remove") {
        const row = document.getElementById("container-row-" + message.id);
        if (row) row.remove();
      } else {
        Pier.updateContainerState(message);
      }
      refresh();
    }, refresh);
  }

  function livePanel(root) {
    const containerId = root.dataset.containerId;
    const refresh = throttled(function () {
      const panel = document.getElementById("container-state");
      if (!panel) return Promise.resolve();
      return htmx.ajax("GET", panel.dataset.stateUrl, {target: "#container-state", swap: "outerHTML"});
    });
    Pier.socket("/ws/hosts/" + root.dataset.hostId + "/events/", function (message) {
      if (message.type !== "mirror.change" || String(message.id) !== containerId) return;
      Pier.updateContainerState(message);
      if (message.action === "remove") {
        const notice = document.getElementById("container-removed");
        if (notice) notice.hidden = false;
        return;
      }
      refresh();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-container-list]").forEach(liveList);
    document.querySelectorAll("[data-container-page]").forEach(livePanel);
  });
})();
