#!/usr/bin/env bash
# Write the broker's configuration into the state dir (FAUSTGEN_SERVICES_DIR):
# one KRaft node acting as broker and controller on 127.0.0.1, internal topics
# at replication factor 1 so transactions work, no initial rebalance delay, the
# log cleaner on (tables use compacted changelogs). The registry needs no file:
# start.sh passes its settings as system properties.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$STATE_DIR/kafka"
mkdir -p "$dir/logs"

cat >"$dir/server.properties" <<PROPS
# Written by scripts/services/configure.sh; rewritten at every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data

num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

log.cleaner.enable=true
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
log.cleaner.backoff.ms=1000

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
PROPS

cat >"$dir/log4j2.properties" <<'PROPS'
# Written by scripts/services/configure.sh. Everything goes to stdout, which
# start.sh appends to the state dir's kafka.log.
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = info
PROPS
