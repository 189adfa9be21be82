import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Quants and inventory adjustments. Every change of an on-hand quantity is a done move, so the move history
/// always explains the quants.
public struct QuantRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Sets the counted quantity or applies a delta at an internal (or transit) location, with the quant row locked,
    /// so concurrent adjustments of one product and location serialize. Migration 0019's `apply_inventory_adjustment`
    /// applies `InventoryAdjustment.change` and refuses what it refuses, writing nothing; the reason is Core's. On its
    /// own, one call that has committed durably when it returns, and has then woken the push runners (migration 0027,
    /// decisions D34); inside a caller's `withCompany` of the same company, one statement of that transaction.
    public func adjust(product: Int64, location: Int64, adjustment: InventoryAdjustment, company: Int64,
                       logger: Logger) async throws -> AdjustmentResult {
        let (counted, delta): (Decimal?, Decimal?) = switch adjustment {
        case .counted(let quantity): (quantity, nil)
        case .delta(let quantity): (nil, quantity)
        }
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?] = [company, product, location, counted, delta]
        do {
            // A procedure cannot commit inside a caller's transaction: there, 0019's function is one of its statements.
            let statement: any CachedStatement = database.joinsOpenTransaction ? ApplyAdjustment.InCallersTransaction(values: values)
                : ApplyAdjustment.Committed(values: values)
            let row = try await database.withSelfScopedStatement(company) { connection in
                try await connection.firstRow(statement, logger: logger)
            }
            // No row (or the call's row of NULLs): the location is not the company's.
            guard let cells = row?.makeRandomAccess(), let usage = try cells[0].decode(String?.self) else {
                throw AppError.invalid(field: "location_id", detail: "location \(location) does not exist")
            }
            guard usage == LocationUsage.internal.rawValue || usage == LocationUsage.transit.rawValue else {
                throw AppError.invalid(field: "location_id", detail: "inventory is counted at internal locations, not at a \(usage) location")
            }
            // Refused (nothing written): Core says why, from the quantity the statement found.
            let change = try adjustment.change(from: try cells[1].decode(Decimal.self))
            guard try cells[2].decode(Int64?.self) != nil else {
                throw AppError.conflict("the adjustment of \(change) was not applied; retry the request")
            }
            let move = try cells[Self.adjustmentMoveColumn].decode(Int64?.self) == nil ? nil
                : try MoveRepository.move(from: cells, at: Self.adjustmentMoveColumn)
            return AdjustmentResult(quant: try Self.quant(from: cells, at: 2), move: move)
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) does not exist")
        } catch let error as PSQLError where error.sqlState == "SY003" {
            throw AppError.invalid(field: "product_id", detail: "product \(product) is not storable (type 'product') and has no stock")
        } catch let error as PSQLError where error.sqlState == "SY011" {
            throw MissingInventoryLocation(company: company)
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

    static func decodeQuants(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Quant] {
        var quants: [Quant] = []
        for try await row in rows { quants.append(try quant(from: row.makeRandomAccess())) }
        return quants
    }

    /// The quant in `quantColumns`, from cell `first` of a row.
    static func quant(from cells: PostgresRandomAccessRow, at first: Int = 0) throws -> Quant {
        Quant(id: try cells[first].decode(Int64.self), productId: try cells[first + 1].decode(Int64.self),
              locationId: try cells[first + 2].decode(Int64.self), quantity: try cells[first + 3].decode(Decimal.self),
              reservedQuantity: try cells[first + 4].decode(Decimal.self), inDate: try cells[first + 5].decode(Date.self))
    }
}

extension QuantRepository {
    /// Migration 0019's row: the location's usage, the quantity found, then (when applied) the quant and its move.
    enum ApplyAdjustment {
        /// As a call of its own, which commits and then wakes the push runners (migration 0027).
        struct Committed: CachedStatement {
            static let sql = "CALL stockyard.apply_inventory_adjustment_committed($1, $2, $3, $4::numeric, $5::numeric)"
            let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
        }

        struct InCallersTransaction: CachedStatement {
            static let sql = "SELECT * FROM stockyard.apply_inventory_adjustment($1, $2, $3, $4::numeric, $5::numeric)"
            let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
        }
    }

    /// Where the move's columns start in `ApplyAdjustment`'s row.
    static let adjustmentMoveColumn = 8
}

/// A company without its inventory location (created with the company): an adjustment cannot record its move, so it
/// is refused and nothing changes.
struct MissingInventoryLocation: Error, CustomStringConvertible {
    let company: Int64
    var description: String { "company \(company) has no inventory location; the adjustment was rolled back" }
}
