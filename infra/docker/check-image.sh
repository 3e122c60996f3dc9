#!/usr/bin/env bash
# Builds the services' image and runs it for real: the catalog's services and the fake card provider
# as containers on the host network, against the local RabbitMQ (a vhost of their own) and
# PostgreSQL (databases of their own), each service with its own broker user and database role
# as `npm run stack` provisions them, with a mail catcher on the host. Places an order through
# the containerised order service, waits for it to be CONFIRMED and its email to arrive, reads
# each container's metrics endpoint (metrics on, traces off), then
# stops every container and checks that each exited 0 (a graceful stop on SIGTERM). Cleans up
# after itself. Needs root, Docker (dockerd is started when it is not running) and debootstrap,
# and `npm ci` done (the mail catcher and the base image come from this checkout).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

node=node_modules/.bin/node
run_id=cc$(date +%s)
vhost=$run_id
admin_rabbitmq_url="amqp://guest:guest@127.0.0.1:5672/$vhost"
postgres=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
declare -A rabbitmq_urls database_urls
base_port=${CONTAINER_CHECK_BASE_PORT:-3900}
provider_port=$((base_port + 10))
smtp_port=$((base_port + 11))
mail_http_port=$((base_port + 12))
metrics_base_port=$((base_port + 20))
# The stack's build brings the mail catcher and @shop/catalog, which names the services.
npx turbo run build --filter=@shop/stack --output-logs=errors-only >/dev/null
service_names=$("$node" -p "require('./packages/catalog').SERVICE_NAMES.join(' ')")
read -r -a services <<<"$service_names"
containers=()
mail_pid=

say() { printf '%s\n' "container check: $*"; }
# Whether a URL's body matches a pattern. The body is read whole before grep looks at it: with
# pipefail, `curl | grep -q` fails when grep exits at its first match and curl, still writing a
# body larger than the pipe's buffer, dies of SIGPIPE.
serves() { local body; body=$(curl -fs "$1") && grep -q -- "$2" <<<"$body"; }

cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "$mail_pid" ] && kill "$mail_pid" 2>/dev/null || true
  rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
  for s in "${services[@]}"; do
    rabbitmqctl -q delete_user "$vhost-$s" >/dev/null 2>&1 || true
    psql -q "$postgres/postgres" -c "DROP DATABASE IF EXISTS shop_${run_id}_$s WITH (FORCE)" >/dev/null 2>&1 || true
    psql -q "$postgres/postgres" -c "DROP ROLE IF EXISTS shop_${run_id}_$s" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  (dockerd >/tmp/dockerd-container-check.log 2>&1 &)
  for _ in $(seq 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/dockerd-container-check.log" >&2; exit 1; }
fi

bash infra/docker/make-base-image.sh
say "building shop:local"
started=$(date +%s)
DOCKER_BUILDKIT=0 docker build --quiet --network host -t shop:local . >/dev/null
say "built in $(($(date +%s) - started)) s; $(docker image inspect shop:local --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"

# The vhost with its exchanges, a user per service and a role per service owning its database.
while IFS=$'\t' read -r s rabbitmq database; do
  rabbitmq_urls[$s]=$rabbitmq
  database_urls[$s]=$database
done < <(RABBITMQ_URL="$admin_rabbitmq_url" POSTGRES_URL="$postgres/postgres" STACK_DATABASE_PREFIX="shop_${run_id}_" \
  "$node" tools/stack/dist/src/provision-main.js)
[ "${#rabbitmq_urls[@]}" -eq "${#services[@]}" ] || { echo "provisioning gave ${#rabbitmq_urls[@]} services, not ${#services[@]}" >&2; exit 1; }
"$node" -e "require('./tools/stack/dist/src/mail-catcher').MailCatcher.start($smtp_port, $mail_http_port, () => undefined)" &
mail_pid=$!

start() { # name, workdir, then docker run arguments
  local name=$1 workdir=$2
  shift 2
  containers+=("$name")
  docker run -d --name "$name" --network host -w "$workdir" \
    -e LOG_LEVEL=warn -e OTEL_SDK_DISABLED=true -e SHUTDOWN_TIMEOUT_MS=8000 "$@" >/dev/null
}
start "${run_id}-payment-provider" /app/tools/payment-provider -e HOST=127.0.0.1 -e PORT=$provider_port shop:local node dist/src/main.js
for i in "${!services[@]}"; do
  s=${services[$i]}
  start "${run_id}-$s" "/app/services/$s" -e OTEL_SDK_DISABLED=false -e OTEL_TRACES_EXPORTER=none \
    -e OTEL_EXPORTER_PROMETHEUS_HOST=127.0.0.1 -e OTEL_EXPORTER_PROMETHEUS_PORT=$((metrics_base_port + i)) \
    -e PORT=$((base_port + i)) -e RABBITMQ_URL="${rabbitmq_urls[$s]}" -e DATABASE_URL="${database_urls[$s]}" \
    -e PAYMENT_PROVIDER_URL="http://127.0.0.1:$provider_port" -e SMTP_URL="smtp://127.0.0.1:$smtp_port" shop:local
done

for i in "${!services[@]}"; do
  url="http://127.0.0.1:$((base_port + i))/readyz"
  for _ in $(seq 60); do curl -fs "$url" >/dev/null 2>&1 && break; sleep 1; done
  curl -fs "$url" >/dev/null || { docker logs "${run_id}-${services[$i]}" | tail -20; echo "${services[$i]} not ready" >&2; exit 1; }
done
say "the ${#services[@]} services report ready"

order_id=$(curl -fs "http://127.0.0.1:$base_port/orders" -H 'content-type: application/json' -d '{
  "customerId": "c-42", "email": "ada@example.com",
  "items": [{ "sku": "SKU-MUG", "quantity": 2 }],
  "shippingAddress": { "name": "Ada Lovelace", "line1": "12 St James Square", "city": "London", "postalCode": "SW1Y 4JH", "country": "GB" },
  "paymentMethod": "tok_visa" }' | "$node" -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).orderId')
