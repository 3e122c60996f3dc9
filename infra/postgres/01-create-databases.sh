#!/bin/sh
# Generated from packages/catalog by `npm run generate`: edit the catalog, not this file.
# Runs once, when the postgres container initialises an empty data directory
# (docker-entrypoint-initdb.d), with the passwords docker-compose.yml passes from .env.
# One role per service, which owns its database and can connect to no other: CONNECT is
# revoked from PUBLIC on every database, so only a database's owner (and superusers) get in.
# The postgres exporter logs in as shop_monitor, which reads the server's statistics through
# pg_monitor and can read no service's tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v ORDER_POSTGRES_PASSWORD="${ORDER_POSTGRES_PASSWORD:?ORDER_POSTGRES_PASSWORD is not set: see .env.example}" \
  -v INVENTORY_POSTGRES_PASSWORD="${INVENTORY_POSTGRES_PASSWORD:?INVENTORY_POSTGRES_PASSWORD is not set: see .env.example}" \
  -v PAYMENT_POSTGRES_PASSWORD="${PAYMENT_POSTGRES_PASSWORD:?PAYMENT_POSTGRES_PASSWORD is not set: see .env.example}" \
  -v WAREHOUSE_POSTGRES_PASSWORD="${WAREHOUSE_POSTGRES_PASSWORD:?WAREHOUSE_POSTGRES_PASSWORD is not set: see .env.example}" \
  -v EMAIL_POSTGRES_PASSWORD="${EMAIL_POSTGRES_PASSWORD:?EMAIL_POSTGRES_PASSWORD is not set: see .env.example}" \
  -v MONITOR_POSTGRES_PASSWORD="${MONITOR_POSTGRES_PASSWORD:?MONITOR_POSTGRES_PASSWORD is not set: see .env.example}" \
  <<'SQL'
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
CREATE ROLE shop_order LOGIN PASSWORD :'ORDER_POSTGRES_PASSWORD';
CREATE DATABASE shop_order OWNER shop_order;
REVOKE CONNECT, TEMPORARY ON DATABASE shop_order FROM PUBLIC;
CREATE ROLE shop_inventory LOGIN PASSWORD :'INVENTORY_POSTGRES_PASSWORD';
CREATE DATABASE shop_inventory OWNER shop_inventory;
REVOKE CONNECT, TEMPORARY ON DATABASE shop_inventory FROM PUBLIC;
CREATE ROLE shop_payment LOGIN PASSWORD :'PAYMENT_POSTGRES_PASSWORD';
CREATE DATABASE shop_payment OWNER shop_payment;
REVOKE CONNECT, TEMPORARY ON DATABASE shop_payment FROM PUBLIC;
CREATE ROLE shop_warehouse LOGIN PASSWORD :'WAREHOUSE_POSTGRES_PASSWORD';
CREATE DATABASE shop_warehouse OWNER shop_warehouse;
REVOKE CONNECT, TEMPORARY ON DATABASE shop_warehouse FROM PUBLIC;
CREATE ROLE shop_email LOGIN PASSWORD :'EMAIL_POSTGRES_PASSWORD';
CREATE DATABASE shop_email OWNER shop_email;
REVOKE CONNECT, TEMPORARY ON DATABASE shop_email FROM PUBLIC;
CREATE ROLE shop_monitor LOGIN PASSWORD :'MONITOR_POSTGRES_PASSWORD' IN ROLE pg_monitor;
GRANT CONNECT ON DATABASE postgres TO shop_monitor;
SQL
