#!/usr/bin/env bash
# Install what the tests need, start Docker and Redis when they do not respond,
# check formatting, lint and migrations, then run the whole suite on SQLite and
# on PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

install_packages
start_docker
start_redis
start_postgres
make_venv
make_base_images

say "Lint and migrations"
"$VENV/bin/ruff" format --check .
"$VENV/bin/ruff" check .
"$VENV/bin/python" manage.py makemigrations --check --dry-run

say "Tests on SQLite"
"$VENV/bin/pytest" "$@"

say "Tests on PostgreSQL"
DATABASE_URL=${PIER_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
  "$VENV/bin/pytest" "$@"