status=
for _ in $(seq 60); do
  status=$(curl -fs "http://127.0.0.1:$base_port/orders/$order_id" | "$node" -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).status')
  [ "$status" = PENDING ] || break
  sleep 0.5
done
[ "$status" = CONFIRMED ] || { echo "order $order_id ended $status" >&2; exit 1; }
for _ in $(seq 30); do serves "http://127.0.0.1:$mail_http_port/api/messages" "$order_id" && break; sleep 0.5; done
serves "http://127.0.0.1:$mail_http_port/api/messages" "$order_id" || { echo "no email for order $order_id" >&2; exit 1; }
say "order $order_id CONFIRMED through the containers, its email delivered"

# What the order did, as each container's metrics say it.
metrics_url() { echo "http://127.0.0.1:$((metrics_base_port + $1))/metrics"; }
for _ in $(seq 20); do serves "$(metrics_url 0)" '^shop_saga_finished_total{saga_name="order",saga_outcome="completed",.*} 1$' && break; sleep 0.5; done
serves "$(metrics_url 0)" '^shop_saga_finished_total{saga_name="order",saga_outcome="completed",.*} 1$' ||
  { echo "the order container's metrics do not count the completed saga" >&2; curl -fs "$(metrics_url 0)" | grep "^shop_saga" >&2 || true; exit 1; }
for i in "${!services[@]}"; do
  serves "$(metrics_url "$i")" '^messaging_client_consumed_messages_total{.*} [1-9]' ||
    { echo "${services[$i]}'s metrics count no consumed message" >&2; exit 1; }
done
say "each container's metrics count the messages it took, and the order's the completed saga"

# The pages the image serves from its own files: the live page and each service's API reference.
serves "http://127.0.0.1:$base_port/live/" '<script type="module"' || { echo "the order container serves no live page" >&2; exit 1; }
serves "http://127.0.0.1:$base_port/live/config.json" '"reserve-stock"' || { echo "the live page's config names no saga step" >&2; exit 1; }
for i in "${!services[@]}"; do
  serves "http://127.0.0.1:$((base_port + i))/openapi.json" '"openapi":"3.1' || { echo "${services[$i]} serves no OpenAPI document" >&2; exit 1; }
  curl -fs "http://127.0.0.1:$((base_port + i))/docs/swagger-ui-bundle.js" >/dev/null || { echo "${services[$i]}'s /docs misses Swagger UI" >&2; exit 1; }
done
say "the live page and every service's OpenAPI document and reference page are served from the image"

failed=0
for c in "${containers[@]}"; do
  docker stop -t 15 "$c" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || { echo "$c exited $code" >&2; docker logs "$c" | tail -20; failed=1; }
done
[ "$failed" = 0 ] || exit 1
say "every container stopped on SIGTERM with exit code 0"
