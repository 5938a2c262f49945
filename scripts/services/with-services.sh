#!/usr/bin/env bash
# Run a command against the real services (make test-integration):
#
#   with-services.sh COMMAND [ARG...]
#
# The command gets FAUSTGEN_BROKERS and FAUSTGEN_REGISTRY. When both are
# already set in the environment, those services are used and nothing is
# started. Otherwise the services are started unless they are already running
# from this state dir, and whatever this script started is stopped when it
# exits — on success, failure or interrupt. Its exit status is the command's.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -gt 0 ] || die "usage: with-services.sh COMMAND [ARG...]"

if [ -n "${FAUSTGEN_BROKERS:-}" ] && [ -n "${FAUSTGEN_REGISTRY:-}" ]; then
	say "using the services named in the environment: FAUSTGEN_BROKERS=$FAUSTGEN_BROKERS FAUSTGEN_REGISTRY=$FAUSTGEN_REGISTRY"
	exec "$@"
fi

before=()
pid_of kafka >/dev/null && before+=(kafka)
pid_of registry >/dev/null && before+=(registry)

ours=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ ${#ours[@]} -gt 0 ]; then
		say "stopping the services this run started: ${ours[*]}"
		"$SERVICES_SRC/stop.sh" "${ours[@]}" || rc=1
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Whatever start.sh brings up beyond what was running before is ours to stop,
# even when start.sh itself fails half-way (it stops its own, but be sure).
mark_ours() {
	local s
	for s in kafka registry; do
		case " ${before[*]:-} " in *" $s "*) continue ;; esac
		pid_of "$s" >/dev/null && ours+=("$s")
	done
	return 0
}
if ! "$SERVICES_SRC/start.sh"; then
	mark_ours
	die "the services did not start (see above)"
fi
mark_ours
[ ${#before[@]} -gt 0 ] && say "already running before this run, left running: ${before[*]}"

export FAUSTGEN_BROKERS="$BROKERS" FAUSTGEN_REGISTRY="$REGISTRY_URL"
say "running: $*"
set +e
"$@"
rc=$?
set -e
exit $rc
