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
                // The location's usage and the quant, locked, in one round trip.
                let found = try await connection.firstRow(LocationAndQuant(values: [company, product, location]), logger: logger)?
                    .decode((String, Decimal?).self)
                guard let (usage, locked) = found else {
                    throw AppError.invalid(field: "location_id", detail: "location \(location) does not exist")
                }
                guard usage == LocationUsage.internal.rawValue || usage == LocationUsage.transit.rawValue else {
                    throw AppError.invalid(field: "location_id", detail: "inventory is counted at internal locations, not at a \(usage) location")
                }
                // The first count of a product at a location creates its quant (empty) and locks that.
                var current = locked
                if current == nil {
                    try await connection.run(EnsureQuant(values: [company, product, location]), logger: logger)
                    current = try await connection.firstRow(LockQuant(values: [company, product, location]), logger: logger)?
                        .decode(Decimal.self)
                }
                guard let current else { throw AppError.conflict("the quant could not be locked; retry the request") }
                let change = try adjustment.change(from: current)
                guard let row = try await connection.firstRow(ApplyChange(values: [company, product, location, change]), logger: logger) else {
                    throw AppError.conflict("the quant could not be changed; retry the request")
                }
                let cells = row.makeRandomAccess()
                let move = try cells[Self.quantColumnCount].decode(Int64?.self) == nil ? nil
                    : try MoveRepository.move(from: cells, at: Self.quantColumnCount)
                // Every change is a move from or to the inventory location; never a change without its history.
                guard change == 0 || move != nil else { throw MissingInventoryLocation(company: company) }
                return AdjustmentResult(quant: try Self.quant(from: cells), move: move)
            }
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) does not exist")
        } catch let error as PSQLError where error.sqlState == "SY003" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) is not storable (type 'product') and has no stock")
        }
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

    static let quantColumnCount = 6

    static func decodeQuants(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Quant] {
        var quants: [Quant] = []
        for try await row in rows { quants.append(try quant(from: row.makeRandomAccess())) }
        return quants
    }

    /// The quant in `quantColumns`, at the start of a row.
    static func quant(from cells: PostgresRandomAccessRow) throws -> Quant {
        Quant(id: try cells[0].decode(Int64.self), productId: try cells[1].decode(Int64.self), locationId: try cells[2].decode(Int64.self),
              quantity: try cells[3].decode(Decimal.self), reservedQuantity: try cells[4].decode(Decimal.self),
              inDate: try cells[5].decode(Date.self))
    }
}

/// The statements of an adjustment, which every counted or adjusted quant runs (cached plans).
extension QuantRepository {
    /// The usage of location $3, and the quantity of product $2 there, locked (NULL when it has no quant yet); no row
    /// when the location does not exist.
    struct LocationAndQuant: CachedStatement {
        static let sql = """
            SELECT l.usage, (SELECT q.quantity FROM stockyard.stock_quants q
                             WHERE q.company_id = $1 AND q.product_id = $2 AND q.location_id = $3 FOR UPDATE)
            FROM stockyard.stock_locations l WHERE l.company_id = $1 AND l.id = $3
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct EnsureQuant: CachedStatement {
        static let sql = """
            INSERT INTO stockyard.stock_quants (company_id, product_id, location_id) VALUES ($1, $2, $3)
            ON CONFLICT (company_id, product_id, location_id) DO NOTHING
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct LockQuant: CachedStatement {
        static let sql = """
            SELECT quantity FROM stockyard.stock_quants WHERE company_id = $1 AND product_id = $2 AND location_id = $3 FOR UPDATE
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    /// Changes the quant by $4 and, unless $4 is zero, records the done move (and its line) from or to the company's
    /// inventory location, in one statement: the quant's columns, then the move's (NULL without a move).
    struct ApplyChange: CachedStatement {
        static let sql = """
            WITH virtual AS (
                SELECT inventory_location_id AS id FROM stockyard.stock_company_locations WHERE company_id = $1
            ), move AS (
                INSERT INTO stockyard.stock_moves (company_id, reference, product_id, product_uom_qty, quantity, location_id,
                                                   location_dest_id, state, is_inventory)
                SELECT $1, 'Product Quantity Updated', $2, abs($4::numeric), abs($4::numeric),
                       CASE WHEN $4::numeric > 0 THEN virtual.id ELSE $3 END,
                       CASE WHEN $4::numeric > 0 THEN $3 ELSE virtual.id END, 'done', true
                FROM virtual WHERE $4::numeric <> 0
                RETURNING *
            ), line AS (
                INSERT INTO stockyard.stock_move_lines (company_id, move_id, product_id, location_id, location_dest_id,
                                                        quantity, picked, state)
                SELECT company_id, id, product_id, location_id, location_dest_id, quantity, true, 'done' FROM move
            ), quant AS (
                UPDATE stockyard.stock_quants
                SET quantity = quantity + $4::numeric, in_date = CASE WHEN $4::numeric > 0 THEN now() ELSE in_date END
                WHERE company_id = $1 AND product_id = $2 AND location_id = $3
                RETURNING \(QuantRepository.quantColumns)
            )
            SELECT q.*, \(MoveRepository.columns) FROM quant q LEFT JOIN move m ON true
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}

/// A company without its inventory location (created with the company): an adjustment cannot record its move, so it
/// is refused and nothing changes.
struct MissingInventoryLocation: Error, CustomStringConvertible {
    let company: Int64
    var description: String { "company \(company) has no inventory location; the adjustment was rolled back" }
}
