import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Changes to a transfer's header fields, as Odoo allows them before the transfer is done or cancelled.
extension PickingRepository {
    public struct Changes: Sendable {
        public var scheduledDate: Patch<Date> = .absent
        public var origin: Patch<String> = .absent
        public var partnerRef: Patch<String> = .absent

        public init() {}
    }

    public func update(id: Int64, changes: Changes, company: Int64, logger: Logger) async throws -> Picking? {
        if changes.scheduledDate == .null {
            throw AppError.invalid(field: "scheduled_date", detail: "'scheduled_date' must not be null")
        }
        let origin: String? = if case .value(let origin) = changes.origin { try TextInput.validate(origin, field: "origin", maxLength: 500) } else { nil }
        let partnerRef: String? = if case .value(let ref) = changes.partnerRef {
            try TextInput.validate(ref, field: "partner_ref", maxLength: 200)
        } else { nil }
        return try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(id) is \(state.rawValue) and can no longer be changed")
            }
            try await connection.query("""
                UPDATE stockyard.stock_pickings SET
                    scheduled_date = CASE WHEN \(!changes.scheduledDate.isAbsent)
                                          THEN \(changes.scheduledDate.applied(to: nil))::timestamptz ELSE scheduled_date END,
                    origin = CASE WHEN \(!changes.origin.isAbsent) THEN \(origin) ELSE origin END,
                    partner_ref = CASE WHEN \(!changes.partnerRef.isAbsent) THEN \(partnerRef) ELSE partner_ref END,
                    write_date = now()
                WHERE company_id = \(company) AND id = \(id)
                """, logger: logger)
            // Odoo keeps the moves' date on the transfer's scheduled date while they are open.
            if case .value(let date) = changes.scheduledDate {
                try await connection.query("""
                    UPDATE stockyard.stock_moves SET date = \(date)
                    WHERE company_id = \(company) AND picking_id = \(id) AND state NOT IN ('done', 'cancel')
                    """, logger: logger)
            }
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }
}
