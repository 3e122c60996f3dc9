#!/bin/sh
# Starts RabbitMQ (the command given as arguments) with the shop's definitions: definitions.json
# next to this script (generated from the catalog by `npm run generate`) with every ${NAME} in
# it replaced by the environment variable NAME, which docker-compose.yml passes from .env.
# rabbitmq.conf's load_definitions reads the result at boot; RabbitMQ then creates no guest user.
# Passwords also go into the services' URLs, so they may hold only letters, digits and . _ ~ -
set -eu
template="${SHOP_DEFINITIONS_TEMPLATE:-$(dirname "$0")/definitions.json}"
rendered="${SHOP_DEFINITIONS_FILE:-/tmp/shop-definitions.json}"
content=$(cat "$template")
for name in $(grep -o '\${[A-Za-z0-9_]*}' "$template" | tr -d '${}' | sort -u); do
  value=$(printenv "$name" || true)
  if [ -z "$value" ]; then
    echo "start-with-definitions: $name is not set: copy .env.example to .env and give it a value" >&2
    exit 1
  fi
  case "$value" in
    *[!A-Za-z0-9._~-]*)
      echo "start-with-definitions: $name may hold only letters, digits and . _ ~ -" >&2
      exit 1
      ;;
  esac
  content=$(printf '%s' "$content" | sed "s|\${$name}|$value|g")
done
umask 077
printf '%s\n' "$content" >"$rendered"
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then chown rabbitmq "$rendered"; fi
exec "$@"
