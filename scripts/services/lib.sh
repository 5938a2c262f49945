# Shared settings and helpers for the real-service scripts in this folder.
# Sourced, never run. Every setting can be overridden from the environment.
#
#   FAUSTGEN_CACHE_DIR          downloads (jars, the registry) — outside the checkout
#   FAUSTGEN_SERVICES_DIR       state: pid files, logs, broker data, config
#   FAUSTGEN_KAFKA_PORT         broker listener on 127.0.0.1           (19092)
#   FAUSTGEN_KAFKA_CONTROLLER_PORT  KRaft controller listener          (19093)
#   FAUSTGEN_REGISTRY_PORT      Apicurio Registry HTTP port            (18081)
#   FAUSTGEN_KAFKA_HEAP         broker -Xmx                            (768m)
#   FAUSTGEN_REGISTRY_HEAP      registry -Xmx                          (512m)
#   FAUSTGEN_SERVICES_TIMEOUT   seconds to wait for each service       (180)
#   FAUSTGEN_KAFKA_OPTS, FAUSTGEN_REGISTRY_OPTS  extra JVM options (split on spaces)

set -euo pipefail

SERVICES_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_SRC/../.." && pwd)"

CACHE_DIR="${FAUSTGEN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faustgen}"
STATE_DIR="${FAUSTGEN_SERVICES_DIR:-$REPO_ROOT/.services}"
# Both must be absolute: the services run from inside the state dir.
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac
case "$STATE_DIR" in /*) ;; *) STATE_DIR="$PWD/$STATE_DIR" ;; esac
HOST=127.0.0.1
KAFKA_PORT="${FAUSTGEN_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${FAUSTGEN_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT="${FAUSTGEN_REGISTRY_PORT:-18081}"
KAFKA_HEAP="${FAUSTGEN_KAFKA_HEAP:-768m}"
REGISTRY_HEAP="${FAUSTGEN_REGISTRY_HEAP:-512m}"
START_TIMEOUT="${FAUSTGEN_SERVICES_TIMEOUT:-180}"

BROKERS="$HOST:$KAFKA_PORT"
REGISTRY_URL="http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"

CHECK_BIN="$STATE_DIR/bin/servicecheck"

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# need_tools names every missing tool at once, with what to install.
need_tools() {
	local missing=() t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local hint=""
	for t in "${missing[@]}"; do
		case "$t" in
		java) hint+=" java: a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless);" ;;
		mvn) hint+=" mvn: Apache Maven 3.6+ (Debian: apt-get install maven);" ;;
		go) hint+=" go: the Go toolchain named in go.mod;" ;;
		tar) hint+=" tar: GNU tar (Debian: apt-get install tar);" ;;
		esac
	done
	die "missing on PATH: ${missing[*]} — the real-service scripts need it.$hint"
}

# need_java17 fails unless `java` is at least Java 17 (Kafka 4 and Apicurio 3 need it).
need_java17() {
	need_tools java
	local v major
	v="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
	major="${v%%.*}"
	[ "$major" = 1 ] && major="$(echo "$v" | cut -d. -f2)"
	case "$major" in
	'' | *[!0-9]*) die "cannot read the Java version from 'java -version' (got '$v')" ;;
	esac
	[ "$major" -ge 17 ] || die "java is version $v; Kafka 4 and Apicurio Registry 3 need Java 17 or newer"
}

# pom_key is a short hash of a pom: the cache folder changes when the pom does.
pom_key() { sha256sum "$1" | cut -c1-12; }

KAFKA_HOME="$CACHE_DIR/kafka-$(pom_key "$SERVICES_SRC/kafka/pom.xml")"
APICURIO_HOME="$CACHE_DIR/apicurio-$(pom_key "$SERVICES_SRC/apicurio/pom.xml")"

# pid_of SERVICE prints the pid recorded for SERVICE if that process is alive
# and is the one we started (its command line carries our marker and state dir).
pid_of() {
	local file="$STATE_DIR/$1.pid" pid cmd
	[ -f "$file" ] || return 1
	pid="$(cat "$file")"
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	[ -r "/proc/$pid/cmdline" ] || return 1
	cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
	case "$cmd" in
	*"-Dfaustgen.service=$1 "*"-Dfaustgen.state=$STATE_DIR "*) echo "$pid" ;;
	*) return 1 ;;
	esac
}

# show_log prints the tail of a service log, for a start that failed.
show_log() {
	local log="$1"
	if [ -s "$log" ]; then
		printf '\n----- last 60 lines of %s -----\n' "$log" >&2
		tail -n 60 "$log" >&2
		printf -- '----- end of %s -----\n\n' "$log" >&2
	else
		say "log $log is empty or missing"
	fi
}

# build_check builds the Go health-check tool into the state dir.
build_check() {
	need_tools go
	mkdir -p "$STATE_DIR/bin"
	(cd "$REPO_ROOT" && go build -o "$CHECK_BIN" ./internal/itest/servicecheck) ||
		die "building the health check (internal/itest/servicecheck) failed"
}
