-- A pair's level read by its whole key. The view joined inventory_levels on (company, storefront location, variant),
-- and a plan made while the table was new and never analyzed (a shop's first pushes, when every level is being
-- created) read it by (company, storefront location) alone and compared the variant row by row: every level of the
-- location for each push, 1,385 buffers a push at 3,000 products a shop, until autovacuum's analyze replaced the plan.
-- Planned apart, the only path is the whole key, whatever the statistics say. Same columns, same rows.
CREATE OR REPLACE VIEW reporting.inventory_availability WITH (security_invoker = true) AS
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
LEFT JOIN LATERAL (
    -- The level by its whole key, in a subquery planned on its own (OFFSET 0 keeps it apart; see the header).
    SELECT * FROM stockyard.inventory_levels l
    WHERE l.company_id = sl.company_id AND l.storefront_location_id = sl.id AND l.variant_id = v.id
    OFFSET 0) lv ON true
WHERE sl.sync = 'enabled';
