#!/usr/bin/env bash
# The second Quick start command: installs every Debian and npm package the tests need on a fresh
# Debian machine with Node 20, then builds, lints, type-checks and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# mosquitto: the external broker of the transport tests; mosquitto-clients: the foreign client;
# qemu-utils: qemu-img, which checks our qcow2 files and is the image benchmark's anchor;
# openssh-client: ssh-keygen reads back generated key pairs; python3-openstackclient and
# python3-openstacksdk: the real OpenStack clients the REST API is tested with.
$SUDO apt-get install -y -qq --no-install-recommends mosquitto mosquitto-clients qemu-utils openssh-client \
  python3-openstackclient python3-openstacksdk >/dev/null
npm ci --no-audit --no-fund
npm test
