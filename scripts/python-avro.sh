#!/usr/bin/env bash
# Installs Debian's python3-avro, the second Avro implementation that the
# gen/avsc cross-implementation test checks the generated code against.
# Does nothing when Debian's python3 can already import avro. (A python3 of
# pyenv or a virtualenv earlier on PATH does not see Debian's packages: the
# test runs /usr/bin/python3.)
set -euo pipefail
if /usr/bin/python3 -c 'import avro.io' >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends python3-avro >/dev/null 2>&1; then
  $sudo apt-get update -qq
  $sudo apt-get install -y --no-install-recommends python3-avro
fi
/usr/bin/python3 -c 'import avro.io'
