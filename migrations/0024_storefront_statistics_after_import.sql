-- Planner statistics for the storefront tables as soon as an import has filled them (decisions D28). A shop's first
-- import adds its whole catalogue at once, and until autovacuum's first analyze (within about a minute) the plans that
-- every delivery and push cache are made without statistics. Without them, the planner reads a delivery's variant
-- through a (company, shop, …) index and compares the item row by row, even in 0021's subquery: every linked variant
-- of the shop per delivery, 3,893 buffers for a 16-delivery batch against 84. An ANALYZE also invalidates the plans
-- cached before it, so the next executions plan with the statistics. The imports call this once they commit.
--
-- The owner runs it (ANALYZE needs the table's owner). It reads no tenant's rows for anyone: the statistics land in
-- pg_statistic, which the app role cannot read, and pg_stats hides tables with row security from it. An analyze
-- already running (autovacuum's, another import's) holds the lock for up to a second; then this one is skipped.
CREATE FUNCTION stockyard.refresh_storefront_statistics() RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = stockyard, pg_temp SET lock_timeout = '1s' AS $$
BEGIN
    ANALYZE stockyard.storefront_variants, stockyard.storefront_locations;
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END
$$;
REVOKE ALL ON FUNCTION stockyard.refresh_storefront_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stockyard.refresh_storefront_statistics() TO stockyard_app;
