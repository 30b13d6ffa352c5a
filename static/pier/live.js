// Live updates for Pier's pages: websockets that reconnect, job logs, container logs.
(function () {
  "use strict";

  const MAX_LOG_LINES = 5000;

  // Open a websocket to `path`, call `onMessage` with each JSON message, and
  // reconnect after a pause when the connection drops, unless the server closed
  // it for a permission or not-found reason (codes 4403, 4404).
  function socket(path, onMessage, onOpen) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let pause = 500;
    let closedByPage = false;
    let current = null;
    function connect() {
      current = new WebSocket(scheme + window.location.host + path);
      current.onopen = function () {
        pause = 500;
        if (onOpen) onOpen(current);
      };
      current.onmessage = function (event) { onMessage(JSON.parse(event.data)); };
      current.onclose = function (event) {
        if (closedByPage || event.code === 4403 || event.code === 4404) return;
        setTimeout(connect, pause);
        pause = Math.min(pause * 2, 5000);
      };
    }
    connect();
    window.addEventListener("pagehide", function () { closedByPage = true; current.close(); });
    return {
      close: function () { closedByPage = true; current.close(); },
      send: function (data) { current.send(data); },
    };
  }

  // Turn ANSI SGR colour codes into spans. The text is escaped first, so
  // nothing from a log line can become markup.
  const COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function ansiToHtml(text) {
    let classes = [];
    let open = false;
    let html = "";
    const parts = text.split(/\x1b\[([0-9;]*)m/);
    for (let index = 0; index < parts.length; index++) {
      if (index % 2 === 0) {
        if (parts[index]) html += escapeHtml(parts[index]);
        continue;
      }
      const codes = parts[index] === "" ? [0] : parts[index].split(";").map(Number);
      for (const code of codes) {
        if (code === 0) classes = [];
        else if (code === 1) classes.push("ansi-bold");
        else if (code >= 30 && code <= 37) classes.push("ansi-" + COLOURS[code - 30]);
        else if (code >= 90 && code <= 97) classes.push("ansi-bright-" + COLOURS[code - 90]);
        else if (code >= 40 && code <= 47) classes.push("ansi-bg-" + COLOURS[code - 40]);
      }
      if (open) html += "</span>";
      open = classes.length > 0;
      if (open) html += '<span class="' + classes.join(" ") + '">';
    }
    if (open) html += "</span>";
    // Drop any other escape sequences (cursor moves and the like).
    return html.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  }

  // Append lines to a log element in one animation frame, keeping at most
  // MAX_LOG_LINES in the page.
  function batchedAppender(element, filter) {
    let queue = [];
    let scheduled = false;
    function flush() {
      scheduled = false;
      const atBottom = element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
      const fragment = document.createDocumentFragment();
      for (const line of queue) {
        const row = document.createElement("div");
        row.className = "line " + (line.stream || "stdout");
        row.innerHTML = ansiToHtml(line.text);
        row.dataset.text = line.text.toLowerCase();
        if (filter && !filter(row)) row.hidden = true;
        fragment.appendChild(row);
      }
      queue = [];
      element.appendChild(fragment);
      while (element.childElementCount > MAX_LOG_LINES) element.firstElementChild.remove();
      if (atBottom) element.scrollTop = element.scrollHeight;
    }
    return function (lines) {
      queue.push(...lines);
      if (queue.length > MAX_LOG_LINES) queue = queue.slice(-MAX_LOG_LINES);
      if (!scheduled) {
        scheduled = true;
        window.requestAnimationFrame(flush);
      }
    };
  }

  function jobLog(box) {
    const linesElement = box.querySelector("[data-job-lines]");
    const stateElement = box.querySelector("[data-job-state]");
    const errorElement = box.querySelector("[data-job-error]");
    const progressElement = box.querySelector("[data-job-progress]");
    const append = batchedAppender(linesElement);
    let shown = 0;
    if (box.connection) return;
    const connection = socket("/ws/jobs/" + box.dataset.jobId + "/", function (message) {
      if (message.type === "job.lines") {
        const fresh = message.lines.filter(function (line) { return line[0] > shown; });
        if (fresh.length) shown = fresh[fresh.length - 1][0];
        append(fresh.map(function (line) { return {stream: line[1], text: line[2]}; }));
      } else if (message.type === "job.state") {
        stateElement.textContent = message.state;
        stateElement.className = "state state-" + message.state;
        errorElement.textContent = message.error || "";
        errorElement.hidden = !message.error;
        box.dispatchEvent(new CustomEvent("pier:job-state", {bubbles: true, detail: message}));
        if (message.state === "succeeded" || message.state === "failed") connection.close();
        return;
      } else if (message.type === "job.progress") {
        renderProgress(progressElement, message.progress || {});
      }
    });
    box.connection = connection;
  }

  function renderProgress(element, progress) {
    const layers = progress.layers || {};
    const parts = [];
    for (const id of Object.keys(layers)) {
      const layer = layers[id];
      const value = layer.total ? Math.round((100 * layer.current) / layer.total) : 0;
      parts.push('<div class="layer"><label>' + escapeHtml(id) + " " + escapeHtml(layer.status) +
        ' <progress max="100" value="' + value + '" aria-label="Layer ' + escapeHtml(id) +
        '"></progress></label></div>');
    }
    if (progress.upload && progress.upload.total) {
      // Bytes of an uploaded archive that the engine has read (import, load).
      const upload = progress.upload;
      const value = Math.round((100 * upload.current) / upload.total);
      parts.unshift('<div class="layer"><label>Upload ' + Number(upload.current) + " of " + Number(upload.total) +
        ' bytes <progress max="100" value="' + value + '" aria-label="Upload"></progress></label></div>');
    }
    if (progress.phase) parts.unshift('<p>Phase: ' + escapeHtml(progress.phase) + "</p>");
    element.innerHTML = parts.join("");
  }

  // Split text blocks ([stream, "<timestamp> <text>\n"...]) into lines without
  // Docker's timestamp, as the server's split_timestamp does.
  function blockLines(blocks) {
    const lines = [];
    for (const block of blocks) {
      const rows = block[1].split("\n");
      rows.pop();
      for (let row of rows) {
        if (row.endsWith("\r")) row = row.slice(0, -1);
        const space = row.indexOf(" ");
        if (space >= 20 && row[4] === "-" && row[10] === "T") row = row.slice(space + 1);
        lines.push({stream: block[0], text: row});
      }
    }
    return lines;
  }

  function logViewer(box) {
    if (box.reopen) return;
    const linesElement = box.querySelector("[data-log-lines]");
    const tail = box.querySelector("[data-log-tail]");
    const follow = box.querySelector("[data-log-follow]");
    const search = box.querySelector("[data-log-search]");
    const status = box.querySelector("[data-log-status]");
    function matches(row) {
      const term = search.value.trim().toLowerCase();
      return !term || row.dataset.text.includes(term);
    }
    const append = batchedAppender(linesElement, matches);
    let connection = null;
    function open() {
      if (connection) connection.close();
      linesElement.replaceChildren();
      status.textContent = "Connecting…";
      const path = "/ws/containers/" + box.dataset.containerId + "/logs/?tail=" +
        tail.value + "&follow=" + (follow.checked ? "1" : "0");
      connection = socket(path, function (message) {
        if (message.type === "lines") {
          status.textContent = follow.checked ? "Following" : "";
          append(message.lines.map(function (line) { return {stream: line[0], text: line[2]}; }));
        } else if (message.type === "text") {
          append(blockLines(message.blocks));
        } else if (message.type === "end") {
          status.textContent = message.reason;
        } else if (message.type === "error") {
          status.textContent = message.message;
        }
      });
      box.connection = connection;
    }
    tail.addEventListener("change", open);
    follow.addEventListener("change", open);
    search.addEventListener("input", function () {
      for (const row of linesElement.children) row.hidden = !matches(row);
    });
    box.querySelector("[data-log-clear]").addEventListener("click", function () {
      linesElement.replaceChildren();
    });
    box.reopen = open;
    open();
  }

  function updateContainerState(message) {
    document.querySelectorAll('[data-container-state="' + message.docker_id + '"]').forEach(function (element) {
      element.textContent = message.action === "remove" ? "removed" : message.state;
      element.className = "state state-" + (message.action === "remove" ? "removed" : message.state);
    });
    if (message.state === "running") {
      document.querySelectorAll(".log-viewer").forEach(function (box) {
        const status = box.querySelector("[data-log-status]");
        if (box.reopen && status && status.textContent === "The log stream ended.") box.reopen();
      });
    }
  }

  window.Pier = {socket, ansiToHtml, escapeHtml, jobLog, logViewer, updateContainerState};

  function start(root) {
    root.querySelectorAll(".job-log[data-job-id]").forEach(jobLog);
    root.querySelectorAll(".log-viewer[data-container-id]").forEach(logViewer);
  }

  document.addEventListener("DOMContentLoaded", function () { start(document); });
  // Content swapped in by htmx gets its live parts started, and the parts it
  // replaces close their sockets first.
  document.addEventListener("htmx:beforeSwap", function (event) {
    event.detail.target.querySelectorAll(".job-log, .log-viewer").forEach(function (box) {
      if (box.connection) box.connection.close();
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) { start(event.detail.elt.parentNode || document); });
})();
