'use strict';

const os = require('os');
const express = require('express');

const app = express();
const port = Number(process.env.PORT || 3000);

// One log line per request on stdout, written when the response finishes.
app.use((req, res, next) => {
  const started = Date.now();
  res.on('finish', () => {
    console.log(`${new Date().toISOString()} ${req.ip} "${req.method} ${req.originalUrl}" ` +
      `${res.statusCode} ${Date.now() - started}ms`);
  });
  next();
});

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

app.get('/', (req, res) => {
  res.type('html').send(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from Express</title></head>
<body>
  <h1>Hello from Express</h1>
  <p>Node ${escapeHtml(process.version)} on ${escapeHtml(os.hostname())},
     served by Express on port ${port}.</p>
  <p>Time: ${new Date().toISOString()}</p>
</body>
</html>
`);
});

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

const server = app.listen(port, '0.0.0.0', () => {
  console.log(`node-express listening on 0.0.0.0:${port}`);
});

// Exit promptly on `docker stop` (node is PID 1 and ignores SIGTERM otherwise).
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
