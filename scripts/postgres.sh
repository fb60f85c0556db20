#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite (`make test` / `make unit` use `run`).
#
#   scripts/postgres.sh start DIR         create a cluster in DIR, start it, write DIR/url
#   scripts/postgres.sh url DIR           print the SQLAlchemy URL of the cluster in DIR
#   scripts/postgres.sh stop DIR          stop the cluster in DIR and remove DIR
#   scripts/postgres.sh run [DIR] -- CMD  start, run CMD with KARAVAN_TEST_POSTGRES_URL set,
#                                         always stop; exits with CMD's status
#
# Why a script and not a service: CI runs a fresh clone on a fresh Debian 12 machine, and a
# developer should not have to set up a server by hand. The cluster listens only on a Unix socket
# inside DIR and on 127.0.0.1 at a free port, trusts loopback connections only, keeps fsync on
# (tests check crash consistency) and holds one database, `karavan_test`, owned by superuser
# `karavan`. The URL is postgresql+psycopg://karavan@127.0.0.1:PORT/karavan_test.
#
# Server binaries (initdb, pg_ctl) are looked up on PATH, then in /usr/lib/postgresql/*/bin
# (newest first). When they are missing and we are root with apt-get, Debian's `postgresql`
# package is installed non-interactively; otherwise the script fails and says how to fix it.
# initdb and pg_ctl refuse to run as root, so as root the cluster runs as the system user
# `karavan-pg` (created when missing) and DIR must be reachable by it (mktemp under /tmp is).
set -euo pipefail
# runuser and useradd live in sbin, which a non-login root shell may lack on its PATH.
export PATH="$PATH:/usr/sbin:/sbin"

readonly PG_SUPERUSER="karavan"
readonly PG_DATABASE="karavan_test"
readonly PG_OS_USER_WHEN_ROOT="karavan-pg"
readonly MARKER=".karavan-postgres"

die() {
    echo "postgres.sh: error: $*" >&2
    exit 1
}

say() {
    echo "postgres.sh: $*" >&2
}

# Directory holding initdb and pg_ctl (the real one, symlinks resolved), or empty.
find_bin_dir() {
    local initdb candidate
    if initdb=$(command -v initdb 2>/dev/null) && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$initdb")"
        return
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
            return
        fi
    done
}

install_with_apt() {
    say "PostgreSQL server binaries not found; installing Debian's postgresql package with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get install -y --no-install-recommends postgresql)
    if ! "${apt[@]}" >&2; then
        say "apt-get install failed; running apt-get update and retrying"
        apt-get update >&2 || die "apt-get update failed (no network or no Debian registry?)"
        "${apt[@]}" >&2 || die "apt-get install -y postgresql failed; see the apt output above"
    fi
}

# Sets BIN_DIR, installing PostgreSQL when possible, or dies with what to do.
require_binaries() {
    BIN_DIR=$(find_bin_dir)
    if [[ -n "$BIN_DIR" ]]; then
        return
    fi
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        install_with_apt
        BIN_DIR=$(find_bin_dir)
        [[ -n "$BIN_DIR" ]] || die "installed postgresql, but initdb/pg_ctl are still not found" \
            "on PATH or in /usr/lib/postgresql/*/bin"
        return
    fi
    die "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in" \
        "/usr/lib/postgresql/*/bin, and they cannot be installed here (needs root and apt-get)." \
        "Install them (Debian: sudo apt-get install postgresql) or skip the PostgreSQL tests" \
        "with: make unit POSTGRES=0"
}

# The OS user that owns and runs the cluster: ourselves, or karavan-pg when we are root.
cluster_os_user() {
    if [[ $(id -u) -ne 0 ]]; then
        id -un
        return
    fi
    if ! id -u "$PG_OS_USER_WHEN_ROOT" >/dev/null 2>&1; then
        command -v useradd >/dev/null 2>&1 ||
            die "running as root, user $PG_OS_USER_WHEN_ROOT is missing and useradd is not" \
                "available to create it (initdb refuses to run as root)"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$PG_OS_USER_WHEN_ROOT" ||
            die "could not create system user $PG_OS_USER_WHEN_ROOT (initdb refuses to run as root)"
        say "created system user $PG_OS_USER_WHEN_ROOT to run the cluster"
    fi
    echo "$PG_OS_USER_WHEN_ROOT"
}

