-- Storefronts and inventory sync (issue 6): a shop's connection to its storefront, the location map, the links
-- between storefront variants and products, the levels we published and saw, inbound webhooks, drift, and the
-- cutover's record. See docs/storefronts.md.

-- The connection. Credentials are sealed by the application (AES-256-GCM under STOCKYARD_SECRET_KEY, bound to the
-- shop's id) and never returned by the API. During a webhook-secret rotation the previous secret is still accepted
-- until previous_webhook_secret_expires_at.
ALTER TABLE stockyard.shops
    ADD COLUMN api_base_url text CHECK (api_base_url ~ '^https?://[^\s]+[^/]$' AND length(api_base_url) <= 500),
    ADD COLUMN api_version text NOT NULL DEFAULT '2026-07' CHECK (api_version ~ '^[0-9]{4}-[0-9]{2}$'),
    ADD COLUMN access_token_sealed bytea,
    ADD COLUMN webhook_secret_sealed bytea,
    ADD COLUMN previous_webhook_secret_sealed bytea,
    ADD COLUMN previous_webhook_secret_expires_at timestamptz,
    ADD COLUMN inventory_direction text NOT NULL DEFAULT 'warehouse_to_shop'
        CHECK (inventory_direction IN ('warehouse_to_shop', 'shop_to_warehouse', 'bidirectional')),
    -- When a person chose the direction (the cutover checklist asks for a deliberate choice, not the default).
    ADD COLUMN inventory_direction_chosen_at timestamptz,
    -- planning: mapping and linking, nothing is published; live: every change is published.
    ADD COLUMN cutover_state text NOT NULL DEFAULT 'planning' CHECK (cutover_state IN ('planning', 'live')),
    ADD COLUMN live_at timestamptz,
    ADD COLUMN reconcile_interval_seconds integer NOT NULL DEFAULT 900 CHECK (reconcile_interval_seconds BETWEEN 60 AND 86400),
    ADD COLUMN allow_product_creation boolean NOT NULL DEFAULT false,
    ADD COLUMN monitoring_owner text CHECK (monitoring_owner IS NULL OR (btrim(monitoring_owner) <> '' AND length(monitoring_owner) <= 200)),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CHECK ((cutover_state = 'live') = (live_at IS NOT NULL));
-- A webhook names its shop by domain only, so a connected domain belongs to one shop across all companies.
CREATE UNIQUE INDEX shops_connected_domain ON stockyard.shops (domain) WHERE webhook_secret_sealed IS NOT NULL;

-- The one cross-tenant read a webhook needs before it knows the tenant: the shop of a connected domain and its
-- sealed secrets (the caller opens them and checks the HMAC before anything else).
CREATE FUNCTION stockyard.shop_for_webhook(p_domain text)
    RETURNS TABLE (company_id bigint, shop_id bigint, webhook_secret_sealed bytea, previous_webhook_secret_sealed bytea,
                   previous_webhook_secret_expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    SELECT s.company_id, s.id, s.webhook_secret_sealed, s.previous_webhook_secret_sealed, s.previous_webhook_secret_expires_at
    FROM stockyard.shops s WHERE s.domain = lower(p_domain) AND s.webhook_secret_sealed IS NOT NULL
$$;
REVOKE ALL ON FUNCTION stockyard.shop_for_webhook(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.shop_for_webhook(text) TO stockyard_app;

-- One row per storefront location. No implicit default: a location is pending until it is mapped and enabled,
-- or deliberately excluded.
CREATE TABLE stockyard.storefront_locations (
    company_id          bigint NOT NULL REFERENCES stockyard.companies (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    shop_id             bigint NOT NULL,
    external_id         bigint NOT NULL CHECK (external_id > 0),   -- the storefront's location id
    name                text NOT NULL CHECK (length(name) <= 500),
    kind                text CHECK (kind IN ('online', 'retail', '3pl', 'pickup', 'marketplace', 'reserve')),
    location_id         bigint,                                    -- the mapped warehouse location (its internal subtree)
    sync                text NOT NULL DEFAULT 'pending' CHECK (sync IN ('pending', 'enabled', 'excluded')),
    buffer              integer NOT NULL DEFAULT 0 CHECK (buffer BETWEEN 0 AND 1000000),
    notes               text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    direction           text CHECK (direction IN ('warehouse_to_shop', 'shop_to_warehouse', 'bidirectional')),
    active              boolean NOT NULL DEFAULT true,             -- false once the storefront no longer lists it
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, shop_id, external_id),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    CHECK (sync <> 'enabled' OR (location_id IS NOT NULL AND kind IS NOT NULL))
);
SELECT stockyard.isolate_by_company('stockyard.storefront_locations');
GRANT SELECT, INSERT, UPDATE ON stockyard.storefront_locations TO stockyard_app;

-- The shop's variants as the storefront lists them, and the product each is linked to (one variant per product
-- and shop, and one product per variant). match says how the link was made; confirmed_at, that a person checked it.
CREATE TABLE stockyard.storefront_variants (
    company_id          bigint NOT NULL REFERENCES stockyard.companies (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    shop_id             bigint NOT NULL,
    external_id         bigint NOT NULL CHECK (external_id > 0),   -- the storefront's variant id
    inventory_item_id   bigint NOT NULL CHECK (inventory_item_id > 0),
    sku                 text,
    barcode             text,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draft', 'archived')),
    product_id          bigint,
    match               text CHECK (match IN ('sku', 'barcode', 'manual')),
    confirmed_at        timestamptz,
    -- Why an unlinked variant is unlinked after the last match: no product has its SKU or barcode, two claim one
    -- product (candidate_product_id), or it is draft/archived at the storefront.
    match_issue         text CHECK (match_issue IN ('unmatched', 'ambiguous', 'not_active')),
    candidate_product_id bigint,
    active              boolean NOT NULL DEFAULT true,             -- false once the storefront no longer lists it
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, shop_id, external_id),
    UNIQUE (company_id, shop_id, inventory_item_id),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id),
    FOREIGN KEY (company_id, product_id) REFERENCES stockyard.products (company_id, id),
    FOREIGN KEY (company_id, candidate_product_id) REFERENCES stockyard.products (company_id, id),
    CHECK ((product_id IS NULL) = (match IS NULL)),
    CHECK (product_id IS NULL OR match_issue IS NULL)
);
CREATE UNIQUE INDEX storefront_variants_product ON stockyard.storefront_variants (company_id, shop_id, product_id)
    WHERE product_id IS NOT NULL;
-- The quant trigger finds a changed product's variants.
CREATE INDEX storefront_variants_by_product ON stockyard.storefront_variants (company_id, product_id) WHERE product_id IS NOT NULL;
SELECT stockyard.isolate_by_company('stockyard.storefront_variants');
GRANT SELECT, INSERT, UPDATE ON stockyard.storefront_variants TO stockyard_app;

-- What we last published to, and last saw at, the storefront per (storefront location, variant). The push
-- compares against last_seen (changeFromQuantity); a webhook older than last_seen_at is stale and dropped.
CREATE TABLE stockyard.inventory_levels (
    company_id              bigint NOT NULL REFERENCES stockyard.companies (id),
    storefront_location_id  bigint NOT NULL,
    variant_id              bigint NOT NULL,
    last_published          integer,
    last_published_at       timestamptz,
    last_seen               integer,
    last_seen_at            timestamptz,
    last_seen_source        text CHECK (last_seen_source IN ('push', 'read', 'webhook', 'reconcile')),
    PRIMARY KEY (company_id, storefront_location_id, variant_id),
    FOREIGN KEY (company_id, storefront_location_id) REFERENCES stockyard.storefront_locations (company_id, id),
    FOREIGN KEY (company_id, variant_id) REFERENCES stockyard.storefront_variants (company_id, id)
);
SELECT stockyard.isolate_by_company('stockyard.inventory_levels');
GRANT SELECT, INSERT, UPDATE ON stockyard.inventory_levels TO stockyard_app;

-- Every webhook delivery accepted, once per event (X-Shopify-Event-Id, else X-Shopify-Webhook-Id).
CREATE TABLE stockyard.webhook_events (
    company_id      bigint NOT NULL REFERENCES stockyard.companies (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    shop_id         bigint NOT NULL,
    event_key       text NOT NULL CHECK (length(event_key) BETWEEN 1 AND 200),
    webhook_id      text CHECK (length(webhook_id) <= 200),
    topic           text NOT NULL CHECK (length(topic) BETWEEN 1 AND 100),
    api_version     text CHECK (length(api_version) <= 20),
    triggered_at    timestamptz,
    payload         jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    outcome         text CHECK (length(outcome) <= 1000),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, shop_id, event_key),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id)
);
SELECT stockyard.isolate_by_company('stockyard.webhook_events');
GRANT SELECT, INSERT, UPDATE ON stockyard.webhook_events TO stockyard_app;

