#!/bin/sh
# Creates the shop's Secrets in the namespace (NAMESPACE, default shop) with random passwords:
# one RabbitMQ user and one PostgreSQL role per service (docs/security.md), the operator
# endpoints' token and, with --production, Secret shop-external from the environment:
#   PAYMENT_PROVIDER_URL=https://... SMTP_URL=smtps://user:pass@mail... EMAIL_FROM='Shop <orders@...>' \
#     deploy/kubernetes/create-secrets.sh --production
# A Secret that exists already is kept, so running it again changes no password.
# --dry-run prints the Secrets as YAML instead, touching no cluster (tests/kubernetes runs it).
# Passwords are hex: they go into URLs, and RabbitMQ's definitions allow letters and digits.
set -eu

namespace="${NAMESPACE:-shop}"
production=false
dry_run=false
for argument in "$@"; do
  case "$argument" in
    --production) production=true ;;
    --dry-run) dry_run=true ;;
    *) echo "usage: $0 [--production] [--dry-run]" >&2; exit 64 ;;
  esac
done

# Before anything is created: --production needs the operator's addresses.
if [ "$production" = true ]; then
  : "${PAYMENT_PROVIDER_URL:?PAYMENT_PROVIDER_URL is not set: the card provider's API URL}"
  : "${SMTP_URL:?SMTP_URL is not set: smtp:// or smtps:// URL of the mail server}"
  : "${EMAIL_FROM:?EMAIL_FROM is not set: the sender, e.g. Shop <orders@shop.example>}"
fi

random() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# put NAME TYPE KEY=VALUE...: creates Secret NAME of TYPE unless it exists. The values hold no
# spaces (hex passwords, URLs made of them), so one unquoted word per literal is safe.
put() {
  name=$1
  type=$2
  shift 2
  if [ "$dry_run" = true ]; then
    printf -- '---\n'
  elif kubectl -n "$namespace" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name exists: kept" >&2
    return
  fi
  literals=""
  for pair in "$@"; do literals="$literals --from-literal=$pair"; done
  # shellcheck disable=SC2086
  kubectl -n "$namespace" create secret generic "$name" --type="$type" $literals --dry-run=client -o yaml |
    # cnpg.io/reload: CloudNativePG applies a changed password to the role without a restart.
    kubectl label --local -f - app.kubernetes.io/part-of=shop cnpg.io/reload=true -o yaml |
    apply
}

apply() {
  if [ "$dry_run" = true ]; then cat; else kubectl apply -f -; fi
}

for service in order inventory payment warehouse email; do
  password=$(random 16)
  put "shop-$service-rabbitmq" Opaque \
    "username=shop-$service" "password=$password" \
    "RABBITMQ_URL=amqp://shop-$service:$password@rabbitmq:5672/shop"
  password=$(random 16)
  # CloudNativePG reads username and password of a kubernetes.io/basic-auth Secret.
  put "shop-$service-postgres" kubernetes.io/basic-auth \
    "username=shop_$service" "password=$password" \
    "DATABASE_URL=postgres://shop_$service:$password@postgres-rw:5432/shop_$service"
done

# The operator's user (npm run dlq, the management UI): every permission on the vhost.
password=$(random 16)
put shop-admin-rabbitmq Opaque "username=shop-admin" "password=$password" \
  "RABBITMQ_URL=amqp://shop-admin:$password@rabbitmq:5672/shop"

put shop-operator-token Opaque "OPERATOR_TOKEN=$(random 24)"

if [ "$production" = true ]; then
  if [ "$dry_run" = true ]; then
    printf -- '---\n'
  elif kubectl -n "$namespace" get secret shop-external >/dev/null 2>&1; then
    echo "secret shop-external exists: kept" >&2
    exit 0
  fi
  kubectl -n "$namespace" create secret generic shop-external \
    --from-literal="PAYMENT_PROVIDER_URL=$PAYMENT_PROVIDER_URL" \
    --from-literal="SMTP_URL=$SMTP_URL" \
    --from-literal="EMAIL_FROM=$EMAIL_FROM" \
    --dry-run=client -o yaml | apply
fi
