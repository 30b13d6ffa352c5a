// Live stats page: reads /ws/containers/<id>/stats/ and draws one line graph
// per figure (SVG polylines), with the latest values as text beside each.
(function () {
  "use strict";

  const POINTS = 120;
  const WIDTH = 240;
  const HEIGHT = 80;

  function formatBytes(value) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let index = 0;
    while (value >= 1024 && index < units.length - 1) { value /= 1024; index += 1; }
    return (index === 0 ? String(Math.round(value)) : value.toFixed(1)) + " " + units[index];
  }

  function formatRate(value) { return formatBytes(value) + "/s"; }

  // Each graph: the series it draws (one or two) and how it reads as text.
  const GRAPHS = {
    cpu: {
      unit: function (value) { return value.toFixed(2) + " %"; },
      series: function (m) { return [m.cpu_percent]; },
      text: function (m) { return m.cpu_percent.toFixed(2) + " %"; },
    },
    memory: {
      unit: formatBytes,
      series: function (m) { return [m.memory_used]; },
      text: function (m) {
        return formatBytes(m.memory_used) + " of " + formatBytes(m.memory_limit) +
          " (" + m.memory_percent.toFixed(2) + " %)";
      },
    },
    network: {
      unit: formatRate,
      series: function (m) { return [m.network_rx_rate, m.network_tx_rate]; },
      text: function (m) {
        return "in " + formatRate(m.network_rx_rate) + ", out " + formatRate(m.network_tx_rate);
      },
    },
    block: {
      unit: formatRate,
      series: function (m) { return [m.block_read_rate, m.block_write_rate]; },
      text: function (m) {
        return "read " + formatRate(m.block_read_rate) + ", write " + formatRate(m.block_write_rate);
      },
    },
  };

  function points(values, top) {
    const step = WIDTH / (POINTS - 1);
    const start = POINTS - values.length;
    return values.map(function (value, index) {
      const y = HEIGHT - (top > 0 ? (value / top) * (HEIGHT - 2) : 0);
      return ((start + index) * step).toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
  }

  function graph(svg, output, scale, spec) {
    const lines = [svg.querySelector(".line-a"), svg.querySelector(".line-b")];
    const history = [[], []];
    return function (message) {
      spec.series(message).forEach(function (value, index) {
        history[index].push(value);
        if (history[index].length > POINTS) history[index].shift();
      });
      const top = Math.max.apply(null, [1].concat(history[0], history[1]));
      history.forEach(function (values, index) { lines[index].setAttribute("points", points(values, top)); });
      output.textContent = spec.text(message);
      scale.textContent = "Top of the graph: " + spec.unit(top);
    };
  }

  function start(root) {
    const status = document.querySelector("[data-stats-status]");
    const updates = Object.keys(GRAPHS).map(function (key) {
      return graph(root.querySelector('[data-graph="' + key + '"]'),
        root.querySelector('[data-readout="' + key + '"]'),
        root.querySelector('[data-scale="' + key + '"]'), GRAPHS[key]);
    });
    Pier.socket("/ws/containers/" + root.dataset.containerId + "/stats/", function (message) {
      if (message.type === "stats") {
        status.textContent = message.running ? "Live" : "The container is not running.";
        updates.forEach(function (update) { update(message); });
      } else if (message.type === "error") {
        status.textContent = message.message;
      } else if (message.type === "end") {
        status.textContent = message.reason;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-stats]").forEach(start);
  });
})();