-- Mismatches between what we would publish and what the storefront holds, in the runbook's classes. One open
-- record per (shop, class, storefront location, variant); seeing it again updates it.
CREATE TABLE stockyard.drift_events (
    company_id              bigint NOT NULL REFERENCES stockyard.companies (id),
    id                      bigint GENERATED ALWAYS AS IDENTITY,
    shop_id                 bigint NOT NULL,
    class                   text NOT NULL CHECK (class IN ('product_identity', 'location_mapping', 'direction_conflict',
                                                           'buffer_reservation', 'company_access', 'storefront_delay')),
    storefront_location_id  bigint,
    variant_id              bigint,
    expected                integer,          -- what we would publish
    actual                  integer,          -- what the storefront held
    detail                  text NOT NULL CHECK (length(detail) <= 2000),
    source                  text NOT NULL CHECK (source IN ('push', 'webhook', 'reconcile', 'import')),
    occurrences             integer NOT NULL DEFAULT 1,
    detected_at             timestamptz NOT NULL DEFAULT now(),
    last_detected_at        timestamptz NOT NULL DEFAULT now(),
    resolved_at             timestamptz,
    resolution              text CHECK (length(resolution) <= 1000),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id),
    FOREIGN KEY (company_id, storefront_location_id) REFERENCES stockyard.storefront_locations (company_id, id),
    FOREIGN KEY (company_id, variant_id) REFERENCES stockyard.storefront_variants (company_id, id)
);
CREATE UNIQUE INDEX drift_events_open ON stockyard.drift_events
    (company_id, shop_id, class, coalesce(storefront_location_id, 0), coalesce(variant_id, 0)) WHERE resolved_at IS NULL;
