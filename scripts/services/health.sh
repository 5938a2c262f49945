#!/usr/bin/env bash
# Health-check the running services once: Kafka answers a TCP connect and a
# metadata request naming a broker and a controller; the registry answers
# GET /apis/ccompat/v7/subjects with 200. Exit 0 only when both are healthy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$CHECK_BIN" ] || build_check
rc=0
if out="$("$CHECK_BIN" kafka "$BROKERS" 2>&1)"; then
	say "kafka    healthy at $BROKERS: $out (pid $(pid_of kafka || echo 'not ours'))"
else
	say "kafka    NOT healthy at $BROKERS: $out"
	rc=1
fi
if out="$("$CHECK_BIN" registry "$REGISTRY_URL" 2>&1)"; then
	say "registry healthy at $REGISTRY_URL (pid $(pid_of registry || echo 'not ours'))"
else
	say "registry NOT healthy at $REGISTRY_URL: $out"
	rc=1
fi
exit $rc