# Run a command as the cluster's OS user, from DIR (the caller's cwd may be unreadable to it).
as_cluster_user() {
    local user=$1 dir=$2
    shift 2
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$dir" && runuser -u "$user" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

free_port() {
    local python
    python=$(command -v python3 || command -v python) || die "python3 is needed to pick a free port"
    "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

cmd_start() {
    local dir=${1:?usage: postgres.sh start DIR}
    require_binaries
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ -z "$(ls -A "$dir")" ]] || die "start: $dir must be empty or missing; got a non-empty dir"
    [[ ${#dir} -le 80 ]] || die "start: $dir is ${#dir} characters; the Unix socket path inside" \
        "it must stay under 107, so use a DIR of at most 80 characters (e.g. mktemp -d)"
    local user
    user=$(cluster_os_user)
    touch "$dir/$MARKER"
    if [[ $(id -u) -eq 0 ]]; then
        chown "$user" "$dir"
        runuser -u "$user" -- test -w "$dir" ||
            die "start: $dir is not reachable by $user (a parent directory is private?);" \
                "use a DIR under /tmp, e.g. \$(mktemp -d)"
    fi
    chmod 700 "$dir"

    say "initdb in $dir/data with $BIN_DIR/initdb (PostgreSQL $("$BIN_DIR/initdb" --version))"
    as_cluster_user "$user" "$dir" "$BIN_DIR/initdb" --pgdata="$dir/data" \
        --username="$PG_SUPERUSER" --auth=trust --encoding=UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
    # Loopback and the socket only: no remote host can connect, so trust is safe here.
    as_cluster_user "$user" "$dir" sh -c "cat >'$dir/data/pg_hba.conf'" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF

    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        as_cluster_user "$user" "$dir" sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF

# karavan test harness (scripts/postgres.sh), attempt $attempt
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
        if as_cluster_user "$user" "$dir" "$BIN_DIR/pg_ctl" --pgdata="$dir/data" \
            --log="$dir/server.log" --wait --timeout=60 start >/dev/null; then
            break
        fi
        say "server did not start on port $port (attempt $attempt); last log lines:"
        tail -n 5 "$dir/server.log" >&2 || true
        [[ $attempt -lt 5 ]] || die "could not start PostgreSQL in $dir; see $dir/server.log"
    done

    local createdb="$BIN_DIR/createdb"
    [[ -x "$createdb" ]] || createdb=$(command -v createdb) || die "createdb not found"
    as_cluster_user "$user" "$dir" "$createdb" --host="$dir" --port="$port" \
        --username="$PG_SUPERUSER" "$PG_DATABASE" ||
        die "createdb $PG_DATABASE failed; see $dir/server.log"

    local url="postgresql+psycopg://$PG_SUPERUSER@127.0.0.1:$port/$PG_DATABASE"
    echo "$url" >"$dir/url"
    say "PostgreSQL running as $user in $dir at $url"
    echo "$url"
}

cmd_url() {
    local dir=${1:?usage: postgres.sh url DIR}
    [[ -f "$dir/url" ]] || die "url: no cluster started in $dir (missing $dir/url)"
    cat "$dir/url"
}

cmd_stop() {
    local dir=${1:?usage: postgres.sh stop DIR}
    [[ -d "$dir" ]] || { say "stop: $dir does not exist; nothing to stop"; return 0; }
    if [[ -z "$(ls -A "$dir")" ]]; then
        rmdir "$dir"
        return 0
    fi
    [[ -f "$dir/$MARKER" ]] ||
        die "stop: $dir was not made by postgres.sh start (no $MARKER); refusing to remove it"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        BIN_DIR=$(find_bin_dir)
        [[ -n "$BIN_DIR" ]] || die "stop: pg_ctl not found; the server in $dir may still run"
        local user
        user=$(stat -c %U "$dir/data")
        if ! as_cluster_user "$user" "$dir" "$BIN_DIR/pg_ctl" --pgdata="$dir/data" \
            --mode=fast --wait --timeout=60 stop >/dev/null; then
            if as_cluster_user "$user" "$dir" "$BIN_DIR/pg_ctl" --pgdata="$dir/data" status \
                >/dev/null 2>&1; then
                say "stop: fast shutdown failed; trying immediate shutdown"
                as_cluster_user "$user" "$dir" "$BIN_DIR/pg_ctl" --pgdata="$dir/data" \
                    --mode=immediate --wait --timeout=60 stop >/dev/null ||
                    die "stop: could not stop the server in $dir; see $dir/server.log"
            fi
        fi
    fi
    rm -rf "$dir"
    say "stopped and removed $dir"
}

cmd_run() {
    local dir=""
    if [[ $# -gt 0 && "$1" != "--" ]]; then
        dir=$1
        shift
    fi
    [[ $# -gt 0 && "$1" == "--" ]] || die "usage: postgres.sh run [DIR] -- COMMAND [ARGS...]"
    shift
    [[ $# -gt 0 ]] || die "run: no command given after --"
    if [[ -z "$dir" ]]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/karavan-pg.XXXXXX")
    fi
    # From here on, whatever happens (failure, Ctrl-C), the cluster is stopped and DIR removed.
    # A global, because the EXIT trap runs after this function's locals are gone.
    RUN_DIR=$dir
    trap 'cmd_stop "$RUN_DIR" || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    cmd_start "$dir" >/dev/null
    local status=0
    KARAVAN_TEST_POSTGRES_URL=$(cat "$dir/url") "$@" || status=$?
    return "$status"
}

main() {
    local command=${1:-}
    [[ $# -gt 0 ]] && shift
    case "$command" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        url) cmd_url "$@" ;;
        run) cmd_run "$@" ;;
        *) die "usage: postgres.sh {start DIR | stop DIR | url DIR | run [DIR] -- COMMAND...}" ;;
    esac
}

main "$@"
