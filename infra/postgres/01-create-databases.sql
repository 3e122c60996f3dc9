-- Generated from packages/catalog by `npm run generate`: edit the catalog, not this file.
-- Runs once, when the postgres container initialises an empty data directory
-- (docker-entrypoint-initdb.d). One database per service: each service owns its data
-- and reaches it only through DATABASE_URL. The services would also create a missing
-- database themselves; creating them here makes a fresh `docker compose up` predictable.
CREATE DATABASE shop_order;
CREATE DATABASE shop_inventory;
CREATE DATABASE shop_payment;
CREATE DATABASE shop_warehouse;
CREATE DATABASE shop_email;

-- The postgres exporter logs in as shop_monitor (docker-compose.yml), which reads the
-- server's statistics through pg_monitor and can read no service's tables.
CREATE ROLE shop_monitor LOGIN PASSWORD 'shop-monitor' IN ROLE pg_monitor;
