#!/bin/sh
# Build Mosquitto's password file from the environment: every MQTT_PASSWORD_<NAME> variable
# becomes user <name> (lower case, "_" -> "-"): MQTT_PASSWORD_GW_SERIAL_1 -> gw-serial-1.
# Passwords are hashed by mosquitto_passwd (PBKDF2-SHA512); the file never holds plain text.
#
#   usage: make-passwd.sh OUTPUT_FILE
#
# docker-compose.yml runs it in the one-shot `mosquitto-passwd` service (Mosquitto image) writing
# into the broker's config volume; the tests run it with Debian's mosquitto_passwd.
set -eu
out=${1:?usage: make-passwd.sh OUTPUT_FILE}
tmp="$out.tmp.$$"
rm -f "$tmp"
: > "$tmp"
chmod 0600 "$tmp"
count=0
for var in $(env | sed -n 's/^\(MQTT_PASSWORD_[A-Z0-9_]*\)=.*/\1/p' | sort); do
  user=$(echo "${var#MQTT_PASSWORD_}" | tr 'A-Z_' 'a-z-')
  password=$(printenv "$var")
  if [ ${#password} -lt 16 ]; then
    echo "make-passwd: $var is shorter than 16 characters" >&2
    rm -f "$tmp"
    exit 2
  fi
  "${MOSQUITTO_PASSWD:-mosquitto_passwd}" -b "$tmp" "$user" "$password"
  count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
  echo "make-passwd: no MQTT_PASSWORD_* variables set" >&2
  rm -f "$tmp"
  exit 2
fi
# Mosquitto (uid 1883 in its image) must own the file; it refuses group/world-readable ones.
if [ "$(id -u)" = 0 ] && [ -n "${MOSQUITTO_UID:-}" ]; then chown "$MOSQUITTO_UID:$MOSQUITTO_UID" "$tmp"; fi
mv "$tmp" "$out"
echo "make-passwd: $count users written to $out"
