#!/usr/bin/env bash
# Stockyard's roles and databases for the postgres:15 image. Compose mounts this file into
# /docker-entrypoint-initdb.d, so it runs once, when the data volume is empty, as the image's
# superuser (POSTGRES_USER) over the init server's local socket. It mirrors ensure_roles in ops/pg:
#   stockyard_owner  owns the databases, runs migrations and the SECURITY DEFINER functions
#   stockyard_app    what `serve` and `worker` connect as: no BYPASSRLS, not the owner
# Passwords: STOCKYARD_OWNER_PASSWORD and STOCKYARD_APP_PASSWORD (the postgres service's environment).
# No `set -u`: the image sources this file instead of running it when its execute bit is lost.
set -eo pipefail

psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
    -v owner_password="${STOCKYARD_OWNER_PASSWORD:-stockyard_owner}" \
    -v app_password="${STOCKYARD_APP_PASSWORD:-stockyard_app}" <<'SQL'
SELECT 'CREATE ROLE stockyard_owner LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stockyard_owner') \gexec
SELECT 'CREATE ROLE stockyard_app LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stockyard_app') \gexec
-- The owner runs migrations and the SECURITY DEFINER functions; see docs/decisions.md on BYPASSRLS.
ALTER ROLE stockyard_owner LOGIN CREATEDB BYPASSRLS PASSWORD :'owner_password';
ALTER ROLE stockyard_app LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT pg_signal_backend TO stockyard_owner;
-- `stockyard` for the stack; `stockyard_test` for the integration-tests service (which makes its own as well).
SELECT format('CREATE DATABASE %I OWNER stockyard_owner', name)
FROM unnest(ARRAY['stockyard', 'stockyard_test']) AS name
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name) \gexec
SQL
