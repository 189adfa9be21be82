import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Validating a transfer (Odoo's `button_validate` → `_action_done`), in one transaction.
extension PickingRepository {
    /// What validation produced: the done transfer, and the backorder holding the remainder, if one was made.
    public struct ValidationResult: Sendable, Codable, Equatable {
        public let picking: Picking
        public let backorder: Picking?
    }

    /// Validates with the picked quantity of each move (`picked[move_id]`, default: what the move reserved, after
    /// reserving what it can).
    /// The picked part moves quants line by line, at the exact locations reserved. A short pick follows the
    /// operation type's `create_backorder`, or `createBackorder` when the type says `ask`: a backorder takes the
    /// remainder as new moves that keep the `move_dest` links; no backorder cancels the remainder, and the
    /// destination moves that would then get nothing. Destination moves of what was done are reserved.
    public func validate(id: Int64, picked: [Int64: Decimal]?, createBackorder: Bool?, company: Int64,
                         logger: Logger) async throws -> ValidationResult? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(id) is \(state.rawValue) and cannot be validated")
            }
            // Like Odoo's button_validate (whose types reserve at confirmation): a draft is confirmed, and what can be
            // reserved is, so a receipt or a ready transfer validates in one call.
            if state == .draft { try await confirmLocked(id, company: company, on: connection, logger: logger) }
            try await reserveLocked(id, company: company, on: connection, logger: logger)
            let moves = try await connection.query("""
                SELECT m.id, m.product_uom_qty,
                       coalesce((SELECT sum(l.quantity) FROM stockyard.stock_move_lines l
                                 WHERE l.company_id = m.company_id AND l.move_id = m.id AND l.state <> 'done'), 0),
                       t.create_backorder
                FROM stockyard.stock_moves m
                JOIN stockyard.stock_picking_types t ON t.company_id = m.company_id AND t.id = m.picking_type_id
                WHERE m.company_id = \(company) AND m.picking_id = \(id) AND m.state NOT IN ('done', 'cancel')
                ORDER BY m.sequence, m.id
                FOR UPDATE OF m
                """, logger: logger).collect().map { try $0.decode((Int64, Decimal, Decimal, String).self) }
            let plan = try Self.validationPlan(moves: moves, picked: picked, createBackorder: createBackorder)

            var backorderID: Int64?
            if plan.backorder {
                backorderID = try await createBackorderPicking(of: id, company: company, on: connection, logger: logger)
            }
            var doneMoves: [Int64] = []
            for step in plan.steps {
                if step.picked > 0 { doneMoves.append(step.move) }
                try await apply(step, backorder: backorderID, picking: id, company: company, on: connection, logger: logger)
            }
            if !plan.backorder {
                try await cancelStarvedDestinations(of: plan.steps.map(\.move), company: company, on: connection, logger: logger)
            }
            try await recomputeState(id, company: company, on: connection, logger: logger)
            if let backorderID {
                try await recomputeState(backorderID, company: company, on: connection, logger: logger)
            }
            try await reserveDestinations(of: doneMoves, company: company, on: connection, logger: logger)
            guard let picking = try await load(id, company: company, on: connection, logger: logger) else { return nil }
            let backorder = try await backorderID.asyncMap { try await load($0, company: company, on: connection, logger: logger) }
            return ValidationResult(picking: picking, backorder: backorder ?? nil)
        }
    }

    struct ValidationStep {
        let move: Int64
        let demand: Decimal
        let picked: Decimal
    }

    /// Checks the picked quantities and decides on a backorder; pure, so every refusal happens before a write.
    static func validationPlan(moves: [(Int64, Decimal, Decimal, String)], picked: [Int64: Decimal]?,
                               createBackorder: Bool?) throws -> (steps: [ValidationStep], backorder: Bool) {
        let known = Set(moves.map(\.0))
        if let unknown = picked?.keys.first(where: { !known.contains($0) }) {
            throw AppError.invalid(field: "quantities", detail: "move \(unknown) is not an open move of this transfer")
        }
        let steps = try moves.map { move -> ValidationStep in
            let (id, demand, reserved, _) = move
            let quantity = picked?[id] ?? reserved
            guard quantity >= 0, quantity <= reserved else {
                throw AppError.invalid(field: "quantities", detail: "move \(id) can be picked 0 to \(reserved) (what it reserved), not \(quantity)")
            }
            return ValidationStep(move: id, demand: demand, picked: quantity)
        }
        guard steps.contains(where: { $0.picked > 0 }) else {
            throw AppError.conflict("nothing is reserved or picked: reserve the transfer first")
        }
        guard steps.contains(where: { $0.picked < $0.demand }) else { return (steps, false) }
        switch CreateBackorder(rawValue: moves.first?.3 ?? "ask") ?? .ask {
        case .always: return (steps, true)
        case .never: return (steps, false)
        case .ask:
            guard let createBackorder else {
                throw AppError.invalid(field: "create_backorder",
                                       detail: "the pick is short and the operation type asks: send create_backorder true or false")
            }
            return (steps, createBackorder)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