CREATE INDEX drift_events_shop ON stockyard.drift_events (company_id, shop_id, id);
SELECT stockyard.isolate_by_company('stockyard.drift_events');
GRANT SELECT, INSERT, UPDATE ON stockyard.drift_events TO stockyard_app;

-- The cutover's record: previews reviewed, opening-stock stages published (detail holds the selection), going
-- live (forced, with its reason and the items still open, or not).
CREATE TABLE stockyard.cutover_events (
    company_id   bigint NOT NULL REFERENCES stockyard.companies (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    shop_id      bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('preview', 'opening_stock', 'go_live', 'forced_go_live')),
    reason       text CHECK (length(reason) <= 2000),
    detail       jsonb NOT NULL DEFAULT '{}',
    token_id     bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, shop_id) REFERENCES stockyard.shops (company_id, id),
    FOREIGN KEY (company_id, token_id) REFERENCES stockyard.api_tokens (company_id, id),
    CHECK (kind <> 'forced_go_live' OR btrim(coalesce(reason, '')) <> '')
);
CREATE INDEX cutover_events_shop ON stockyard.cutover_events (company_id, shop_id, id);
SELECT stockyard.isolate_by_company('stockyard.cutover_events');
GRANT SELECT, INSERT ON stockyard.cutover_events TO stockyard_app;

