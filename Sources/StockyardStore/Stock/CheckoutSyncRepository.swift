import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Checkout sync (OCA `stock_checkout_sync`, docs/stock-model.md): every open move that feeds the same flagged
/// destination transfer (a packing transfer) gets the same destination, chosen by the operator. The plan is one
/// query; a sync locks the group's moves and lines and writes only moves' and lines' destinations and the
/// destination moves' sources, in one statement, recorded in `checkout_sync_events`.
public struct CheckoutSyncRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// The plan for transfer `picking`, `handled` holding the destination transfers already synced or skipped;
    /// nil when the company has no such transfer.
    public func plan(picking: Int64, handled: Set<Int64>, company: Int64, logger: Logger) async throws -> CheckoutSyncView? {
        try await database.withCompany(company, logger: logger) { connection in
            guard try await pickingExists(picking, company: company, on: connection, logger: logger) else { return nil }
            return try await view(picking: picking, handled: handled, company: company, on: connection, logger: logger)
        }
    }

    /// Syncs the group of `destPicking` to `location`, then returns the next plan (`handled` plus this group).
    public func sync(picking: Int64, destPicking: Int64, location: Int64, handled: Set<Int64>, tokenID: Int64?,
                     company: Int64, logger: Logger) async throws -> CheckoutSyncView? {
        try await database.withCompany(company, logger: logger) { connection in
            guard try await pickingExists(picking, company: company, on: connection, logger: logger) else { return nil }
            let groups = try await groups(of: picking, company: company, on: connection, logger: logger)
            guard let group = groups.first(where: { $0.destPickingID == destPicking }) else {
                throw AppError.invalid(field: "dest_picking_id",
                                       detail: "transfer \(destPicking) is not a checkout-sync group of transfer \(picking)")
            }
            try await checkAllowed(location, for: group, company: company, on: connection, logger: logger)
            try await syncLocked(group, to: location, askedFrom: picking, via: "assistant", tokenID: tokenID,
                                 company: company, on: connection, logger: logger)
            // The groups' members are the same after the sync (it changes locations, not states).
            return try await view(picking: picking, handled: handled.union([destPicking]), found: groups, company: company,
                                  on: connection, logger: logger)
        }
    }

    /// The scanner's flow: sets a move line's destination to `location`, a location under its current one. When the
    /// line's move feeds flagged destination transfers, their whole groups are synced to `location` first, in the
    /// same transaction, with their lines locked, so two operators are serialized. Nil when there is no such line.
    public func setLineDestination(line: Int64, location: Int64, tokenID: Int64?, company: Int64,
                                   logger: Logger) async throws -> MoveLine? {
        try await database.withCompany(company, logger: logger) { connection in
            guard let current = try await lockedLine(line, company: company, on: connection, logger: logger) else { return nil }
            guard current.state != .done && current.state != .cancel else {
                throw AppError.conflict("move line \(line) is \(current.state.rawValue); its destination cannot change")
            }
            guard location != current.locationDestId else { return current }
            let target = try await connection.query("""
                SELECT l.usage,
                       l.parent_path LIKE (SELECT parent_path || '%' FROM stockyard.stock_locations
                                           WHERE company_id = \(company) AND id = \(current.locationDestId))
                FROM stockyard.stock_locations l WHERE l.company_id = \(company) AND l.id = \(location)
                """, logger: logger).collect().first?.decode((String, Bool).self)
            guard let (usage, underCurrent) = target else {
                throw AppError.invalid(field: "location_id", detail: "location \(location) does not exist")
            }
            guard usage == "internal" else {
                throw AppError.invalid(field: "location_id", detail: "location \(location) is a \(usage) location; scan a bin that can hold stock")
            }
            guard underCurrent else {
                throw AppError.invalid(field: "location_id",
                                       detail: "location \(location) is not under the line's destination \(current.locationDestId)")
            }
            let reached = try await groups(reachedBy: current.moveId, company: company, on: connection, logger: logger)
            for group in reached {
                try await checkAllowed(location, for: group, company: company, on: connection, logger: logger)
            }
            for group in reached {
                try await syncLocked(group, to: location, askedFrom: current.pickingId ?? group.destPickingID, via: "scanner",
                                     tokenID: tokenID, company: company, on: connection, logger: logger)
            }
            try await connection.query("""
                UPDATE stockyard.stock_move_lines SET location_dest_id = \(location)
                WHERE company_id = \(company) AND id = \(line) AND location_dest_id <> \(location)
                """, logger: logger)
            return try await lockedLine(line, company: company, on: connection, logger: logger)
        }
    }

    /// The syncs asked from transfer `picking` or made for it as a destination, oldest first; nil when there is no
    /// such transfer.
    public func history(picking: Int64, company: Int64, page: PageRequest, logger: Logger) async throws -> Page<CheckoutSyncEvent>? {
        try await database.withCompany(company, logger: logger) { connection in
            guard try await pickingExists(picking, company: company, on: connection, logger: logger) else { return nil }
            let rows = try await connection.query("""
                SELECT e.id, e.picking_id, e.dest_picking_id, e.location_id, e.via, e.token_id, t.name,
                       e.move_ids, e.dest_move_ids, e.move_line_ids, e.created_at
                FROM stockyard.checkout_sync_events e
                LEFT JOIN stockyard.api_tokens t ON t.company_id = e.company_id AND t.id = e.token_id
                WHERE e.company_id = \(company) AND (e.picking_id = \(picking) OR e.dest_picking_id = \(picking))
                  AND e.id > \(page.afterID)
                ORDER BY e.id LIMIT \(page.limit + 1)
                """, logger: logger)
            var events: [CheckoutSyncEvent] = []
            for try await row in rows {
                let c = row.makeRandomAccess()
                events.append(CheckoutSyncEvent(
                    id: try c[0].decode(Int64.self), pickingId: try c[1].decode(Int64.self), destPickingId: try c[2].decode(Int64.self),
                    locationId: try c[3].decode(Int64.self), via: try c[4].decode(String.self), tokenId: try c[5].decode(Int64?.self),
                    tokenName: try c[6].decode(String?.self), moveIds: try c[7].decode([Int64].self),
                    destMoveIds: try c[8].decode([Int64].self), moveLineIds: try c[9].decode([Int64].self),
                    createdAt: try c[10].decode(Date.self)))
            }
            return page.page(from: events, id: \.id)
        }
    }

    // MARK: - Groups

    /// A group as found in SQL: its destination transfer, the default source of that transfer's operation type,
    /// and its open moves, ascending by id.
    struct FoundGroup {
        let destPickingID: Int64
        let destPickingName: String
        let defaultSource: Int64?
        let moveIDs: [Int64]

        var plan: CheckoutSyncPlan.Group {
            CheckoutSyncPlan.Group(destPickingID: destPickingID, destPickingName: destPickingName, moveIDs: moveIDs)
        }
    }

    /// The groups reached from the moves of transfer `picking`, in the order their destination transfers are first
    /// reached (by the source moves' sequence, then id); one query, whatever the number of moves.
    func groups(of picking: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [FoundGroup] {
        try await findGroups(sourceFilter: "s.picking_id = $2", sourceID: picking, company: company, on: connection, logger: logger)
    }

    /// The groups reached by one move (the scanner's flow).
    func groups(reachedBy move: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [FoundGroup] {
        try await findGroups(sourceFilter: "s.id = $2", sourceID: move, company: company, on: connection, logger: logger)
    }

    private func findGroups(sourceFilter: String, sourceID: Int64, company: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws -> [FoundGroup] {
        var bindings = PostgresBindings()
        bindings.append(company)
        bindings.append(sourceID)
        // dests: flagged destination transfers reached by the source moves (done or not: a done move still
        // leads to its siblings), ordered by first appearance. members: every move feeding any move of them.
        let query = PostgresQuery(unsafeSQL: """
            WITH dests AS (
                SELECT dp.id, dp.name, t.default_location_src_id AS default_source, min(ARRAY[s.sequence::bigint, s.id]) AS first
                FROM stockyard.stock_moves s
                JOIN stockyard.stock_move_move_rel r ON r.company_id = s.company_id AND r.move_orig_id = s.id
                JOIN stockyard.stock_moves d ON d.company_id = r.company_id AND d.id = r.move_dest_id
                JOIN stockyard.stock_pickings dp ON dp.company_id = d.company_id AND dp.id = d.picking_id
                JOIN stockyard.stock_picking_types t ON t.company_id = dp.company_id AND t.id = dp.picking_type_id
                WHERE s.company_id = $1 AND \(sourceFilter) AND t.checkout_sync
                GROUP BY dp.id, dp.name, t.default_location_src_id
            ), members AS (
                SELECT dm.picking_id AS dest_id, r.move_orig_id AS move_id
                FROM stockyard.stock_moves dm
                JOIN stockyard.stock_move_move_rel r ON r.company_id = dm.company_id AND r.move_dest_id = dm.id
                WHERE dm.company_id = $1 AND dm.picking_id IN (SELECT id FROM dests)
            )
            SELECT g.id, g.name, g.default_source, array_agg(DISTINCT o.id ORDER BY o.id)
            FROM dests g
            JOIN members mb ON mb.dest_id = g.id
            JOIN stockyard.stock_moves o ON o.company_id = $1 AND o.id = mb.move_id
            WHERE o.state NOT IN ('done', 'cancel')
            GROUP BY g.id, g.name, g.default_source, g.first
            ORDER BY g.first, g.id
            """, binds: bindings)
        var groups: [FoundGroup] = []
        for try await (id, name, source, moves) in try await connection.query(query, logger: logger).decode((Int64, String, Int64?, [Int64]).self) {
            groups.append(FoundGroup(destPickingID: id, destPickingName: name, defaultSource: source, moveIDs: moves))
        }
        return groups
    }

    /// What the assistant shows of the current group's moves, and the destinations of their open lines.
    private func details(of moves: [Int64], company: Int64, on connection: PostgresConnection,
                         logger: Logger) async throws -> (moves: [CheckoutSyncView.Move], lineDestinations: [Int64]) {
        let rows = try await connection.query("""
            SELECT o.id, o.product_id, p.name, p.default_code, o.product_uom_qty, o.quantity, o.picking_id, op.name,
                   o.location_id, o.location_dest_id, o.date, o.state,
                   ARRAY(SELECT DISTINCT l.location_dest_id FROM stockyard.stock_move_lines l
                         WHERE l.company_id = o.company_id AND l.move_id = o.id AND l.state NOT IN ('done', 'cancel'))
            FROM stockyard.stock_moves o
            JOIN stockyard.products p ON p.company_id = o.company_id AND p.id = o.product_id
            LEFT JOIN stockyard.stock_pickings op ON op.company_id = o.company_id AND op.id = o.picking_id
            WHERE o.company_id = \(company) AND o.id = ANY(\(moves))
            ORDER BY o.id
            """, logger: logger)
        var details: [CheckoutSyncView.Move] = []
        var lineDestinations: [Int64] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            details.append(CheckoutSyncView.Move(
                id: try c[0].decode(Int64.self), productId: try c[1].decode(Int64.self), productName: try c[2].decode(String.self),
                productDefaultCode: try c[3].decode(String?.self), productUomQty: try c[4].decode(Decimal.self),
                quantity: try c[5].decode(Decimal.self), pickingId: try c[6].decode(Int64?.self), pickingName: try c[7].decode(String?.self),
                locationId: try c[8].decode(Int64.self), locationDestId: try c[9].decode(Int64.self), date: try c[10].decode(Date.self),
                state: MoveState(rawValue: try c[11].decode(String.self)) ?? .draft))
            lineDestinations += try c[12].decode([Int64].self)
        }
        return (details, lineDestinations)
    }

    // MARK: - Sync

    /// `location` must be the destination operation type's default source or an internal location under it.
    private func checkAllowed(_ location: Int64, for group: FoundGroup, company: Int64, on connection: PostgresConnection,
                              logger: Logger) async throws {
        let allowed = try await allowedLocations(for: group, company: company, on: connection, logger: logger)
        guard allowed.contains(where: { $0.id == location }) else {
            let exists = try await connection.query(
                "SELECT 1 FROM stockyard.stock_locations WHERE company_id = \(company) AND id = \(location)", logger: logger
            ).collect().isEmpty == false
            throw AppError.invalid(field: "location_id", detail: exists
                ? "location \(location) is not \(group.destPickingName)'s packing location or one under it"
                : "location \(location) does not exist")
        }
    }

    private func allowedLocations(for group: FoundGroup, company: Int64, on connection: PostgresConnection,
                                  logger: Logger) async throws -> [CheckoutSyncView.AllowedLocation] {
        guard let source = group.defaultSource else { return [] }
        let rows = try await connection.query("""
            SELECT l.id, l.complete_name FROM stockyard.stock_locations l
            WHERE l.company_id = \(company) AND l.active
              AND (l.id = \(source)
                   OR (l.usage = 'internal' AND l.parent_path LIKE (SELECT parent_path || '%' FROM stockyard.stock_locations
                                                                   WHERE company_id = \(company) AND id = \(source))))
            ORDER BY l.complete_name, l.id
            """, logger: logger)
        var locations: [CheckoutSyncView.AllowedLocation] = []
        for try await (id, name) in rows.decode((Int64, String).self) {
            locations.append(CheckoutSyncView.AllowedLocation(id: id, completeName: name))
        }
        return locations
    }

    /// Locks the group's open moves and their lines (by id, so concurrent syncs and validations queue instead of
    /// interleaving), then writes, in one statement: the moves' destinations, the waiting or assigned destination
    /// moves' sources (for the moves that changed), and the open lines' destinations. Records what changed; a sync
    /// to the location the group already has writes nothing.
    private func syncLocked(_ group: FoundGroup, to location: Int64, askedFrom picking: Int64, via: String, tokenID: Int64?,
                            company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let candidates = group.moveIDs
        // Locking re-reads each row: a move validated meanwhile is no longer open and drops out.
        let moves = try await connection.query("""
            SELECT id FROM stockyard.stock_moves
            WHERE company_id = \(company) AND id = ANY(\(candidates)) AND state NOT IN ('done', 'cancel')
            ORDER BY id FOR UPDATE
            """, logger: logger).collect().map { try $0.decode(Int64.self) }
        _ = try await connection.query("""
            SELECT id FROM stockyard.stock_move_lines
            WHERE company_id = \(company) AND move_id = ANY(\(moves)) ORDER BY id FOR UPDATE
            """, logger: logger).collect()
        let changed = try await connection.query("""
            WITH moved AS (
                UPDATE stockyard.stock_moves SET location_dest_id = \(location)
                WHERE company_id = \(company) AND id = ANY(\(moves)) AND location_dest_id <> \(location)
                RETURNING id
            ), dest_moves AS (
                UPDATE stockyard.stock_moves d SET location_id = \(location)
                FROM (SELECT DISTINCT r.move_dest_id FROM stockyard.stock_move_move_rel r
                      WHERE r.company_id = \(company) AND r.move_orig_id IN (SELECT id FROM moved)) x
                WHERE d.company_id = \(company) AND d.id = x.move_dest_id AND d.state IN ('waiting', 'assigned')
                  AND d.location_id <> \(location) AND d.id <> ALL(\(moves))
                RETURNING d.id
            ), lines AS (
                UPDATE stockyard.stock_move_lines SET location_dest_id = \(location)
                WHERE company_id = \(company) AND move_id = ANY(\(moves)) AND state NOT IN ('done', 'cancel')
                  AND location_dest_id <> \(location)
                RETURNING id
            )
            SELECT ARRAY(SELECT id FROM moved ORDER BY id), ARRAY(SELECT id FROM dest_moves ORDER BY id),
                   ARRAY(SELECT id FROM lines ORDER BY id)
            """, logger: logger).collect()[0].decode(([Int64], [Int64], [Int64]).self)
        guard !(changed.0.isEmpty && changed.1.isEmpty && changed.2.isEmpty) else { return }
        try await connection.query("""
            INSERT INTO stockyard.checkout_sync_events (company_id, picking_id, dest_picking_id, location_id, via, token_id,
                                                        move_ids, dest_move_ids, move_line_ids)
            VALUES (\(company), \(picking), \(group.destPickingID), \(location), \(via), \(tokenID), \(changed.0), \(changed.1), \(changed.2))
            """, logger: logger)
    }

    // MARK: - Helpers

    private func view(picking: Int64, handled: Set<Int64>, found: [FoundGroup]? = nil, company: Int64,
                      on connection: PostgresConnection, logger: Logger) async throws -> CheckoutSyncView {
        let found = if let found { found } else { try await groups(of: picking, company: company, on: connection, logger: logger) }
        let plan = CheckoutSyncPlan(groups: found.map(\.plan), handled: handled)
        var current: CheckoutSyncView.Current?
        if let group = plan.current, let found = found.first(where: { $0.destPickingID == group.destPickingID }) {
            let (moves, lineDestinations) = try await details(of: found.moveIDs, company: company, on: connection, logger: logger)
            current = CheckoutSyncView.Current(
                destPickingId: found.destPickingID, destPickingName: found.destPickingName, moves: moves,
                suggestedLocationId: CheckoutSyncPlan.suggestedLocation(moveDestinations: moves.map(\.locationDestId),
                                                                        lineDestinations: lineDestinations),
                allowedLocations: try await allowedLocations(for: found, company: company, on: connection, logger: logger))
        }
        let groups = plan.groups.map { group in
            CheckoutSyncView.Group(
                destPickingId: group.destPickingID, destPickingName: group.destPickingName, moveCount: group.moveIDs.count,
                moveIds: group.moveIDs, summary: group.summary,
                status: plan.done.contains(group.destPickingID) ? "done" : group == plan.current ? "current" : "pending")
        }
        return CheckoutSyncView(pickingId: picking, groups: groups, current: current, done: plan.done, canSkip: plan.canSkip,
                                summary: plan.summary)
    }

    private func pickingExists(_ picking: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query(
            "SELECT 1 FROM stockyard.stock_pickings WHERE company_id = \(company) AND id = \(picking)", logger: logger
        ).collect().isEmpty == false
    }

    private func lockedLine(_ line: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> MoveLine? {
        try await connection.query("""
            SELECT \(unescaped: MoveLineRepository.columns) FROM stockyard.stock_move_lines l
            WHERE l.company_id = \(company) AND l.id = \(line) FOR UPDATE
            """, logger: logger).collect().first.map(MoveLineRepository.decode)
    }
}
