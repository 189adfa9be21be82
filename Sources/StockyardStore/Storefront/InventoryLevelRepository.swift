import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Availability and the published/seen levels per (storefront location, variant). Reads go through the
/// `reporting.inventory_availability` view, so psql users and the API see the same figures.
public struct InventoryLevelRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// The shop's levels, optionally for one SKU.
    public func availability(shop: Int64, sku: String?, page: PairPageRequest, company: Int64, logger: Logger) async throws -> Page<InventoryLevel> {
        try await database.withCompany(company, logger: logger) { connection in
            let levels = try await Self.decode(connection.query("""
                SELECT \(unescaped: Self.columns) FROM reporting.inventory_availability a
                WHERE a.company_id = \(company) AND a.shop_id = \(shop) AND (\(sku)::text IS NULL OR a.sku = \(sku))
                  AND (a.storefront_location_id, a.variant_id) > (\(page.afterFirst), \(page.afterSecond))
                ORDER BY a.storefront_location_id, a.variant_id LIMIT \(page.limit + 1)
                """, logger: logger)).map(\.level)
            return page.page(from: levels, key: { ($0.storefrontLocationId, $0.variantId) })
        }
    }

    /// The push's view of one (storefront location, product); nil when the location is not enabled or the product
    /// has no variant in its shop.
    public static func pushTarget(storefrontLocation: Int64, product: Int64, company: Int64, on connection: PostgresConnection,
                                  logger: Logger) async throws -> PushTarget? {
        try await decode(connection.execute(PairTarget(values: [storefrontLocation, product]), logger: logger)).first
    }

    /// What a push reads before it calls the storefront, in one statement: the pair's level (as `pushTarget`), its
    /// shop's connection (nil while the shop has no base URL or token), and, where the warehouse drives the level, the
    /// value it computes recorded as in flight for `job` (migration 0015), so that the ingest knows the storefront's
    /// echo of it before the push has recorded its result. The statement is its own transaction in `company`
    /// (migration 0018's `begin_inventory_push` sets the tenant first: one round trip, decisions D26), whose commit
    /// does not wait for the disk: a lost in-flight mark only sends an echo the job's way.
    public static func beginPush(storefrontLocation: Int64, product: Int64, job: Int64, company: Int64, database: Database,
                                 logger: Logger) async throws -> (PushTarget, ShopConnection?)? {
        try await database.withSelfScopedStatement(company) { connection in
            guard let row = try await connection.firstRow(BeginPush(values: [company, storefrontLocation, product, job]), logger: logger) else {
                return nil
            }
            let target = try pushTarget(from: row), c = row.makeRandomAccess(), first = BeginPush.connectionColumns
            guard let url = try c[first].decode(String?.self), let version = try c[first + 1].decode(String?.self),
                  let token = try c[first + 2].decode(Data?.self) else { return (target, nil) }
            return (target, ShopConnection(shopID: target.level.shopId, apiBaseUrl: url, apiVersion: version, accessTokenSealed: token))
        }
    }

    /// Every level of the shop at an enabled location, whichever side drives it (for the reconcile).
    public static func syncedTargets(shop: Int64, company: Int64, on connection: PostgresConnection,
                                     logger: Logger) async throws -> [PushTarget] {
        try await decode(connection.query("""
            SELECT \(unescaped: columns) FROM reporting.inventory_availability a
            WHERE a.company_id = \(company) AND a.shop_id = \(shop)
            ORDER BY a.storefront_location_id, a.variant_id
            """, logger: logger))
    }

    /// The level for a storefront's (location, inventory item) pair, for a webhook; nil when either is unknown.
    public static func webhookTarget(shop: Int64, externalLocation: Int64, inventoryItem: Int64, company: Int64,
                                     on connection: PostgresConnection, logger: Logger) async throws -> PushTarget? {
        try await decode(connection.execute(ItemTarget(values: [shop, externalLocation, inventoryItem]), logger: logger)).first
    }

    /// The (storefront location, variant) a webhook's (location, inventory item) names in the shop, when the location
    /// is enabled and the variant linked (as the availability view requires), by index alone: what `lock` needs
    /// before the level is read.
    public static func levelKey(shop: Int64, externalLocation: Int64, inventoryItem: Int64, company: Int64, on connection: PostgresConnection,
                                logger: Logger) async throws -> (storefrontLocation: Int64, variant: Int64, product: Int64)? {
        try await connection.firstRow(LevelKeyOfItem(values: [company, shop, externalLocation, inventoryItem]), logger: logger)?
            .decode((Int64, Int64, Int64).self)
    }

    /// What a webhook's (storefront location, inventory item) names in the shop, found or not, for classifying
    /// the ones that have no level.
    public static func webhookSubject(shop: Int64, externalLocation: Int64, inventoryItem: Int64, company: Int64,
                                      on connection: PostgresConnection, logger: Logger) async throws -> WebhookSubject {
        let rows = try await connection.query("""
            SELECT (SELECT sl.id FROM stockyard.storefront_locations sl
                    WHERE sl.company_id = \(company) AND sl.shop_id = \(shop) AND sl.external_id = \(externalLocation)),
                   (SELECT sl.sync FROM stockyard.storefront_locations sl
                    WHERE sl.company_id = \(company) AND sl.shop_id = \(shop) AND sl.external_id = \(externalLocation)),
                   (SELECT v.id FROM stockyard.storefront_variants v
                    WHERE v.company_id = \(company) AND v.shop_id = \(shop) AND v.inventory_item_id = \(inventoryItem)),
                   (SELECT v.product_id FROM stockyard.storefront_variants v
                    WHERE v.company_id = \(company) AND v.shop_id = \(shop) AND v.inventory_item_id = \(inventoryItem))
            """, logger: logger)
        let (location, sync, variant, product) = try await rows.collect()[0].decode((Int64?, String?, Int64?, Int64?).self)
        return WebhookSubject(storefrontLocation: location, sync: sync.flatMap(StorefrontLocationSync.init(rawValue:)),
                              variant: variant, product: product)
    }

    /// Locks a level's row (creating it if needed) until the transaction ends, so that two writers of what the
    /// storefront holds (a webhook, a push that met a storefront change) take turns; read the level after this. Returns
    /// the row's last published value and last observation (value and time), as locked.
    @discardableResult
    public static func lock(storefrontLocation: Int64, variant: Int64, company: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws -> LockedLevel {
        func locked() async throws -> LockedLevel? {
            try await connection.firstRow(LockLevel(values: [company, storefrontLocation, variant]), logger: logger)
                .map { try $0.decode((Int?, Int?, Date?).self) }.map { LockedLevel(lastPublished: $0.0, lastSeen: $0.1, lastSeenAt: $0.2) }
        }
        if let level = try await locked() { return level }
        try await connection.run(EnsureLevel(values: [company, storefrontLocation, variant]), logger: logger)
        return try await locked() ?? LockedLevel(lastPublished: nil, lastSeen: nil, lastSeenAt: nil)
    }

    /// Whether an `inventory.push` for the pair is running now (its echo may be on its way).
    public static func isPushRunning(dedupeKey: String, company: Int64, on connection: PostgresConnection,
                                     logger: Logger) async throws -> Bool {
        try await connection.firstRow(PushRunning(values: [company, dedupeKey]), logger: logger)?.decode(Bool.self) ?? false
    }

    /// Records the value Stockyard publishes, closes the level's open drift that this puts right (with `resolution`),
    /// and marks `job` done for `worker`, in one statement that is its own transaction in `company` (migration 0018's
    /// `finish_inventory_push`, decisions D26). `sentAt` is when its write left (the storefront holds it from then on,
    /// so a storefront event triggered later is newer and still counts); nil when nothing had to be written, which
    /// leaves the last observation as it was. Its commit does not wait for the disk (D25). Throws `LeaseLost`, with
    /// nothing recorded, when the job is no longer the worker's; returns when the next job of its key is due, if one
    /// waits.
    public static func finishPush(_ quantity: Int, sentAt: Date?, resolution: String, storefrontLocation: Int64, variant: Int64,
                                  job: Int64, worker: String, company: Int64, database: Database, logger: Logger) async throws -> Date? {
        let settles = DriftRepository.classesSettledByPublishing.map(\.rawValue)
        do {
            return try await database.withSelfScopedStatement(company) { connection in
                try await connection.firstRow(FinishPush(values: [company, storefrontLocation, variant, quantity, sentAt, settles,
                                                                  resolution, job, worker]), logger: logger)?.decode(Date?.self) ?? nil
            }
        } catch let error as PSQLError where error.sqlState == "SY010" {
            throw LeaseLost(jobID: job)
        }
    }

    /// Records what the storefront holds, as of `at`; an observation older than the one recorded is ignored.
    public static func recordSeen(_ quantity: Int, at: Date, source: LevelSource, storefrontLocation: Int64, variant: Int64,
                                  company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(RecordSeen(values: [company, storefrontLocation, variant, quantity, at, source.rawValue]), logger: logger)
    }

    public static let columns = """
        a.shop_id, a.storefront_location_id, a.storefront_location_name, a.external_location_id, a.variant_id,
        a.inventory_item_id, a.product_id, a.sku, a.on_hand, a.reserved, a.buffer, a.last_published, a.last_published_at,
        a.last_seen, a.last_seen_at, a.direction, a.publishing, a.mapped_location_id, a.mapped_location_usage
        """

    public static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [PushTarget] {
        var targets: [PushTarget] = []
        for try await row in rows { targets.append(try pushTarget(from: row)) }
        return targets
    }

    /// A row that starts with `columns`.
    static func pushTarget(from row: PostgresRow) throws -> PushTarget {
        let c = row.makeRandomAccess()
        let onHand = try c[8].decode(Decimal.self), reserved = try c[9].decode(Decimal.self), buffer = try c[10].decode(Int.self)
        let level = InventoryLevel(
            shopId: try c[0].decode(Int64.self), storefrontLocationId: try c[1].decode(Int64.self),
            storefrontLocationName: try c[2].decode(String.self), externalLocationId: try c[3].decode(Int64.self),
            variantId: try c[4].decode(Int64.self), inventoryItemId: try c[5].decode(Int64.self),
            productId: try c[6].decode(Int64.self), sku: try c[7].decode(String?.self), onHand: onHand, reserved: reserved,
            buffer: buffer,
            computed: Availability.publishable([Availability.Stock(quantity: onHand, reserved: reserved)], buffer: buffer),
            lastPublished: try c[11].decode(Int?.self), lastPublishedAt: try c[12].decode(Date?.self),
            lastSeen: try c[13].decode(Int?.self), lastSeenAt: try c[14].decode(Date?.self))
        return PushTarget(level: level, direction: InventoryDirection(rawValue: try c[15].decode(String.self)) ?? .warehouseToShop,
                          isPublishing: try c[16].decode(Bool.self), mappedLocationId: try c[17].decode(Int64.self),
                          mappedLocationUsage: try c[18].decode(String.self))
    }
}

