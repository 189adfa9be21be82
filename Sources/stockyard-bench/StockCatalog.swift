import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// One company's catalogue for `stockyard-bench stock`: a one-step warehouse, `locations` bins under WH/Stock,
/// `products` storable products, and a large quant of each product in each bin (so a run never runs out).
/// Seeded in bulk as the owner role, then vacuumed and analyzed; the quants are written directly, not through inventory moves, because the
/// bench measures transfers, not the history of its own fixture.
struct StockCatalog: Sendable {
    let companyID: Int64
    let token: String
    let deliveryTypeID: Int64
    let productIDs: [Int64]

    static func seed(products: Int, locations: Int, owner: Database, logger: Logger) async throws -> StockCatalog {
        let company = try await CompanyRepository(database: owner).create(name: "Bench \(products) products", logger: logger)
        let token = try await TokenRepository(database: owner).issue(
            company: company.id, shop: nil, name: "bench", scopes: [.stockRead, .stockWrite], expiresAt: nil, logger: logger)
        let warehouse = try await WarehouseRepository(database: owner).create(
            name: "Bench", code: "WH", reception: .oneStep, delivery: .shipOnly, company: company.id, logger: logger)
        let productIDs = try await owner.withCompany(company.id, logger: logger) { connection in
            try await connection.query("""
                INSERT INTO stockyard.stock_locations (company_id, name, location_id)
                SELECT \(company.id), 'Bin ' || g, \(warehouse.lotStockId) FROM generate_series(1, \(locations)) g
                """, logger: logger)
            let ids = try await connection.query("""
                INSERT INTO stockyard.products (company_id, name, default_code)
                SELECT \(company.id), 'Product ' || g, 'SKU-' || g FROM generate_series(1, \(products)) g
                RETURNING id
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            try await connection.query("""
                INSERT INTO stockyard.stock_quants (company_id, product_id, location_id, quantity)
                SELECT \(company.id), p.id, l.id, 1000000
                FROM stockyard.products p, stockyard.stock_locations l
                WHERE p.company_id = \(company.id) AND l.company_id = \(company.id) AND l.location_id = \(warehouse.lotStockId)
                """, logger: logger)
            return ids
        }
        // Settle the bulk insert (visibility map, statistics) so the measurement does not pay for it.
        _ = try await owner.withConnection { connection in
            try await connection.query("VACUUM (ANALYZE) stockyard.stock_quants, stockyard.products, stockyard.stock_locations",
                                       logger: logger)
        }
        return StockCatalog(companyID: company.id, token: token.token, deliveryTypeID: warehouse.outTypeId, productIDs: productIDs)
    }
}
