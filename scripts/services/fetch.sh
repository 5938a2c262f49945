#!/usr/bin/env bash
# Fetch the real services into the cache (FAUSTGEN_CACHE_DIR, outside the
# checkout) with Maven: the Kafka broker's jars and the Apicurio Registry
# distribution. A second run, or a fresh clone on the same machine, finds them
# cached and does nothing. Nothing fetched is ever written inside the checkout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pom_prop() { sed -n "s:.*<$2>\(.*\)</$2>.*:\1:p" "$1" | head -n 1; }

# mvn_fetch GOAL POM DIR runs a maven-dependency-plugin goal that copies into DIR.
mvn_fetch() {
	need_tools mvn
	# Maven 3.8 prints colour resets even in batch mode: strip them.
	mvn -B -ntp -q -f "$2" "dependency:$1" -DoutputDirectory="$3" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2 ||
		die "Maven could not fetch what $2 lists (see its output above)"
}

# install_into TARGET moves a finished TARGET.tmp.PID into place; a concurrent
# fetch that finished first wins and ours is discarded.
install_into() {
	local target="$1" tmp="$2"
	touch "$tmp/.complete"
	if ! mv -T "$tmp" "$target" 2>/dev/null; then
		rm -rf "$tmp"
		[ -f "$target/.complete" ] || die "could not move $tmp to $target"
	fi
}

fetch_kafka() {
	[ -f "$KAFKA_HOME/.complete" ] && return 0
	local pom="$SERVICES_SRC/kafka/pom.xml" tmp="$KAFKA_HOME.tmp.$$"
	say "fetching Apache Kafka $(pom_prop "$pom" kafka.version) (kafka_2.13 + log4j2) with Maven into $KAFKA_HOME — first run only"
	rm -rf "$tmp" && mkdir -p "$tmp"
	local start=$SECONDS
	mvn_fetch copy-dependencies "$pom" "$tmp/libs"
	ls "$tmp"/libs/kafka_2.13-*.jar >/dev/null 2>&1 || die "no kafka_2.13 jar in $tmp/libs after the Maven fetch"
	install_into "$KAFKA_HOME" "$tmp"
	say "fetched Kafka: $(ls "$KAFKA_HOME/libs" | wc -l) jars in $((SECONDS - start))s"
}

fetch_apicurio() {
	[ -f "$APICURIO_HOME/.complete" ] && return 0
	need_tools tar
	local pom="$SERVICES_SRC/apicurio/pom.xml" tmp="$APICURIO_HOME.tmp.$$"
	say "fetching Apicurio Registry $(pom_prop "$pom" apicurio.version) (about 140 MB) with Maven into $APICURIO_HOME — first run only"
	rm -rf "$tmp" && mkdir -p "$tmp/app"
	local start=$SECONDS
	mvn_fetch copy "$pom" "$tmp/download"
	local archive
	archive="$(ls "$tmp"/download/apicurio-registry-app-*-all.tar.gz 2>/dev/null | head -n 1)"
	[ -n "$archive" ] || die "no apicurio-registry-app-*-all.tar.gz in $tmp/download after the Maven fetch"
	tar -xzf "$archive" -C "$tmp/app" || die "could not unpack $archive"
	rm -rf "$tmp/download"
	# Legacy Quarkus packaging ships *-runner.jar; fast-jar packaging ships quarkus-run.jar.
	local jar
	jar="$(cd "$tmp/app" && find . -maxdepth 3 \( -name 'quarkus-run.jar' -o -name '*-runner.jar' \) | head -n 1)"
	[ -n "$jar" ] || die "the Apicurio archive $archive holds neither quarkus-run.jar nor a *-runner.jar"
	echo "${jar#./}" >"$tmp/launch-jar"
	install_into "$APICURIO_HOME" "$tmp"
	say "fetched Apicurio Registry in $((SECONDS - start))s"
}

case "${1:-all}" in
kafka) fetch_kafka ;;
registry) fetch_apicurio ;;
all) fetch_kafka && fetch_apicurio ;;
*) die "usage: fetch.sh [kafka|registry|all]" ;;
esac
