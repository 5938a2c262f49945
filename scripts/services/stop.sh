#!/usr/bin/env bash
# Stop the services this project started (make services-down), by the pids
# recorded in the state dir: SIGTERM, then SIGKILL after 30 s. A process whose
# command line is not ours is never signalled. Idempotent.
#
#   stop.sh [kafka] [registry]     (default: both)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_one() {
	local name="$1" pid
	if ! pid="$(pid_of "$name")"; then
		[ -f "$STATE_DIR/$name.pid" ] && say "$name: removing stale pid file (process gone)"
		rm -f "$STATE_DIR/$name.pid"
		return 0
	fi
	say "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) still running after 30s: sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$STATE_DIR/$name.pid"
	say "$name stopped"
}

if [ $# -eq 0 ]; then set -- registry kafka; fi
for s in "$@"; do
	case "$s" in
	kafka | registry) stop_one "$s" ;;
	*) die "usage: stop.sh [kafka] [registry]" ;;
	esac
done
# The addresses file describes running services only.
pid_of kafka >/dev/null || pid_of registry >/dev/null || rm -f "$STATE_DIR/env"
