#!/bin/sh
# Start MariaDB and make sure the database and user named by MARIADB_DATABASE,
# MARIADB_USER and MARIADB_PASSWORD exist. The statements run on every start
# and are idempotent, so a kept volume is left as it is.
set -eu

: "${MARIADB_DATABASE:?set MARIADB_DATABASE}"
: "${MARIADB_USER:?set MARIADB_USER}"
: "${MARIADB_PASSWORD:?set MARIADB_PASSWORD}"

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld /var/lib/mysql
if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
fi

# SQL string literals double their single quotes; backticks do the same for names.
quote() { printf "%s" "$1" | sed "s/'/''/g"; }
name=$(printf "%s" "$MARIADB_DATABASE" | sed 's/`/``/g')
user=$(quote "$MARIADB_USER")
password=$(quote "$MARIADB_PASSWORD")

init=/run/mysqld/init.sql
cat > "$init" <<SQL
CREATE DATABASE IF NOT EXISTS \`$name\`;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$name\`.* TO '$user'@'%';
FLUSH PRIVILEGES;
SQL
chown mysql:mysql "$init"
chmod 600 "$init"

exec mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 \
    --skip-name-resolve --init-file="$init"
