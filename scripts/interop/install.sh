#!/usr/bin/env bash
# Installs the other Confluent-framed Avro client that the interop tests
# (runtime/interop_test.go) talk to: Python's confluent-kafka with its
# schema-registry Avro serializer (fastavro), from PyPI, into a virtualenv
# under ~/.cache/faustgen. Prints the venv's python path on its last line.
# Does nothing but print the path when the venv already imports them.
#
#   bash scripts/interop/install.sh            # install if needed
#   FAUSTGEN_INTEROP_VENV=/some/dir bash ...   # another venv folder
set -euo pipefail
venv="${FAUSTGEN_INTEROP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/faustgen/interop-venv}"
want="confluent-kafka[avro,schemaregistry]==2.16.1"
py="$venv/bin/python"
check='import confluent_kafka, fastavro, confluent_kafka.schema_registry.avro as a; print(confluent_kafka.version()[0], fastavro.__version__)'
if [ -x "$py" ] && "$py" -c "$check" >/dev/null 2>&1; then
  echo "$py"
  exit 0
fi
# A python3 with venv and ensurepip: Debian's first (stable across
# machines of this image), else the first on PATH.
base=""
for cand in /usr/bin/python3 "$(command -v python3 || true)"; do
  if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    base="$cand"
    break
  fi
done
if [ -z "$base" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends python3-venv >/dev/null 2>&1 || {
      apt-get update -qq
      apt-get install -y --no-install-recommends python3-venv >/dev/null
    }
    base=/usr/bin/python3
  else
    echo "scripts/interop/install.sh: no python3 with the venv module (install python3-venv)" >&2
    exit 1
  fi
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$base" -m venv "$venv" >&2
"$py" -m pip install --quiet --disable-pip-version-check --no-input "$want" >&2
"$py" -c "$check" >&2
echo "$py"
