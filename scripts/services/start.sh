#!/usr/bin/env bash
# Start the real services on 127.0.0.1 (make services-up): a single-node KRaft
# Apache Kafka broker and Apicurio Registry (in-memory storage), then wait until
# both are healthy and set the registry's global compatibility to BACKWARD.
#
# Idempotent: a service already running from this state dir is kept. A busy
# port is an error naming it, never shared with whatever holds it. When a start
# fails or times out, the service's log is printed and whatever this run
# started is stopped again. Both services start empty (fresh broker storage,
# in-memory registry).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Name every missing tool at once: Maven and tar only matter for a first fetch.
tools=(java go)
[ -f "$KAFKA_HOME/.complete" ] && [ -f "$APICURIO_HOME/.complete" ] || tools+=(mvn tar)
need_tools "${tools[@]}"
need_java17
mkdir -p "$STATE_DIR"

started=()
on_fail() {
	local rc=$?
	if [ $rc -ne 0 ] && [ ${#started[@]} -gt 0 ]; then
		say "start failed: stopping what this run started (${started[*]})"
		"$SERVICES_SRC/stop.sh" "${started[@]}" || true
	fi
	exit $rc
}
trap on_fail EXIT

# port_free NAME ENVVAR PORT fails naming the port and the setting to change.
port_free() {
	local out
	if ! out="$("$CHECK_BIN" free "$HOST:$3" 2>&1)"; then
		local who
		who="$(ss -ltnpH "sport = :$3" 2>/dev/null | sed -n 's/.*users:((\(.*\))).*/\1/p' | head -n 1)"
		die "port $3 on $HOST ($1) is busy${who:+, held by $who}: $out — stop that process or set $2 to a free port"
	fi
}

kafka_pid="$(pid_of kafka || true)"
registry_pid="$(pid_of registry || true)"
[ -n "$kafka_pid" ] && [ -n "$registry_pid" ] || "$SERVICES_SRC/fetch.sh" all
say "building the health check (internal/itest/servicecheck)"
build_check

# C1 only: on a busy 2-core machine full tiered compilation triples the time
# to ready (measured 15-19 s against 4-6 s); test traffic is small. Append
# -XX:TieredStopAtLevel=4 to FAUSTGEN_KAFKA_OPTS for full JIT (e.g. benchmarks).
JIT_OPTS="-XX:TieredStopAtLevel=1"

start_kafka() {
	"$SERVICES_SRC/configure.sh"
	local dir="$STATE_DIR/kafka" log="$STATE_DIR/kafka/kafka.log"
	local cp="$KAFKA_HOME/libs/*"
	local logcfg="-Dlog4j2.configurationFile=file:$dir/log4j2.properties"
	rm -rf "$dir/data"
	: >"$log"
	# A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
	local cluster_id
	cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
	say "formatting Kafka storage in $dir/data (cluster $cluster_id)"
	if ! java -Xmx256m $JIT_OPTS "$logcfg" -cp "$cp" kafka.tools.StorageTool format \
		-t "$cluster_id" -c "$dir/server.properties" >>"$log" 2>&1; then
		show_log "$log"
		die "formatting Kafka storage failed"
	fi
	say "starting Kafka on $BROKERS (controller $HOST:$KAFKA_CONTROLLER_PORT, heap $KAFKA_HEAP), log $log"
	# Run from the state dir so nothing (a JVM crash file) lands in the checkout.
	(cd "$dir" && exec nohup java -Dfaustgen.service=kafka -Dfaustgen.state="$STATE_DIR" \
		-Xms256m -Xmx"$KAFKA_HEAP" $JIT_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
		"$logcfg" -Dkafka.logs.dir="$dir/logs" ${FAUSTGEN_KAFKA_OPTS:-} \
		-cp "$cp" kafka.Kafka "$dir/server.properties" >>"$log" 2>&1 </dev/null) &
	echo $! >"$STATE_DIR/kafka.pid"
	started+=(kafka)
	kafka_pid=$!
}

start_registry() {
	local dir="$STATE_DIR/registry" log="$STATE_DIR/registry/registry.log"
	mkdir -p "$dir/tmp"
	: >"$log"
	local jar
	jar="$APICURIO_HOME/app/$(cat "$APICURIO_HOME/launch-jar")"
	say "starting Apicurio Registry on http://$HOST:$REGISTRY_PORT (in-memory, heap $REGISTRY_HEAP), log $log"
	(cd "$dir" && exec nohup java -Dfaustgen.service=registry -Dfaustgen.state="$STATE_DIR" \
		-Xms128m -Xmx"$REGISTRY_HEAP" $JIT_OPTS -Djava.io.tmpdir="$dir/tmp" \
		-Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
		-D%prod.quarkus.datasource.jdbc.initial-size=2 -D%prod.quarkus.datasource.jdbc.min-size=2 \
		-Dregistry.rest.artifact.deletion.enabled=true ${FAUSTGEN_REGISTRY_OPTS:-} \
		-jar "$jar" >>"$log" 2>&1 </dev/null) &
	echo $! >"$STATE_DIR/registry.pid"
	started+=(registry)
	registry_pid=$!
}

# wait_healthy NAME PID LOG PROBE... retries PROBE until it passes, the
# process dies, or FAUSTGEN_SERVICES_TIMEOUT runs out.
wait_healthy() {
	local name="$1" pid="$2" log="$3" begin=$SECONDS out=""
	shift 3
	while :; do
		if out="$("$@" 2>&1)"; then
			say "$name ready after $((SECONDS - begin))s${out:+: $out}"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			show_log "$log"
			die "$name (pid $pid) exited during start; last probe: $out"
		fi
		if [ $((SECONDS - begin)) -ge "$START_TIMEOUT" ]; then
			show_log "$log"
			die "$name not healthy after ${START_TIMEOUT}s (FAUSTGEN_SERVICES_TIMEOUT); last probe: $out"
		fi
		sleep 0.5
	done
}

# Every port of every service to start is checked before anything starts.
if [ -z "$kafka_pid" ]; then
	port_free "Kafka broker" FAUSTGEN_KAFKA_PORT "$KAFKA_PORT"
	port_free "Kafka controller" FAUSTGEN_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
fi
[ -n "$registry_pid" ] || port_free "Apicurio Registry" FAUSTGEN_REGISTRY_PORT "$REGISTRY_PORT"

# The registry first: it boots while the Kafka storage is formatted.
if [ -n "$registry_pid" ]; then say "registry already running (pid $registry_pid)"; else start_registry; fi
if [ -n "$kafka_pid" ]; then say "kafka already running (pid $kafka_pid)"; else start_kafka; fi

wait_healthy kafka "$kafka_pid" "$STATE_DIR/kafka/kafka.log" "$CHECK_BIN" kafka "$BROKERS"
wait_healthy registry "$registry_pid" "$STATE_DIR/registry/registry.log" "$CHECK_BIN" registry "$REGISTRY_URL"
"$CHECK_BIN" set-compatibility "$REGISTRY_URL" BACKWARD ||
	die "could not set the registry's global compatibility to BACKWARD"
say "registry global compatibility: BACKWARD"

printf 'FAUSTGEN_BROKERS=%s\nFAUSTGEN_REGISTRY=%s\n' "$BROKERS" "$REGISTRY_URL" >"$STATE_DIR/env"
say "up: FAUSTGEN_BROKERS=$BROKERS FAUSTGEN_REGISTRY=$REGISTRY_URL (also in $STATE_DIR/env)"
