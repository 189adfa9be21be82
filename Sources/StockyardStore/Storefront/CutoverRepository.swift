import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The cutover's data: the checklist's facts, the levels a step covers, opening-stock stages and their progress,
/// and going live (refused while required items are open, unless forced with a reason, which is recorded).
public struct CutoverRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func checklist(shop: Int64, topSKUs: [String]?, company: Int64, logger: Logger) async throws -> CutoverChecklistReport {
        try await database.withCompany(company, logger: logger) { connection in
            let state = try await Self.lockShop(shop, company: company, lock: false, on: connection, logger: logger)
            let items = CutoverChecklist.items(try await Self.facts(shop: shop, topSKUs: topSKUs, company: company, on: connection, logger: logger))
            return CutoverChecklistReport(shopId: shop, cutoverState: state, items: items, readyToGoLive: CutoverChecklist.open(items).isEmpty)
        }
    }

    /// Goes live in one transaction with the shop locked; its trigger then publishes every level. Forcing needs a
    /// reason; the open items are recorded with it.
    public func goLive(shop: Int64, force: Bool, reason: String?, topSKUs: [String]?, token: Int64?, company: Int64,
                       logger: Logger) async throws -> CutoverChecklistReport {
        let reason = try reason.map { try TextInput.validate($0, field: "reason", maxLength: 2000) }
        if force && reason == nil { throw AppError.invalid(field: "reason", detail: "forcing go-live needs a 'reason', which is recorded") }
        return try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            let state = try await Self.lockShop(shop, company: company, lock: true, on: connection, logger: logger)
            guard state != "live" else { throw AppError.conflict("the shop is live already") }
            let items = CutoverChecklist.items(try await Self.facts(shop: shop, topSKUs: topSKUs, company: company, on: connection, logger: logger))
            let open = CutoverChecklist.open(items)
            if !open.isEmpty && !force {
                throw AppError.conflict("required checklist items are open: \(open.map(\.key).joined(separator: ", ")); finish them or force with a reason")
            }
            try await connection.query("""
                UPDATE stockyard.shops SET cutover_state = 'live', live_at = now(), updated_at = now() WHERE company_id = \(company) AND id = \(shop)
                """, logger: logger)
            let detail = JSONValue.object(["open_items": .array(open.map { .string($0.key) })])
            try await Self.record(open.isEmpty ? "go_live" : "forced_go_live", shop: shop, reason: reason, detail: detail, token: token,
                                  company: company, on: connection, logger: logger)
            return CutoverChecklistReport(shopId: shop, cutoverState: "live", items: items, readyToGoLive: true)
        }
    }

    /// The levels `selection` covers, as the availability view computes them.
    public func levels(shop: Int64, selection: LevelSelection, company: Int64, logger: Logger) async throws -> [InventoryLevel] {
        try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            _ = try await Self.lockShop(shop, company: company, lock: false, on: connection, logger: logger)
            let (skus, categories) = (selection.skus, selection.categoryIds)
            let query: PostgresQuery = """
                SELECT \(unescaped: InventoryLevelRepository.columns) FROM reporting.inventory_availability a
                JOIN stockyard.products p ON p.company_id = a.company_id AND p.id = a.product_id
                WHERE a.company_id = \(company) AND a.shop_id = \(shop)
                  AND (\(skus)::text[] IS NULL AND \(categories)::bigint[] IS NULL
                       OR a.sku = ANY(\(skus)::text[]) OR p.categ_id = ANY(\(categories)::bigint[]))
                ORDER BY a.sku, a.storefront_location_id
                """
            return try await InventoryLevelRepository.decode(connection.query(query, logger: logger)).map(\.level)
        }
    }

    public func recordPreview(shop: Int64, selection: LevelSelection, levels: Int, token: Int64?, company: Int64, logger: Logger) async throws {
        try await database.withCompany(company, logger: logger) { connection in
            try await Self.record("preview", shop: shop, reason: nil, detail: Self.detail(selection, levels: levels), token: token,
                                  company: company, on: connection, logger: logger)
        }
    }

    /// Records the stage and enqueues one opening-stock push per level it covers, in one transaction.
    public func publishOpeningStock(shop: Int64, selection: LevelSelection, token: Int64?, company: Int64,
                                    logger: Logger) async throws -> OpeningStockStage {
        let levels = try await levels(shop: shop, selection: selection, company: company, logger: logger)
        return try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            let state = try await Self.lockShop(shop, company: company, lock: true, on: connection, logger: logger)
            guard state == "planning" else { throw AppError.conflict("opening stock is published before going live; the shop is live") }
            let id = try await Self.record("opening_stock", shop: shop, reason: nil, detail: Self.detail(selection, levels: levels.count),
                                           token: token, company: company, on: connection, logger: logger)
            try await connection.query("""
                INSERT INTO stockyard.sync_jobs AS j (company_id, kind, dedupe_key, payload)
                SELECT \(company), 'inventory.push', l || ':' || p,
                       jsonb_build_object('storefront_location_id', l, 'product_id', p, 'opening_stock', true)
                FROM unnest(\(levels.map(\.storefrontLocationId))::bigint[], \(levels.map(\.productId))::bigint[]) AS u(l, p)
                ON CONFLICT (company_id, kind, dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL
                DO UPDATE SET payload = EXCLUDED.payload, run_at = least(j.run_at, EXCLUDED.run_at)
                """, logger: logger)
            return try await Self.stages(shop: shop, company: company, after: id - 1, limit: 1, on: connection, logger: logger)[0]
        }
    }

    public func progress(shop: Int64, page: PageRequest, company: Int64, logger: Logger) async throws -> Page<OpeningStockStage> {
        try await database.withCompany(company, logger: logger) { connection in
            _ = try await Self.lockShop(shop, company: company, lock: false, on: connection, logger: logger)
            return page.page(from: try await Self.stages(shop: shop, company: company, after: page.afterID, limit: page.limit + 1,
                                                         on: connection, logger: logger), id: \.id)
        }
    }

    // MARK: - SQL

    static func detail(_ selection: LevelSelection, levels: Int) -> JSONValue {
        .object(["skus": selection.skus.map { .array($0.map(JSONValue.string)) } ?? .null,
                 "category_ids": selection.categoryIds.map { .array($0.map { .number(Double($0)) }) } ?? .null,
                 "levels": .number(Double(levels))])
    }

    /// The shop's cutover state; 404 when the company has no such shop.
    static func lockShop(_ shop: Int64, company: Int64, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query("""
            SELECT cutover_state FROM stockyard.shops WHERE company_id = \(company) AND id = \(shop) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger).collect()
        guard let state = try rows.first?.decode(String.self) else { throw AppError.notFound("shop") }
        return state
    }

    @discardableResult
    static func record(_ kind: String, shop: Int64, reason: String?, detail: JSONValue, token: Int64?, company: Int64,
                       on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("""
            INSERT INTO stockyard.cutover_events (company_id, shop_id, kind, reason, detail, token_id)
            VALUES (\(company), \(shop), \(kind), \(reason), \(detail.text)::jsonb, \(token)) RETURNING id
            """, logger: logger).collect()[0].decode(Int64.self)
    }

    /// A storefront job `j` of shop `s`: a push to one of its locations, or the processing of one of its webhooks
    /// (so one shop's failures do not hold up another's checklist).
    static let jobOfShop = """
        (j.kind = 'inventory.push' AND EXISTS (
             SELECT FROM stockyard.storefront_locations l
             WHERE l.company_id = j.company_id AND l.id = (j.payload->>'storefront_location_id')::bigint AND l.shop_id = s.id)
         OR j.kind = 'webhook.process' AND EXISTS (
             SELECT FROM stockyard.webhook_events w
             WHERE w.company_id = j.company_id AND w.id = (j.payload->>'event_id')::bigint AND w.shop_id = s.id))
        """

    /// The shop's stages in id order after `after`, at most `limit`.
    static func stages(shop: Int64, company: Int64, after: Int64, limit: Int, on connection: PostgresConnection,
                       logger: Logger) async throws -> [OpeningStockStage] {
        let rows = try await connection.query("""
            SELECT e.id, e.created_at, e.detail->'skus', e.detail->'category_ids', (e.detail->>'levels')::int,
                   (SELECT count(*)::int FROM reporting.inventory_availability a
                    JOIN stockyard.products p ON p.company_id = a.company_id AND p.id = a.product_id
                    WHERE a.company_id = e.company_id AND a.shop_id = e.shop_id AND a.last_published_at >= e.created_at
                      AND (jsonb_typeof(e.detail->'skus') IS DISTINCT FROM 'array' AND jsonb_typeof(e.detail->'category_ids') IS DISTINCT FROM 'array'
                           OR a.sku IN (SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.detail->'skus') = 'array' THEN e.detail->'skus' END))
                           OR p.categ_id IN (SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.detail->'category_ids') = 'array'
                                                                                   THEN e.detail->'category_ids' END)::bigint))),
                   (SELECT count(*)::int FROM stockyard.sync_jobs j, stockyard.shops s
                    WHERE j.company_id = e.company_id AND j.kind = 'inventory.push' AND j.state = 'dead' AND j.created_at >= e.created_at
                      AND (j.payload->>'opening_stock')::boolean AND s.company_id = e.company_id AND s.id = e.shop_id
                      AND \(unescaped: Self.jobOfShop)
                      AND NOT EXISTS (SELECT FROM stockyard.cutover_events n   -- a later stage's jobs are its own
                                      WHERE n.company_id = e.company_id AND n.shop_id = e.shop_id AND n.kind = 'opening_stock'
                                        AND n.id > e.id AND n.created_at <= j.created_at))
            FROM stockyard.cutover_events e
            WHERE e.company_id = \(company) AND e.shop_id = \(shop) AND e.kind = 'opening_stock' AND e.id > \(after)
            ORDER BY e.id LIMIT \(limit)
            """, logger: logger)
        var stages: [OpeningStockStage] = []
        for try await (id, created, skus, categories, levels, published, failed)
            in rows.decode((Int64, Date, String?, String?, Int, Int, Int).self) {
            let selection = LevelSelection(skus: try skus.flatMap { try JSONCoding.decoder.decode([String]?.self, from: Data($0.utf8)) },
                                           categoryIds: try categories.flatMap { try JSONCoding.decoder.decode([Int64]?.self, from: Data($0.utf8)) })
            stages.append(OpeningStockStage(id: id, createdAt: created, selection: selection, levels: levels, published: published, failed: failed))
        }
        return stages
    }

    /// The checklist's facts in one query.
    static func facts(shop: Int64, topSKUs: [String]?, company: Int64, on connection: PostgresConnection,
                      logger: Logger) async throws -> CutoverChecklist.Facts {
        let row = try await connection.query("""
            WITH locations AS (
                SELECT * FROM stockyard.storefront_locations WHERE company_id = \(company) AND shop_id = \(shop) AND active
            ), top AS (
                SELECT v.* FROM stockyard.storefront_variants v
                WHERE v.company_id = \(company) AND v.shop_id = \(shop) AND v.active AND v.status = 'active'
                  AND (\(topSKUs)::text[] IS NULL OR v.sku = ANY(\(topSKUs)::text[]))
            ), linked AS (
                SELECT * FROM stockyard.storefront_variants WHERE company_id = \(company) AND shop_id = \(shop) AND product_id IS NOT NULL
            )
            SELECT (SELECT count(*)::int FROM locations),
                   (SELECT count(*)::int FROM locations WHERE kind IS NULL),
                   (SELECT count(*)::int FROM locations WHERE sync = 'pending'),
                   (SELECT count(*)::int FROM locations WHERE sync = 'enabled'),
                   (SELECT count(*)::int FROM locations
                    WHERE btrim(notes) = '' AND (sync = 'excluded' OR sync = 'enabled' AND buffer > 0)),
                   coalesce(cardinality(\(topSKUs)::text[]), (SELECT count(*)::int FROM top)),
                   coalesce(cardinality(\(topSKUs)::text[]), (SELECT count(*)::int FROM top))
                       - (SELECT count(DISTINCT sku)::int FROM top WHERE product_id IS NOT NULL AND (\(topSKUs)::text[] IS NOT NULL))
                       - (SELECT count(*)::int FROM top WHERE product_id IS NOT NULL AND \(topSKUs)::text[] IS NULL),
                   (SELECT count(*)::int FROM linked),
                   (SELECT count(*)::int FROM linked WHERE confirmed_at IS NULL),
                   s.inventory_direction_chosen_at IS NOT NULL,
                   (SELECT count(*)::int FROM stockyard.cutover_events e WHERE e.company_id = s.company_id AND e.shop_id = s.id AND e.kind = 'preview'),
                   (SELECT count(*)::int FROM locations l WHERE l.sync = 'enabled' AND NOT EXISTS (
                        SELECT FROM stockyard.webhook_events w
                        WHERE w.company_id = l.company_id AND w.shop_id = l.shop_id AND w.topic = 'inventory_levels/update'
                          AND w.payload->>'location_id' = l.external_id::text)),
                   (SELECT count(*)::int FROM stockyard.sync_jobs j
                    WHERE j.company_id = s.company_id AND j.state = 'dead' AND \(unescaped: Self.jobOfShop)),
                   s.monitoring_owner
            FROM stockyard.shops s WHERE s.company_id = \(company) AND s.id = \(shop)
            """, logger: logger).collect()[0]
        let c = row.makeRandomAccess()
        var facts = CutoverChecklist.Facts()
        facts.activeLocations = try c[0].decode(Int.self)
        facts.unclassifiedLocations = try c[1].decode(Int.self)
        facts.pendingLocations = try c[2].decode(Int.self)
        facts.enabledLocations = try c[3].decode(Int.self)
        facts.undocumentedLocations = try c[4].decode(Int.self)
        facts.topSKUs = try c[5].decode(Int.self)
        facts.unlinkedTopSKUs = try c[6].decode(Int.self)
        facts.linkedVariants = try c[7].decode(Int.self)
        facts.unconfirmedLinks = try c[8].decode(Int.self)
        facts.directionChosen = try c[9].decode(Bool.self)
        facts.previews = try c[10].decode(Int.self)
        facts.locationsWithoutStockEvent = try c[11].decode(Int.self)
        facts.deadJobs = try c[12].decode(Int.self)
        facts.monitoringOwner = try c[13].decode(String?.self)
        return facts
    }
}
