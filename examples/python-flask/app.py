import platform
import socket
from datetime import UTC, datetime

from flask import Flask
from markupsafe import escape

app = Flask(__name__)


@app.route("/")
def index():
    now = datetime.now(UTC).isoformat()
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from Flask</title></head>
<body>
  <h1>Hello from Flask</h1>
  <p>Python {escape(platform.python_version())} on {escape(socket.gethostname())},
     served by gunicorn on port 8000.</p>
  <p>Time: {escape(now)}</p>
</body>
</html>
"""


@app.route("/healthz")
def healthz():
    return {"status": "ok"}
