#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages, when missing, and makes sure the
# machine's own Mosquitto and PostgreSQL are up.  influxd itself is started by the tests
# (tests/support/servers.py) on a free loopback port with a throwaway data dir.
set -euo pipefail
need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v influx >/dev/null 2>&1 || need+=(influxdb-client)  # deploy README's restore commands
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
# CJK glyphs so browser screenshots of the zh-CN page are legible
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing ${need[*]}: install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  echo "installing ${need[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# influxdb's package may start a system influxd on :8086; the tests use their own, so stop it.
if command -v systemctl >/dev/null 2>&1; then systemctl stop influxdb >/dev/null 2>&1 || true; fi
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  echo "starting mosquitto"; mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  echo "starting postgresql"; pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
