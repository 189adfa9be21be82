-- Tenancy: companies, shops, API tokens, and the row-level security every tenant table follows.
-- Run as stockyard_owner. Roles stockyard_owner and stockyard_app exist before this runs (ops/pg).

CREATE SCHEMA IF NOT EXISTS stockyard;
CREATE SCHEMA IF NOT EXISTS reporting;
GRANT USAGE ON SCHEMA stockyard TO stockyard_app;
GRANT USAGE ON SCHEMA reporting TO stockyard_app;

-- New connections (the app's, an analyst's psql) find Stockyard's tables without qualifying them.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = stockyard, public', current_database());
END
$$;

-- The tenant of the current transaction. Unset or empty means NULL, and NULL matches no row: it fails closed.
CREATE FUNCTION stockyard.current_company() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.company_id', true), '')::bigint $$;

CREATE TABLE stockyard.companies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- A company sees only itself; the owner creates companies (stockyard company create).
ALTER TABLE stockyard.companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.companies FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.companies
    USING (id = (SELECT stockyard.current_company()))
    WITH CHECK (id = (SELECT stockyard.current_company()));
GRANT SELECT ON stockyard.companies TO stockyard_app;

CREATE TABLE stockyard.shops (
    company_id  bigint NOT NULL REFERENCES stockyard.companies (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    domain      text NOT NULL CHECK (domain ~ '^[a-z0-9][a-z0-9.-]*[a-z0-9]$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, domain)
);
ALTER TABLE stockyard.shops ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.shops FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.shops
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE, DELETE ON stockyard.shops TO stockyard_app;

-- Only the SHA-256 of a token is kept; the token itself is shown once, when it is issued.
CREATE TABLE stockyard.api_tokens (
    company_id  bigint NOT NULL REFERENCES stockyard.companies (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    shop_id     bigint,
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    scopes      text[] NOT NULL CHECK (cardinality(scopes) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id)
);
ALTER TABLE stockyard.api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.api_tokens
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
-- A token's hash, scopes and shop are fixed at issue; the app may only rename, re-date or revoke it.
GRANT SELECT, INSERT ON stockyard.api_tokens TO stockyard_app;
GRANT UPDATE (name, expires_at, revoked_at) ON stockyard.api_tokens TO stockyard_app;

-- Resolving a bearer token is the one cross-tenant read the API needs before it knows the tenant.
CREATE FUNCTION stockyard.resolve_api_token(p_token_hash bytea)
    RETURNS TABLE (token_id bigint, company_id bigint, shop_id bigint, scopes text[], expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = stockyard, pg_temp
    AS $$
        SELECT t.id, t.company_id, t.shop_id, t.scopes, t.expires_at
        FROM stockyard.api_tokens t
        WHERE t.token_hash = p_token_hash
          AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > now())
    $$;
REVOKE ALL ON FUNCTION stockyard.resolve_api_token(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.resolve_api_token(bytea) TO stockyard_app;

-- API processes cache resolved tokens; any change to a token (revocation, new expiry, deletion) tells them
-- to forget it, on commit. The payload is the token's hash in hex.
CREATE FUNCTION stockyard.notify_api_token_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        PERFORM pg_notify('stockyard_api_token_changed', encode(OLD.token_hash, 'hex'));
        RETURN NULL;
    END
    $$;
CREATE TRIGGER api_token_changed AFTER UPDATE OR DELETE ON stockyard.api_tokens
    FOR EACH ROW EXECUTE FUNCTION stockyard.notify_api_token_changed();