/// The statements a push or a webhook runs for every change (cached plans).
extension InventoryLevelRepository {
    struct PairTarget: CachedStatement {
        static let sql = "SELECT \(InventoryLevelRepository.columns) FROM stockyard.availability_of_pair($1, $2) a"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    /// Columns 0–18 the level, then the shop's connection.
    struct BeginPush: CachedStatement {
        static let sql = "SELECT * FROM stockyard.begin_inventory_push($1, $2, $3, $4)"
        static let connectionColumns = 19
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct ItemTarget: CachedStatement {
        static let sql = "SELECT \(InventoryLevelRepository.columns) FROM stockyard.availability_of_item($1, $2, $3) a"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct LevelKeyOfItem: CachedStatement {
        static let sql = """
            SELECT sl.id, v.id, v.product_id FROM stockyard.storefront_locations sl
            JOIN stockyard.storefront_variants v ON v.company_id = sl.company_id AND v.shop_id = sl.shop_id AND v.inventory_item_id = $4
            WHERE sl.company_id = $1 AND sl.shop_id = $2 AND sl.external_id = $3 AND sl.sync = 'enabled' AND v.product_id IS NOT NULL
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct EnsureLevel: CachedStatement {
        static let sql = """
            INSERT INTO stockyard.inventory_levels (company_id, storefront_location_id, variant_id) VALUES ($1, $2, $3)
            ON CONFLICT DO NOTHING
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct LockLevel: CachedStatement {
        static let sql = """
            SELECT last_published, last_seen, last_seen_at FROM stockyard.inventory_levels
            WHERE company_id = $1 AND storefront_location_id = $2 AND variant_id = $3
            FOR UPDATE
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct PushRunning: CachedStatement {
        static let sql = """
            SELECT EXISTS (SELECT FROM stockyard.sync_jobs WHERE company_id = $1 AND state = 'running'
                           AND kind = 'inventory.push' AND dedupe_key = $2)
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct FinishPush: CachedStatement {
        static let sql = "SELECT stockyard.finish_inventory_push($1, $2, $3, $4::int, $5::timestamptz, $6, $7, $8, $9)"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    /// $4 the quantity seen, $5 as of when, $6 from where; an observation older than the one recorded is ignored.
    struct RecordSeen: CachedStatement {
        static let sql = """
            INSERT INTO stockyard.inventory_levels AS l (company_id, storefront_location_id, variant_id, last_seen, last_seen_at,
                                                         last_seen_source)
            VALUES ($1, $2, $3, $4::int, $5::timestamptz, $6)
            ON CONFLICT (company_id, storefront_location_id, variant_id) DO UPDATE
            SET last_seen = EXCLUDED.last_seen, last_seen_at = EXCLUDED.last_seen_at, last_seen_source = EXCLUDED.last_seen_source
            WHERE l.last_seen_at IS NULL OR l.last_seen_at <= EXCLUDED.last_seen_at
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
