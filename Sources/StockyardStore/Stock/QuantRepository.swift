import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Quants and inventory adjustments. Every change of an on-hand quantity is a done move, so the move history
/// always explains the quants.
public struct QuantRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Sets the counted quantity or applies a delta at an internal (or transit) location, in one transaction
    /// with the quant row locked, so concurrent adjustments of one product and location serialize.
    public func adjust(product: Int64, location: Int64, adjustment: InventoryAdjustment, company: Int64,
                       logger: Logger) async throws -> AdjustmentResult {
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                let usage = try await connection.query(
                    "SELECT usage FROM stockyard.stock_locations WHERE company_id = \(company) AND id = \(location)", logger: logger
                ).collect().first?.decode(String.self)
                guard let usage else { throw AppError.invalid(field: "location_id", detail: "location \(location) does not exist") }
                guard usage == LocationUsage.internal.rawValue || usage == LocationUsage.transit.rawValue else {
                    throw AppError.invalid(field: "location_id", detail: "inventory is counted at internal locations, not at a \(usage) location")
                }
                try await connection.query("""
                    INSERT INTO stockyard.stock_quants (company_id, product_id, location_id) VALUES (\(company), \(product), \(location))
                    ON CONFLICT (company_id, product_id, location_id) DO NOTHING
                    """, logger: logger)
                let current = try await connection.query("""
                    SELECT quantity FROM stockyard.stock_quants
                    WHERE company_id = \(company) AND product_id = \(product) AND location_id = \(location) FOR UPDATE
                    """, logger: logger).collect()[0].decode(Decimal.self)
                let change = try adjustment.change(from: current)
                let move = change == 0 ? nil : try await recordMove(change: change, product: product, location: location,
                                                                    company: company, on: connection, logger: logger)
                let rows = try await connection.query("""
                    UPDATE stockyard.stock_quants
                    SET quantity = quantity + \(change), in_date = CASE WHEN \(change) > 0 THEN now() ELSE in_date END
                    WHERE company_id = \(company) AND product_id = \(product) AND location_id = \(location)
                    RETURNING \(unescaped: Self.quantColumns)
                    """, logger: logger)
                return AdjustmentResult(quant: try await Self.decodeQuants(rows)[0], move: move)
            }
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) does not exist")
        } catch let error as PSQLError where error.sqlState == "SY003" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) is not storable (type 'product') and has no stock")
        }
    }

    /// The done move (and its line) from or to the company's inventory location.
    private func recordMove(change: Decimal, product: Int64, location: Int64, company: Int64,
                            on connection: PostgresConnection, logger: Logger) async throws -> StockMove {
        let quantity = abs(change)
        let rows = try await connection.query("""
            WITH virtual AS (
                SELECT inventory_location_id AS id FROM stockyard.stock_company_locations WHERE company_id = \(company)
            ), move AS (
                INSERT INTO stockyard.stock_moves (company_id, reference, product_id, product_uom_qty, quantity, location_id,
                                                   location_dest_id, state, is_inventory)
                SELECT \(company), 'Product Quantity Updated', \(product), \(quantity), \(quantity),
                       CASE WHEN \(change) > 0 THEN virtual.id ELSE \(location) END,
                       CASE WHEN \(change) > 0 THEN \(location) ELSE virtual.id END, 'done', true
                FROM virtual
                RETURNING *
            ), line AS (
                INSERT INTO stockyard.stock_move_lines (company_id, move_id, product_id, location_id, location_dest_id,
                                                        quantity, picked, state)
                SELECT company_id, id, product_id, location_id, location_dest_id, quantity, true, 'done' FROM move
            )
            SELECT \(unescaped: MoveRepository.columns) FROM move m
            """, logger: logger)
        return try await MoveRepository.decode(rows)[0]
    }

    public func list(company: Int64, filter: QuantFilter, page: PageRequest, logger: Logger) async throws -> Page<Quant> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.quantColumns) FROM stockyard.stock_quants q
                WHERE q.company_id = \(company) AND q.id > \(page.afterID)
                  AND (\(filter.productId)::bigint IS NULL OR q.product_id = \(filter.productId))
                  AND (\(filter.childOf)::bigint IS NULL OR q.location_id IN (
                        SELECT l.id FROM stockyard.stock_locations l
                        WHERE l.company_id = \(company) AND l.parent_path LIKE (
                            SELECT p.parent_path || '%' FROM stockyard.stock_locations p
                            WHERE p.company_id = \(company) AND p.id = \(filter.childOf))))
                ORDER BY q.id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decodeQuants(rows), id: \.id)
        }
    }

    static let quantColumns = "id, product_id, location_id, quantity, reserved_quantity, in_date"

    static func decodeQuants(_ rows: PostgresRowSequence) async throws -> [Quant] {
        var quants: [Quant] = []
        for try await (id, product, location, quantity, reserved, inDate) in rows.decode((Int64, Int64, Int64, Decimal, Decimal, Date).self) {
            quants.append(Quant(id: id, productId: product, locationId: location, quantity: quantity, reservedQuantity: reserved, inDate: inDate))
        }
        return quants
    }
}
