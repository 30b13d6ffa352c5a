// Terminal and attach pages: xterm.js (6.x, static/vendor/xterm) bridged to a
// websocket that carries bytes in binary frames and control messages as JSON.
(function () {
  "use strict";

  const CLOSE_REASONS = {
    4403: "You are logged out; log in again to use the terminal.",
    4404: "Container not found, or you may not use it.",
  };

  // Messages from the server are shown as text. Control characters are
  // dropped so they cannot move the cursor or start escape sequences.
  function plain(text) {
    return String(text).replace(/[\x00-\x1f\x7f]/g, " ");
  }

  function start(root) {
    const screen = root.querySelector("[data-terminal-screen]");
    const status = root.querySelector("[data-terminal-status]");
    const notes = root.querySelector("[data-terminal-notes]");
    const disconnectButton = root.querySelector("[data-terminal-disconnect]");
    const reconnectButton = root.querySelector("[data-terminal-reconnect]");
    const term = new window.Terminal({ cursorBlink: true, scrollback: 5000 });
    const fit = new window.FitAddon.FitAddon();
    const encoder = new TextEncoder();
    let socket = null;
    let input = false;
    let ended = "";

    term.loadAddon(fit);
    term.open(screen);
    fit.fit();

    function connected() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    }

    function send(data) {
      if (connected() && input) socket.send(data);
    }

    function sendResize() {
      if (connected()) {
        socket.send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
      }
    }

    function announce(text, inTerminal) {
      status.textContent = text;
      if (inTerminal) term.write("\r\n\x1b[33m" + plain(text) + "\x1b[0m\r\n");
    }

    function addNote(text) {
      const item = document.createElement("li");
      item.textContent = text;
      notes.appendChild(item);
    }

    function ready(message) {
      input = message.input;
      term.options.disableStdin = !input;
      // Without a TTY, programs end lines with \n alone.
      term.options.convertEol = !message.tty;
      notes.replaceChildren();
      if (!message.tty) {
        addNote("This container has no TTY: output appears as the program writes it, without line editing.");
      }
      if (!input) {
        addNote("The container's standard input is closed, so typing has no effect.");
      }
      announce("Connected.", false);
      sendResize();
      term.focus();
    }

    function onMessage(event) {
      if (typeof event.data !== "string") {
        term.write(new Uint8Array(event.data));
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "ready") ready(message);
      else if (message.type === "error") { ended = message.message; announce(ended, true); }
      else if (message.type === "exit") ended = message.message;
    }

    function onClose(event) {
      input = false;
      disconnectButton.disabled = true;
      reconnectButton.disabled = false;
      announce(CLOSE_REASONS[event.code] || ended || "Disconnected.", true);
    }

    function connect() {
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      ended = "";
      term.reset();
      status.textContent = "Connecting…";
      disconnectButton.disabled = false;
      reconnectButton.disabled = true;
      socket = new WebSocket(scheme + window.location.host + root.dataset.socket);
      socket.binaryType = "arraybuffer";
      socket.onmessage = onMessage;
      socket.onclose = onClose;
    }

    term.onData(function (data) { send(encoder.encode(data)); });
    // Some mouse reports are raw bytes in a binary string, not UTF-8 text.
    term.onBinary(function (data) {
      send(Uint8Array.from(data, function (c) { return c.charCodeAt(0) & 0xff; }));
    });
    term.onResize(sendResize);
    term.attachCustomKeyEventHandler(function (event) {
      if (event.key !== "F6" || event.type !== "keydown") return true;
      event.preventDefault();
      (disconnectButton.disabled ? reconnectButton : disconnectButton).focus();
      return false;
    });
    let fitting = false;
    new ResizeObserver(function () {
      if (fitting) return;
      fitting = true;
      window.requestAnimationFrame(function () { fitting = false; fit.fit(); });
    }).observe(screen);
    disconnectButton.addEventListener("click", function () { if (socket) socket.close(); });
    reconnectButton.addEventListener("click", function () { connect(); term.focus(); });
    window.addEventListener("pagehide", function () { if (socket) socket.close(); });
    connect();
  }

  document.querySelectorAll("[data-terminal]").forEach(start);
})();
