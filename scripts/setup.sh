#!/usr/bin/env bash
# Install everything Pier needs, start Docker and Redis when they do not respond,
# prepare the database and demo accounts, then run the web server, a worker and
# the host watcher until Ctrl-C.
#
# Environment: PIER_BIND (default 127.0.0.1), PIER_PORT (default 8000), and
# every setting that dashboard/settings.py reads (DATABASE_URL, REDIS_URL, ...).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BIND=${PIER_BIND:-127.0.0.1}
PORT=${PIER_PORT:-8000}
# Each running copy of Pier needs its own queue and channel prefix in Redis.
export PIER_INSTANCE=${PIER_INSTANCE:-pier-$PORT}
export PIER_LOCAL_SOURCE_ROOTS=${PIER_LOCAL_SOURCE_ROOTS:-$ROOT/examples}
export PIER_ALLOWED_HOSTS=${PIER_ALLOWED_HOSTS:-127.0.0.1,localhost,$BIND}
if [ -z "${PIER_SECRET_KEY:-}" ]; then
  if [ ! -s var/secret_key ]; then
    python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >var/secret_key
    chmod 600 var/secret_key
  fi
  PIER_SECRET_KEY=$(cat var/secret_key)
  export PIER_SECRET_KEY
fi

install_packages
start_docker
start_redis
make_venv
make_base_images

say "Preparing the database"
"$VENV/bin/python" manage.py migrate --noinput
say "Demo accounts (new passwords at every start)"
"$VENV/bin/python" manage.py seed_demo | tee var/demo-accounts.txt

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

"$VENV/bin/python" manage.py serve --host "$BIND" --port "$PORT" \
  >"$LOG_DIR/web.log" 2>&1 &
pids+=($!)
"$VENV/bin/celery" -A dashboard worker --pool=threads --concurrency=4 \
  --loglevel=INFO >"$LOG_DIR/worker.log" 2>&1 &
pids+=($!)
"$VENV/bin/python" manage.py watch_hosts >"$LOG_DIR/watcher.log" 2>&1 &
pids+=($!)

wait_for 30 curl -fsS "http://127.0.0.1:$PORT/login/" \
  || { echo "The web server did not start; see $LOG_DIR/web.log" >&2; exit 1; }

cat <<MESSAGE

Pier is running at http://$BIND:$PORT/
Log in with one of the accounts above (also saved in var/demo-accounts.txt).
To publish the PHP example: press Publish, choose "Git repository", enter
  $ROOT/examples/php-hello
as the URL, port 8080, and press Publish.
Logs: $LOG_DIR/{web,worker,watcher}.log. Stop with Ctrl-C.
MESSAGE
wait
