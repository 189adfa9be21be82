-- Warehouse core, part 1: locations (a tree, Odoo's stock.location) and products (product.product).

CREATE TABLE stockyard.stock_locations (
    company_id     bigint NOT NULL REFERENCES stockyard.companies (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    name           text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200 AND position('/' IN name) = 0),
    location_id    bigint,                 -- the parent (Odoo's name for it)
    usage          text NOT NULL DEFAULT 'internal'
                   CHECK (usage IN ('view', 'internal', 'supplier', 'customer', 'inventory', 'transit')),
    barcode        text CHECK (barcode IS NULL OR (btrim(barcode) <> '' AND length(barcode) <= 200)),
    active         boolean NOT NULL DEFAULT true,
    -- Maintained by triggers, never written by clients: "WH/Packing Zone/Packing 1" and "1/7/12/".
    complete_name  text NOT NULL DEFAULT '',
    parent_path    text NOT NULL DEFAULT '',
    create_date    timestamptz NOT NULL DEFAULT now(),
    write_date     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, location_id) REFERENCES stockyard.stock_locations (company_id, id),
    CHECK (location_id IS DISTINCT FROM id)
);
CREATE UNIQUE INDEX stock_locations_barcode ON stockyard.stock_locations (company_id, barcode) WHERE barcode IS NOT NULL;
CREATE INDEX stock_locations_parent ON stockyard.stock_locations (company_id, location_id);
-- Subtree queries: parent_path LIKE '1/7/%'.
CREATE INDEX stock_locations_parent_path ON stockyard.stock_locations (company_id, parent_path text_pattern_ops);
ALTER TABLE stockyard.stock_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.stock_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.stock_locations
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.stock_locations TO stockyard_app;

-- complete_name and parent_path follow Odoo: a view location's complete name is its own name; any other
-- location's is its parent's complete name, a slash, and its name. parent_path is the ids from the root down.
-- Any writer (API, psql, import) keeps them right, and a move under the location's own subtree is refused.
CREATE FUNCTION stockyard.stock_location_paths() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        parent_complete_name text;
        parent_parent_path text;
    BEGIN
        IF NEW.location_id IS NULL THEN
            NEW.complete_name := NEW.name;
            NEW.parent_path := NEW.id || '/';
        ELSE
            SELECT complete_name, parent_path INTO parent_complete_name, parent_parent_path
            FROM stockyard.stock_locations WHERE company_id = NEW.company_id AND id = NEW.location_id;
            IF TG_OP = 'UPDATE' AND parent_parent_path LIKE OLD.parent_path || '%' THEN
                RAISE EXCEPTION 'location % cannot be moved under its own descendant %', NEW.id, NEW.location_id
                    USING ERRCODE = 'SY001';
            END IF;
            NEW.complete_name := CASE WHEN NEW.usage = 'view' THEN NEW.name
                                      ELSE coalesce(parent_complete_name, '') || '/' || NEW.name END;
            NEW.parent_path := coalesce(parent_parent_path, '') || NEW.id || '/';
        END IF;
        NEW.write_date := now();
        RETURN NEW;
    END
    $$;
CREATE TRIGGER stock_location_paths BEFORE INSERT OR UPDATE OF name, location_id, usage ON stockyard.stock_locations
    FOR EACH ROW EXECUTE FUNCTION stockyard.stock_location_paths();

-- When a location's name or place changes, its children recompute theirs (and so on down the tree).
CREATE FUNCTION stockyard.stock_location_cascade() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF NEW.complete_name IS DISTINCT FROM OLD.complete_name OR NEW.parent_path IS DISTINCT FROM OLD.parent_path THEN
            UPDATE stockyard.stock_locations SET location_id = location_id
            WHERE company_id = NEW.company_id AND location_id = NEW.id;
        END IF;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER stock_location_cascade AFTER UPDATE OF name, location_id, usage ON stockyard.stock_locations
    FOR EACH ROW EXECUTE FUNCTION stockyard.stock_location_cascade();

CREATE TABLE stockyard.product_categories (
    company_id  bigint NOT NULL REFERENCES stockyard.companies (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    create_date timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, name)
);
ALTER TABLE stockyard.product_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.product_categories FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.product_categories
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.product_categories TO stockyard_app;

CREATE TABLE stockyard.products (
    company_id    bigint NOT NULL REFERENCES stockyard.companies (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    name          text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 500),
    default_code  text CHECK (default_code IS NULL OR (btrim(default_code) <> '' AND length(default_code) <= 200)),
    barcode       text CHECK (barcode IS NULL OR (btrim(barcode) <> '' AND length(barcode) <= 200)),
    categ_id      bigint,
    -- Odoo 17's detailed type: only 'product' (storable) keeps quants.
    type          text NOT NULL DEFAULT 'product' CHECK (type IN ('product', 'consu', 'service')),
    active        boolean NOT NULL DEFAULT true,
    create_date   timestamptz NOT NULL DEFAULT now(),
    write_date    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, categ_id) REFERENCES stockyard.product_categories (company_id, id)
);
CREATE UNIQUE INDEX products_default_code ON stockyard.products (company_id, default_code) WHERE default_code IS NOT NULL;
CREATE UNIQUE INDEX products_barcode ON stockyard.products (company_id, barcode) WHERE barcode IS NOT NULL;
ALTER TABLE stockyard.products ENABLE ROW LEVEL SECURITY;
ALTER TABLE stockyard.products FORCE ROW LEVEL SECURITY;
CREATE POLICY company_isolation ON stockyard.products
    USING (company_id = (SELECT stockyard.current_company()))
    WITH CHECK (company_id = (SELECT stockyard.current_company()));
GRANT SELECT, INSERT, UPDATE ON stockyard.products TO stockyard_app;
