# Shared steps of setup.sh and test.sh: install what Pier needs and start the
# services that do not respond yet. Debian or Ubuntu, run as root.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
LOG_DIR="$ROOT/var/log"
mkdir -p "$LOG_DIR"

APT_PACKAGES=(docker.io redis-server redis-tools git busybox-static debootstrap
  chromium chromium-driver docker-registry iproute2 openssl openssh-server
  openssh-client python3-venv curl ca-certificates)

say() { printf '\n== %s\n' "$*"; }

install_packages() {
  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${missing[@]}"
  fi
}

wait_for() {  # wait_for SECONDS COMMAND...
  local limit=$1
  shift
  for _ in $(seq 1 $((limit * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

start_docker() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  say "Starting dockerd (log: $LOG_DIR/dockerd.log)"
  nohup dockerd >"$LOG_DIR/dockerd.log" 2>&1 &
  wait_for 60 docker info || { echo "dockerd did not start; see $LOG_DIR/dockerd.log" >&2; exit 1; }
}

start_redis() {
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    return
  fi
  say "Starting Redis on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/pier.log
  wait_for 20 redis-cli -h 127.0.0.1 ping || { echo "Redis did not start" >&2; exit 1; }
}

start_postgres() {
  if pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    return
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "Installing PostgreSQL"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  fi
  say "Starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for 30 pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL did not start" >&2; exit 1; }
}

make_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtualenv in $VENV"
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$ROOT/requirements.txt"
}

make_base_images() {
  say "Making base images (debian:bookworm, busybox) when missing"
  bash "$ROOT/scripts/base-images.sh"
}