-- Storefront locations whose levels follow the warehouse now: enabled, in a live shop, and not
-- storefront-driven (shop_to_warehouse, for the shop or by the location's override), with the mapped subtree.
CREATE VIEW stockyard.publishing_locations WITH (security_invoker = true) AS
SELECT sl.company_id, sl.id, sl.shop_id, m.parent_path
FROM stockyard.storefront_locations sl
JOIN stockyard.shops s ON s.company_id = sl.company_id AND s.id = sl.shop_id
JOIN stockyard.stock_locations m ON m.company_id = sl.company_id AND m.id = sl.location_id
WHERE sl.sync = 'enabled' AND s.cutover_state = 'live'
  AND coalesce(sl.direction, s.inventory_direction) <> 'shop_to_warehouse';
GRANT SELECT ON stockyard.publishing_locations TO stockyard_app;

-- Enqueues one coalesced inventory.push per (publishing location, product) for the given (product, location)
-- pairs of the current company: the quants that changed, or every linked product of a location whose mapping
-- changed. A pending job for the same pair is locked and kept (DO UPDATE, not DO NOTHING), so a runner cannot
-- claim it before this transaction commits and miss the change. A pair published less than 200 ms ago, or
-- being published now, waits out 200 ms, so a hot SKU costs at most about five storefront calls a second per
-- location while every other change goes at once (claim_jobs also runs one job per key at a time).
-- plpgsql, not sql: its plan is cached per connection (this view-heavy statement costs more to plan than to run).
CREATE FUNCTION stockyard.enqueue_inventory_pushes(p_pairs jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stockyard.sync_jobs AS j (company_id, kind, dedupe_key, payload, run_at)
    SELECT DISTINCT ON (pl.id, c.product_id) pl.company_id, 'inventory.push', pl.id || ':' || c.product_id,
           jsonb_build_object('storefront_location_id', pl.id, 'product_id', c.product_id),
           CASE WHEN EXISTS (SELECT FROM stockyard.sync_jobs r
                             WHERE r.company_id = pl.company_id AND r.kind = 'inventory.push' AND r.state = 'running'
                               AND r.dedupe_key = pl.id || ':' || c.product_id)
                THEN now() + interval '200 milliseconds'
                ELSE greatest(now(), lv.last_published_at + interval '200 milliseconds') END
    FROM jsonb_to_recordset(p_pairs) AS c(product_id bigint, location_id bigint)
    JOIN stockyard.stock_locations l ON l.company_id = stockyard.current_company() AND l.id = c.location_id
    JOIN stockyard.publishing_locations pl ON pl.company_id = l.company_id AND l.parent_path LIKE pl.parent_path || '%'
    JOIN stockyard.storefront_variants v ON v.company_id = pl.company_id AND v.shop_id = pl.shop_id AND v.product_id = c.product_id
    LEFT JOIN stockyard.inventory_levels lv
        ON lv.company_id = pl.company_id AND lv.storefront_location_id = pl.id AND lv.variant_id = v.id
    ORDER BY pl.id, c.product_id
    ON CONFLICT (company_id, kind, dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL
    DO UPDATE SET run_at = least(j.run_at, EXCLUDED.run_at);
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.enqueue_inventory_pushes(jsonb) TO stockyard_app;

-- Any writer of quants (the API, psql, an import) is published: one statement, one enqueue.
CREATE FUNCTION stockyard.quants_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pairs jsonb;
BEGIN
    IF EXISTS (SELECT FROM stockyard.storefront_locations WHERE company_id = stockyard.current_company() AND sync = 'enabled') THEN
        SELECT jsonb_agg(DISTINCT jsonb_build_object('product_id', product_id, 'location_id', location_id)) INTO pairs FROM changed;
        PERFORM stockyard.enqueue_inventory_pushes(coalesce(pairs, '[]'));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER stock_quants_inserted_push AFTER INSERT ON stockyard.stock_quants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION stockyard.quants_changed();
CREATE TRIGGER stock_quants_updated_push AFTER UPDATE ON stockyard.stock_quants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION stockyard.quants_changed();

-- A location whose mapping, sync, buffer or direction changed republishes every linked product of its shop.
CREATE FUNCTION stockyard.storefront_location_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM stockyard.enqueue_inventory_pushes(coalesce(jsonb_agg(jsonb_build_object('product_id', v.product_id,
                                                                                      'location_id', NEW.location_id)), '[]'))
    FROM stockyard.storefront_variants v
    WHERE v.company_id = NEW.company_id AND v.shop_id = NEW.shop_id AND v.product_id IS NOT NULL AND NEW.location_id IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER storefront_location_changed
    AFTER INSERT OR UPDATE OF location_id, sync, buffer, direction ON stockyard.storefront_locations
    FOR EACH ROW EXECUTE FUNCTION stockyard.storefront_location_changed();

-- A variant linked to a product publishes it at every location of its shop.
CREATE FUNCTION stockyard.storefront_variant_linked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.product_id IS NOT NULL THEN
        PERFORM stockyard.enqueue_inventory_pushes(coalesce(jsonb_agg(jsonb_build_object('product_id', NEW.product_id,
                                                                                          'location_id', sl.location_id)), '[]'))
        FROM stockyard.storefront_locations sl
        WHERE sl.company_id = NEW.company_id AND sl.shop_id = NEW.shop_id AND sl.sync = 'enabled';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER storefront_variant_linked AFTER INSERT OR UPDATE OF product_id ON stockyard.storefront_variants
    FOR EACH ROW EXECUTE FUNCTION stockyard.storefront_variant_linked();

-- Going live (or changing direction) publishes every linked product at every enabled location of the shop, and
-- going live starts the shop's reconcile (each run schedules the next, reconcile_interval_seconds later).
CREATE FUNCTION stockyard.shop_publishing_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.cutover_state = 'live' AND OLD.cutover_state IS DISTINCT FROM 'live' THEN
        PERFORM stockyard.enqueue_job('inventory.reconcile', 'shop:' || NEW.id, jsonb_build_object('shop_id', NEW.id),
                                      now() + make_interval(secs => NEW.reconcile_interval_seconds));
    END IF;
    PERFORM stockyard.enqueue_inventory_pushes(coalesce(jsonb_agg(jsonb_build_object('product_id', v.product_id,
                                                                                      'location_id', sl.location_id)), '[]'))
    FROM stockyard.storefront_locations sl
    JOIN stockyard.storefront_variants v ON v.company_id = sl.company_id AND v.shop_id = sl.shop_id AND v.product_id IS NOT NULL
    WHERE sl.company_id = NEW.company_id AND sl.shop_id = NEW.id AND sl.sync = 'enabled';
    RETURN NULL;
END
$$;
CREATE TRIGGER shop_publishing_changed AFTER UPDATE OF cutover_state, inventory_direction ON stockyard.shops
    FOR EACH ROW WHEN (OLD.cutover_state IS DISTINCT FROM NEW.cutover_state
                       OR OLD.inventory_direction IS DISTINCT FROM NEW.inventory_direction)
    EXECUTE FUNCTION stockyard.shop_publishing_changed();

-- For psql users and the availability API: per enabled storefront location and linked variant, the free stock
-- under the mapped location, the buffer, what we would publish, and what we last published and saw; with the
-- location's effective direction and whether its levels follow the warehouse now (publishing).
-- computed follows StockyardCore's Availability.publishable (a test keeps the two equal).
CREATE VIEW reporting.inventory_availability WITH (security_invoker = true) AS
SELECT sl.company_id, sl.shop_id, sl.id AS storefront_location_id, sl.name AS storefront_location_name,
       sl.external_id AS external_location_id, v.id AS variant_id, v.inventory_item_id, v.product_id, v.sku,
       stock.on_hand, stock.reserved, sl.buffer,
       greatest(0, floor(stock.on_hand - stock.reserved - sl.buffer))::integer AS computed,
       lv.last_published, lv.last_published_at, lv.last_seen, lv.last_seen_at,
       coalesce(sl.direction, s.inventory_direction) AS direction,
       s.cutover_state = 'live' AND coalesce(sl.direction, s.inventory_direction) <> 'shop_to_warehouse' AS publishing,
       m.id AS mapped_location_id, m.usage AS mapped_location_usage
FROM stockyard.storefront_locations sl
JOIN stockyard.shops s ON s.company_id = sl.company_id AND s.id = sl.shop_id
JOIN stockyard.stock_locations m ON m.company_id = sl.company_id AND m.id = sl.location_id
JOIN stockyard.storefront_variants v ON v.company_id = sl.company_id AND v.shop_id = sl.shop_id AND v.product_id IS NOT NULL
CROSS JOIN LATERAL (
    SELECT coalesce(sum(q.quantity), 0) AS on_hand, coalesce(sum(q.reserved_quantity), 0) AS reserved
    FROM stockyard.stock_quants q
    JOIN stockyard.stock_locations l ON l.company_id = q.company_id AND l.id = q.location_id
    WHERE q.company_id = sl.company_id AND q.product_id = v.product_id AND l.usage = 'internal'
      AND l.parent_path LIKE m.parent_path || '%') stock
LEFT JOIN stockyard.inventory_levels lv
    ON lv.company_id = sl.company_id AND lv.storefront_location_id = sl.id AND lv.variant_id = v.id
WHERE sl.sync = 'enabled';
GRANT SELECT ON reporting.inventory_availability TO stockyard_app;

-- The view's rows for one (storefront location, product), and for one storefront (location, inventory item): what
-- every push and every webhook reads. plpgsql caches the plan per connection; planning the view costs ~4 ms, running
-- it well under 1 ms. Row-level security applies (SECURITY INVOKER).
CREATE FUNCTION stockyard.availability_of_pair(p_storefront_location bigint, p_product bigint)
RETURNS SETOF reporting.inventory_availability
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM reporting.inventory_availability a
                 WHERE a.company_id = stockyard.current_company() AND a.storefront_location_id = p_storefront_location
                   AND a.product_id = p_product;
END
$$;
CREATE FUNCTION stockyard.availability_of_item(p_shop bigint, p_external_location bigint, p_inventory_item bigint)
RETURNS SETOF reporting.inventory_availability
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM reporting.inventory_availability a
                 WHERE a.company_id = stockyard.current_company() AND a.shop_id = p_shop
                   AND a.external_location_id = p_external_location AND a.inventory_item_id = p_inventory_item;
END
$$;
GRANT EXECUTE ON FUNCTION stockyard.availability_of_pair(bigint, bigint), stockyard.availability_of_item(bigint, bigint, bigint)
    TO stockyard_app;

CREATE VIEW reporting.inventory_drift WITH (security_invoker = true) AS
SELECT company_id, shop_id, id, class, storefront_location_id, variant_id, expected, actual, detail, source,
       occurrences, detected_at, last_detected_at, resolved_at, resolution
FROM stockyard.drift_events;
GRANT SELECT ON reporting.inventory_drift TO stockyard_app;

-- The sync engine, refined for keyed jobs (decisions D16). One job per (company, kind, dedupe key) runs at a
-- time: a pending job whose key is running waits for it (so two pushes of one level never race, and changes
-- made meanwhile coalesce into the one pending job); within a batch, the oldest of a key goes first.
CREATE INDEX sync_jobs_running_key ON stockyard.sync_jobs (company_id, kind, dedupe_key)
    WHERE state = 'running' AND dedupe_key IS NOT NULL;

CREATE OR REPLACE FUNCTION stockyard.claim_jobs(p_worker text, p_batch integer, p_lease interval, p_kinds text[] DEFAULT NULL)
RETURNS TABLE (company_id bigint, id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
               run_at timestamptz, created_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    -- A claim lost in a crash leaves its jobs as they were: they are claimed again.
    SELECT set_config('synchronous_commit', 'off', true);
    WITH candidates AS (
        SELECT c.company_id, c.id, c.kind, c.dedupe_key, c.priority, c.run_at FROM stockyard.sync_jobs c
        WHERE c.state IN ('pending', 'failed') AND c.run_at <= now() AND (p_kinds IS NULL OR c.kind = ANY(p_kinds))
          AND (c.dedupe_key IS NULL OR NOT EXISTS (
                SELECT FROM stockyard.sync_jobs r
                WHERE r.company_id = c.company_id AND r.kind = c.kind AND r.dedupe_key = c.dedupe_key AND r.state = 'running'))
        ORDER BY c.priority DESC, c.run_at
        LIMIT p_batch * 4
        FOR UPDATE SKIP LOCKED
    ), chosen AS (
        SELECT r.company_id, r.id FROM (
            SELECT candidates.*,
                   row_number() OVER (PARTITION BY candidates.company_id
                                      ORDER BY candidates.priority DESC, candidates.run_at) AS turn,
                   row_number() OVER (PARTITION BY candidates.company_id, candidates.kind,
                                                   coalesce(candidates.dedupe_key, candidates.id::text)
                                      ORDER BY candidates.run_at, candidates.id) AS of_key
            FROM candidates) r
        WHERE r.of_key = 1
        ORDER BY r.turn, r.priority DESC, r.run_at
        LIMIT p_batch
    )
    UPDATE stockyard.sync_jobs j
    SET state = 'running', attempts = j.attempts + 1, locked_by = p_worker, locked_until = now() + p_lease,
        started_at = now()
    FROM chosen WHERE j.company_id = chosen.company_id AND j.id = chosen.id
    RETURNING j.company_id, j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.run_at, j.created_at
$$;

-- Jobs due later than they were created (delayed, debounced, or waiting for a retry): the runner asks when the
-- next one is due and wakes then, instead of at its next poll. Jobs due at creation are not in this index.
CREATE INDEX sync_jobs_delayed ON stockyard.sync_jobs (run_at) WHERE state IN ('pending', 'failed') AND run_at > created_at;

CREATE FUNCTION stockyard.next_job_due(p_kinds text[] DEFAULT NULL) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = stockyard, pg_temp AS $$
    SELECT min(j.run_at) FROM stockyard.sync_jobs j
    WHERE j.state IN ('pending', 'failed') AND j.run_at > j.created_at AND j.run_at > now()
      AND (p_kinds IS NULL OR j.kind = ANY(p_kinds))
$$;
REVOKE ALL ON FUNCTION stockyard.next_job_due(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.next_job_due(text[]) TO stockyard_app;
