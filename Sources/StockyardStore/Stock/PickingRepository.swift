import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Transfers: create (draft, named from the operation type's sequence), read, list, confirm. Every operation
/// recomputes the transfer's state from its moves in the same transaction.
public struct PickingRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func create(_ draft: PickingDraft, company: Int64, logger: Logger) async throws -> Picking {
        guard !draft.moves.isEmpty else { throw AppError.invalid(field: "move_ids", detail: "a transfer needs at least one move") }
        for (index, move) in draft.moves.enumerated() {
            let field = "move_ids[\(index)].product_uom_qty"
            guard move.productUomQty > 0 else { throw AppError.invalid(field: field, detail: "'\(field)' must be positive") }
            try InventoryAdjustment.checkPrecision(move.productUomQty, field: field)
            guard ["make_to_stock", "make_to_order"].contains(move.procureMethod) else {
                throw AppError.invalid(field: "move_ids[\(index)].procure_method", detail: "'procure_method' must be make_to_stock or make_to_order")
            }
        }
        let origin = try draft.origin.map { try TextInput.validate($0, field: "origin", maxLength: 500) }
        let partnerRef = try draft.partnerRef.map { try TextInput.validate($0, field: "partner_ref", maxLength: 200) }
        return try await database.withCompany(company, logger: logger) { connection in
            let typeRows = try await connection.query("""
                SELECT default_location_src_id, default_location_dest_id
                FROM stockyard.stock_picking_types WHERE company_id = \(company) AND id = \(draft.pickingTypeId)
                """, logger: logger).collect()
            guard let typeRow = typeRows.first else {
                throw AppError.invalid(field: "picking_type_id", detail: "operation type \(draft.pickingTypeId) does not exist")
            }
            let (defaultSource, defaultDestination) = try typeRow.decode((Int64?, Int64?).self)
            guard let source = draft.locationId ?? defaultSource else {
                throw AppError.invalid(field: "location_id", detail: "'location_id' is required: the operation type has no default source")
            }
            guard let destination = draft.locationDestId ?? defaultDestination else {
                throw AppError.invalid(field: "location_dest_id", detail: "'location_dest_id' is required: the operation type has no default destination")
            }
            guard source != destination else {
                throw AppError.invalid(field: "location_dest_id", detail: "the source and destination must differ")
            }
            try await checkLocations(source: source, destination: destination, company: company, on: connection, logger: logger)
            try await checkProducts(draft.moves.map(\.productId), company: company, on: connection, logger: logger)
            try await checkOriginMoves(draft.moves, company: company, on: connection, logger: logger)
            // Chain links to existing moves: (1-based position of the new move, origin move id).
            let links = draft.moves.enumerated().flatMap { index, move in move.moveOrigIds.map { (index + 1, $0) } }
            // Everything is checked before the name is taken, so a refused request leaves no gap in the numbering.
            // The transfer and all its moves in one statement, the moves in the order given.
            let pickingID = try await connection.query("""
                WITH picking AS (
                    INSERT INTO stockyard.stock_pickings (company_id, name, picking_type_id, location_id, location_dest_id, origin,
                                                          partner_ref, move_type, scheduled_date)
                    VALUES (\(company), stockyard.next_picking_name(\(draft.pickingTypeId)), \(draft.pickingTypeId), \(source),
                            \(destination), \(origin), \(partnerRef), \(draft.moveType.rawValue), coalesce(\(draft.scheduledDate), now()))
                    RETURNING id, name, scheduled_date
                ), moves AS (
                    INSERT INTO stockyard.stock_moves (company_id, reference, origin, product_id, product_uom_qty, location_id,
                                                       location_dest_id, picking_id, picking_type_id, procure_method, sequence, date)
                    SELECT \(company), picking.name, \(origin), m.product_id, m.quantity, \(source), \(destination), picking.id,
                           \(draft.pickingTypeId), m.procure_method, 10 * m.ordinal::int, picking.scheduled_date
                    FROM picking, unnest(\(draft.moves.map(\.productId))::bigint[],
                                         \(draft.moves.map { $0.productUomQty.description })::text[]::numeric[],
                                         \(draft.moves.map(\.procureMethod))::text[])
                                  WITH ORDINALITY AS m(product_id, quantity, procure_method, ordinal)
                    ORDER BY m.ordinal
                    RETURNING id, sequence
                ), links AS (
                    INSERT INTO stockyard.stock_move_move_rel (company_id, move_orig_id, move_dest_id)
                    SELECT \(company), o.orig, moves.id
                    FROM moves JOIN unnest(\(links.map { $0.0 })::int[], \(links.map { $0.1 })::bigint[]) AS o(ordinal, orig)
                      ON moves.sequence = 10 * o.ordinal
                )
                SELECT id FROM picking
                """, logger: logger).collect()[0].decode(Int64.self)
            return try await load(pickingID, company: company, on: connection, logger: logger)!
        }
    }

    /// Origin moves must be the company's, and open.
    private func checkOriginMoves(_ moves: [MoveDraft], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let wanted = Set(moves.flatMap(\.moveOrigIds))
        guard !wanted.isEmpty else { return }
        let open = Set(try await connection.query("""
            SELECT id FROM stockyard.stock_moves
            WHERE company_id = \(company) AND id = ANY(\(Array(wanted))) AND state NOT IN ('done', 'cancel')
            """, logger: logger).collect().map { try $0.decode(Int64.self) })
        for (index, move) in moves.enumerated() {
            if let missing = move.moveOrigIds.first(where: { !open.contains($0) }) {
                throw AppError.invalid(field: "move_ids[\(index)].move_orig_ids",
                                       detail: "move \(missing) does not exist or is done or cancelled")
            }
        }
    }

    /// Both locations must be the company's.
    private func checkLocations(source: Int64, destination: Int64, company: Int64, on connection: PostgresConnection,
                                logger: Logger) async throws {
        let found = try await connection.query("""
            SELECT id FROM stockyard.stock_locations WHERE company_id = \(company) AND id IN (\(source), \(destination))
            """, logger: logger).collect().map { try $0.decode(Int64.self) }
        guard found.contains(source) else { throw AppError.invalid(field: "location_id", detail: "location \(source) does not exist") }
        guard found.contains(destination) else {
            throw AppError.invalid(field: "location_dest_id", detail: "location \(destination) does not exist")
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { try await load(id, company: company, on: $0, logger: logger) }
    }

    public func list(company: Int64, filter: PickingFilter, page: PageRequest, logger: Logger) async throws -> Page<Picking> {
        try await database.withCompany(company, logger: logger) { connection in
            let ids = try await connection.query("""
                SELECT id FROM stockyard.stock_pickings
                WHERE company_id = \(company) AND id > \(page.afterID)
                  AND (\(filter.state?.rawValue)::text IS NULL OR state = \(filter.state?.rawValue))
                  AND (\(filter.pickingTypeId)::bigint IS NULL OR picking_type_id = \(filter.pickingTypeId))
                  AND (\(filter.origin)::text IS NULL OR origin = \(filter.origin))
                  AND (\(filter.canSyncToCheckout)::bool IS NULL
                       OR \(unescaped: Self.canSyncToCheckout("stock_pickings")) = \(filter.canSyncToCheckout))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            let pickings = try await load(ids, company: company, on: connection, logger: logger)
            return page.page(from: pickings, id: \.id)
        }
    }

    /// draft → confirmed, or waiting for moves that are make-to-order or chained to origins; moves confirmed into
    /// a reception route's Input or Quality Control get their next step (push rules). Confirming a confirmed
    /// transfer changes nothing; a done or cancelled one is a conflict.
    public func confirm(id: Int64, company: Int64, logger: Logger) async throws -> Picking? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await lockedState(id, company: company, on: connection, logger: logger) else { return nil }
            guard state != .done && state != .cancel else {
                throw AppError.conflict("transfer \(id) is \(state.rawValue) and cannot be confirmed")
            }
            try await confirmLocked(id, company: company, on: connection, logger: logger)
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }

    /// Confirms the draft moves of a transfer whose row the caller has locked.
    func confirmLocked(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let confirmed = try await connection.query(
            "SELECT id FROM stockyard.stock_moves WHERE company_id = \(company) AND picking_id = \(id) AND state = 'draft'", logger: logger
        ).collect().map { try $0.decode(Int64.self) }
        try await resetToUnreserved(picking: id, from: [.draft], company: company, on: connection, logger: logger)
        try await applyPushRules(to: confirmed, company: company, on: connection, logger: logger)
        try await recomputeState(id, company: company, on: connection, logger: logger)
    }

    /// The transfer's state, with its row locked for the rest of the transaction; nil when it does not exist.
    func lockedState(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> PickingState? {
        let rows = try await connection.query(
            "SELECT state FROM stockyard.stock_pickings WHERE company_id = \(company) AND id = \(id) FOR UPDATE", logger: logger
        ).collect()
        return try rows.first.map { PickingState(rawValue: try $0.decode(String.self)) ?? .draft }
    }

    /// Stores the state Odoo would compute from the transfer's moves now.
    func recomputeState(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("""
            SELECT m.state, m.product_uom_qty, p.move_type FROM stockyard.stock_moves m
            JOIN stockyard.stock_pickings p ON p.company_id = m.company_id AND p.id = m.picking_id
            WHERE m.company_id = \(company) AND m.picking_id = \(id)
            """, logger: logger).collect()
        var moves: [PickingState.Move] = []
        var moveType = PickingState.MoveType.direct
        for row in rows {
            let (state, demand, type) = try row.decode((String, Decimal, String).self)
            moves.append(PickingState.Move(state: MoveState(rawValue: state) ?? .draft, demand: demand))
            moveType = PickingState.MoveType(rawValue: type) ?? .direct
        }
        let state = PickingState.compute(moves, moveType: moveType)
        try await connection.query("""
            UPDATE stockyard.stock_pickings SET state = \(state.rawValue), write_date = now(),
                date_done = CASE WHEN \(state.rawValue) = 'done' THEN coalesce(date_done, now()) ELSE date_done END
            WHERE company_id = \(company) AND id = \(id)
            """, logger: logger)
    }

    /// Products in a transfer must exist and be goods (storable or consumable), not services.
    private func checkProducts(_ ids: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT id, type FROM stockyard.products WHERE company_id = \(company) AND id = ANY(\(ids))", logger: logger).collect()
        var types: [Int64: String] = [:]
        for row in rows { let (id, type) = try row.decode((Int64, String).self); types[id] = type }
        for (index, id) in ids.enumerated() {
            let field = "move_ids[\(index)].product_id"
            guard let type = types[id] else { throw AppError.invalid(field: field, detail: "product \(id) does not exist") }
            guard type != ProductType.service.rawValue else { throw AppError.invalid(field: field, detail: "product \(id) is a service and is not moved") }
        }
    }

    func load(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Picking? {
        try await load([id], company: company, on: connection, logger: logger).first
    }

    /// Whether the transfer, a row of `table`, can sync to checkout (OCA's can_sync_to_checkout).
    static func canSyncToCheckout(_ table: String) -> String {
        """
        EXISTS (SELECT FROM stockyard.stock_moves cm
                JOIN stockyard.stock_move_move_rel cr ON cr.company_id = cm.company_id AND cr.move_orig_id = cm.id
                JOIN stockyard.stock_moves cd ON cd.company_id = cr.company_id AND cd.id = cr.move_dest_id
                JOIN stockyard.stock_picking_types ct ON ct.company_id = cd.company_id AND ct.id = cd.picking_type_id
                WHERE cm.company_id = \(table).company_id AND cm.picking_id = \(table).id AND ct.checkout_sync)
        """
    }

    /// The transfers with their moves: two queries whatever the number of transfers.
    func load(_ ids: [Int64], company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Picking] {
        guard !ids.isEmpty else { return [] }
        let moveRows = try await connection.query("""
            SELECT \(unescaped: MoveRepository.columns) FROM stockyard.stock_moves m
            WHERE m.company_id = \(company) AND m.picking_id = ANY(\(ids)) ORDER BY m.picking_id, m.sequence, m.id
            """, logger: logger)
        let movesByPicking = Dictionary(grouping: try await MoveRepository.decode(moveRows), by: { $0.pickingId ?? 0 })
        let rows = try await connection.query("""
            SELECT id, name, picking_type_id, location_id, location_dest_id, origin, partner_ref, group_id, move_type, scheduled_date,
                   date_done, backorder_id, state, create_date, \(unescaped: Self.canSyncToCheckout("stock_pickings"))
            FROM stockyard.stock_pickings WHERE company_id = \(company) AND id = ANY(\(ids)) ORDER BY id
            """, logger: logger)
        var pickings: [Picking] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            let id = try c[0].decode(Int64.self)
            pickings.append(Picking(
                id: id, name: try c[1].decode(String.self), pickingTypeId: try c[2].decode(Int64.self),
                locationId: try c[3].decode(Int64.self), locationDestId: try c[4].decode(Int64.self),
                origin: try c[5].decode(String?.self), partnerRef: try c[6].decode(String?.self), groupId: try c[7].decode(Int64?.self),
                moveType: PickingState.MoveType(rawValue: try c[8].decode(String.self)) ?? .direct,
                scheduledDate: try c[9].decode(Date.self), dateDone: try c[10].decode(Date?.self),
                backorderId: try c[11].decode(Int64?.self), state: PickingState(rawValue: try c[12].decode(String.self)) ?? .draft,
                createDate: try c[13].decode(Date.self), canSyncToCheckout: try c[14].decode(Bool.self),
                moveIds: movesByPicking[id] ?? []))
        }
        return pickings
    }
}
