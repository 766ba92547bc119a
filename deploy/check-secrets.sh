#!/bin/sh
# Refuse to start the stack on placeholder or weak secrets.  Every variable whose name holds
# PASSWORD or is EGGWATCH_SECRET_KEY must be set, must not be the .env.example placeholder
# (CHANGE-ME), and must have at least 16 characters (the secret key 32, as eggwatch demands).
# Compose's ${VAR:?} only refuses unset variables; the images of PostgreSQL, InfluxDB and
# Grafana would happily run on "CHANGE-ME".
#
#   usage: check-secrets.sh          (reads the environment; docker-compose.yml's one-shot
#                                     `preflight` service runs it with env_file: .env)
set -eu
bad=0
checked=0
for var in $(env | grep -E '^[A-Z0-9_]*(PASSWORD[A-Z0-9_]*|SECRET_KEY)=' | cut -d= -f1 | sort); do
  value=$(printenv "$var")
  min=16
  [ "$var" = EGGWATCH_SECRET_KEY ] && min=32
  case "$value" in
    *CHANGE-ME*) echo "preflight: $var is still the CHANGE-ME placeholder" >&2; bad=1 ;;
    *) if [ ${#value} -lt $min ]; then
         echo "preflight: $var is shorter than $min characters" >&2; bad=1
       fi ;;
  esac
  checked=$((checked + 1))
done
if [ "$checked" -eq 0 ]; then
  echo "preflight: no secrets in the environment (is .env there?)" >&2
  exit 2
fi
[ "$bad" -eq 0 ] || exit 2
echo "preflight: $checked secrets set"
