import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Product links: the shop's variants, matched to products by SKU then barcode (`ProductMatcher`), or by hand.
/// One variant per product and shop. Linking republishes through the table's trigger (migration 0011).
public struct StorefrontVariantRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Upserts the listed variants (variants no longer listed become inactive), creates products for unmatched
    /// active variants with a SKU when `createProducts` (the shop must allow it), then matches every unlinked variant.
    /// One transaction; reads only the products whose SKU or barcode a variant names. Then the tables are analyzed
    /// (`StorefrontStatistics`).
    public func importListed(_ listed: [ListedVariant], createProducts: Bool, shop: Int64, company: Int64,
                             logger: Logger) async throws -> VariantImportSummary {
        let imported = try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            if createProducts {
                let allowed = try await connection.query("""
                    SELECT allow_product_creation FROM stockyard.shops WHERE company_id = \(company) AND id = \(shop)
                    """, logger: logger).collect().first?.decode(Bool.self)
                guard allowed == true else {
                    throw AppError.invalid(field: "create_products", detail: "this shop does not allow creating products from the storefront (allow_product_creation)")
                }
            }
            try await connection.query("""
                WITH listed AS (
                    SELECT * FROM unnest(\(listed.map(\.externalId))::bigint[], \(listed.map(\.inventoryItemId))::bigint[],
                                         \(listed.map { $0.sku ?? "" })::text[], \(listed.map { $0.barcode ?? "" })::text[],
                                         \(listed.map { $0.status.lowercased() })::text[])
                        AS l(external_id, inventory_item_id, sku, barcode, status)
                ), upserted AS (
                    INSERT INTO stockyard.storefront_variants (company_id, shop_id, external_id, inventory_item_id, sku, barcode, status)
                    SELECT \(company), \(shop), external_id, inventory_item_id, nullif(btrim(sku), ''), nullif(btrim(barcode), ''),
                           CASE WHEN status IN ('active', 'draft', 'archived') THEN status ELSE 'active' END
                    FROM listed
                    ON CONFLICT (company_id, shop_id, external_id) DO UPDATE
                    SET inventory_item_id = EXCLUDED.inventory_item_id, sku = EXCLUDED.sku, barcode = EXCLUDED.barcode,
                        status = EXCLUDED.status, active = true, updated_at = now()
                    RETURNING id
                )
                UPDATE stockyard.storefront_variants SET active = false, updated_at = now()
                WHERE company_id = \(company) AND shop_id = \(shop) AND active
                  AND external_id <> ALL (SELECT external_id FROM listed)
                """, logger: logger)
            var summary = VariantImportSummary()
            summary.listed = listed.count
            if createProducts {
                summary.productsCreated = try await createMissingProducts(shop: shop, company: company, on: connection, logger: logger)
            }
            try await match(shop: shop, company: company, into: &summary, on: connection, logger: logger)
            return summary
        }
        await StorefrontStatistics.refresh(database, logger: logger)
        return imported
    }

    /// Products for active unlinked variants whose SKU no product has yet: named and coded by the SKU.
    private func createMissingProducts(shop: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            WITH created AS (
                INSERT INTO stockyard.products (company_id, name, default_code, barcode)
                SELECT DISTINCT ON (v.sku) \(company), v.sku, v.sku,
                       CASE WHEN EXISTS (SELECT FROM stockyard.products b WHERE b.company_id = \(company) AND b.barcode = v.barcode)
                            THEN NULL ELSE v.barcode END
                FROM stockyard.storefront_variants v
                WHERE v.company_id = \(company) AND v.shop_id = \(shop) AND v.active AND v.status = 'active'
                  AND v.product_id IS NULL AND v.sku IS NOT NULL
                  AND NOT EXISTS (SELECT FROM stockyard.products p WHERE p.company_id = \(company) AND p.default_code = v.sku)
                ORDER BY v.sku, v.id
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*)::int FROM created
            """, logger: logger).collect()[0].decode(Int.self)
    }

    /// Runs `ProductMatcher` over the shop's listed variants (and the linked ones no longer listed, whose products
    /// stay claimed) and writes links and issues in one statement.
    private func match(shop: Int64, company: Int64, into summary: inout VariantImportSummary, on connection: PostgresConnection,
                       logger: Logger) async throws {
        var variants: [ProductMatcher.Variant] = []
        var unlisted: Set<Int64> = []
        for try await (id, sku, barcode, status, product, listed) in try await connection.query("""
            SELECT id, sku, barcode, status, product_id, active FROM stockyard.storefront_variants
            WHERE company_id = \(company) AND shop_id = \(shop) AND (active OR product_id IS NOT NULL)
            """, logger: logger).decode((Int64, String?, String?, String, Int64?, Bool).self) {
            variants.append(ProductMatcher.Variant(id: id, sku: sku, barcode: barcode, isActive: status == "active", linkedProduct: product))
            if !listed { unlisted.insert(id) }
        }
        var products: [ProductMatcher.Product] = []
        for try await (id, code, barcode) in try await connection.query("""
            SELECT id, default_code, barcode FROM stockyard.products
            WHERE company_id = \(company) AND active
              AND (default_code = ANY(\(variants.compactMap(\.sku))::text[]) OR barcode = ANY(\(variants.compactMap(\.barcode))::text[]))
            """, logger: logger).decode((Int64, String?, String?).self) {
            products.append(ProductMatcher.Product(id: id, code: code, barcode: barcode))
        }
        var ids: [Int64] = [], links: [Int64] = [], matches: [String] = [], issues: [String] = [], candidates: [Int64] = []
        for (id, outcome) in ProductMatcher.match(variants, products: products) {
            let row: (link: Int64?, match: String?, issue: String?, candidate: Int64?)
            switch outcome {
            case .kept: if !unlisted.contains(id) { summary.kept += 1 }; continue
            case .linkedBySKU(let product): summary.linkedBySku += 1; row = (product, "sku", nil, nil)
            case .linkedByBarcode(let product): summary.linkedByBarcode += 1; row = (product, "barcode", nil, nil)
            case .unmatched: summary.unmatched += 1; row = (nil, nil, "unmatched", nil)
            case .ambiguous(let product): summary.ambiguous += 1; row = (nil, nil, "ambiguous", product)
            case .notActive: summary.notActive += 1; row = (nil, nil, "not_active", nil)
            }
            // Arrays of optionals do not bind: 0 and '' stand for NULL (nullif below).
            ids.append(id); links.append(row.link ?? 0); matches.append(row.match ?? ""); issues.append(row.issue ?? "")
            candidates.append(row.candidate ?? 0)
        }
        try await connection.query("""
            UPDATE stockyard.storefront_variants v
            SET product_id = m.product_id, match = m.match, match_issue = m.issue, candidate_product_id = m.candidate,
                confirmed_at = NULL, updated_at = now()
            FROM (SELECT id, nullif(product_id, 0) AS product_id, nullif(match, '') AS match, nullif(issue, '') AS issue,
                         nullif(candidate, 0) AS candidate
                  FROM unnest(\(ids)::bigint[], \(links)::bigint[], \(matches)::text[], \(issues)::text[], \(candidates)::bigint[])
                       AS u(id, product_id, match, issue, candidate)) m
            WHERE v.company_id = \(company) AND v.id = m.id
              AND (v.product_id, v.match, v.match_issue, v.candidate_product_id)
                  IS DISTINCT FROM (m.product_id, m.match, m.issue, m.candidate)
            """, logger: logger)
    }

    public func list(shop: Int64, filter: VariantFilter, page: PageRequest, company: Int64, logger: Logger) async throws -> Page<StorefrontVariant> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.storefront_variants
                WHERE company_id = \(company) AND shop_id = \(shop) AND id > \(page.afterID)
                  AND (\(filter.matchIssue)::text IS NULL OR match_issue = \(filter.matchIssue))
                  AND (\(filter.linked)::boolean IS NULL OR (product_id IS NOT NULL) = \(filter.linked))
                  AND (\(filter.sku)::text IS NULL OR sku = \(filter.sku))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    /// Links `variant` to `product` by hand (confirmed), or unlinks it with nil. Nil when the variant does not exist.
    public func link(variant: Int64, to product: Int64?, shop: Int64, company: Int64, logger: Logger) async throws -> StorefrontVariant? {
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    UPDATE stockyard.storefront_variants
                    SET product_id = \(product), match = CASE WHEN \(product)::bigint IS NULL THEN NULL ELSE 'manual' END,
                        confirmed_at = CASE WHEN \(product)::bigint IS NULL THEN NULL ELSE now() END,
                        match_issue = CASE WHEN \(product)::bigint IS NULL THEN 'unmatched' END, candidate_product_id = NULL,
                        updated_at = now()
                    WHERE company_id = \(company) AND shop_id = \(shop) AND id = \(variant)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows).first
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("product \(product ?? 0) is already linked to another variant of this shop")
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "product_id", detail: "product \(product ?? 0) does not exist")
        }
    }

    /// Marks the automatic links of `variants` (all of the shop's when nil) as checked by a person.
    public func confirm(variants: [Int64]?, shop: Int64, company: Int64, logger: Logger) async throws -> Int {
        try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            try await connection.query("""
                WITH confirmed AS (
                    UPDATE stockyard.storefront_variants SET confirmed_at = now(), updated_at = now()
                    WHERE company_id = \(company) AND shop_id = \(shop) AND product_id IS NOT NULL AND confirmed_at IS NULL
                      AND (\(variants)::bigint[] IS NULL OR id = ANY(\(variants)::bigint[]))
                    RETURNING 1
                )
                SELECT count(*)::int FROM confirmed
                """, logger: logger).collect()[0].decode(Int.self)
        }
    }

    static let columns = """
        id, shop_id, external_id, inventory_item_id, sku, barcode, status, product_id, match, confirmed_at, match_issue,
        candidate_product_id, active
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [StorefrontVariant] {
        var variants: [StorefrontVariant] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            variants.append(StorefrontVariant(
                id: try c[0].decode(Int64.self), shopId: try c[1].decode(Int64.self), externalId: try c[2].decode(Int64.self),
                inventoryItemId: try c[3].decode(Int64.self), sku: try c[4].decode(String?.self), barcode: try c[5].decode(String?.self),
                status: try c[6].decode(String.self), productId: try c[7].decode(Int64?.self), match: try c[8].decode(String?.self),
                confirmedAt: try c[9].decode(Date?.self), matchIssue: try c[10].decode(String?.self),
                candidateProductId: try c[11].decode(Int64?.self), active: try c[12].decode(Bool.self)))
        }
        return variants
    }
}

public struct VariantFilter: Sendable {
    public var matchIssue: String?
    public var linked: Bool?
    public var sku: String?

    public init(matchIssue: String? = nil, linked: Bool? = nil, sku: String? = nil) {
        self.matchIssue = matchIssue
        self.linked = linked
        self.sku = sku
    }
}
