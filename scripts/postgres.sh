# Sourced by scripts/test.sh: a throwaway PostgreSQL for obs-store's tests (crates/obs-store/tests/store.rs).
# Installs Debian's `postgresql` when missing, starts a server on a free port of 127.0.0.1 with its data directory
# under target/ (trust auth, loopback only), exports OBS_TEST_POSTGRES_URL, and stops it and removes its data when the
# sourcing script exits. Needs `as_root` (scripts/test.sh defines it).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  echo "installing postgresql (obs-store's PostgreSQL tests)" >&2
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir="$PWD/target/obs-test-postgres"
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
# PostgreSQL refuses to run as root: as root, the server runs as the package's postgres user.
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U obs --auth=trust -E UTF8 >"$pg_dir/initdb.log"
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
stop_postgres() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
export OBS_TEST_POSTGRES_URL="postgres://obs@127.0.0.1:$pg_port/postgres"
