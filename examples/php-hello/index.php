<?php
// Log one line per request to stderr (php -S also logs its own access line).
file_put_contents('php://stderr', sprintf(
    "[php-hello] %s %s from %s\n",
    $_SERVER['REQUEST_METHOD'] ?? '-',
    $_SERVER['REQUEST_URI'] ?? '-',
    $_SERVER['REMOTE_ADDR'] ?? '-'
));
?>
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hello from PHP</title>
</head>
<body>
  <h1>Hello from PHP</h1>
  <p>PHP <?= htmlspecialchars(PHP_VERSION) ?> on <?= htmlspecialchars(gethostname()) ?>,
     served by <code>php -S</code> on port 8080.</p>
  <p>Time: <?= htmlspecialchars(date('c')) ?></p>
</body>
</html>
