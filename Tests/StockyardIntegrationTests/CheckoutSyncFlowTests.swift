import Foundation
import HummingbirdTesting
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// Checkout sync beyond the assistant's scenarios: the scanner's flow on move lines, the audit history, a repeated
/// sync, a sync racing a validation, and tenant isolation (API and SQL as stockyard_app).
@Suite struct CheckoutSyncFlowTests {
    @Test func scanningALineIntoABinSyncsEveryGroupItsMoveFeedsFirst() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            let line = try #require(try await f.lines(of: f.pick2).first)
            let scanned = try await f.send(.post, "/v1/move-lines/\(line.id)/destination", #"{"location_id":\#(f.pack2Location)}"#)
            #expect(scanned.status == .ok, "\(scanned.text)")
            #expect(try scanned.decode(MoveLine.self).locationDestId == f.pack2Location)
            try await f.expectAt([f.pick1, f.pick2, f.pick3], f.pack2Location)
            try await f.expectAt([f.pick4], f.packZone)

            let history = try await f.send(.get, "/v1/pickings/\(f.pick)/checkout-sync/history").decode(Page<CheckoutSyncEvent>.self).items
            #expect(history.count == 1)
            let event = try #require(history.first)
            #expect(event.via == "scanner" && event.destPickingId == f.pack && event.locationId == f.pack2Location)
            #expect(event.moveIds == [f.pick1, f.pick2, f.pick3] && event.destMoveIds == [f.pack1, f.pack2, f.pack3])
            #expect(event.tokenId == f.company.tokenID && event.tokenName == "test")
            let packHistory = try await f.send(.get, "/v1/pickings/\(f.pack)/checkout-sync/history").decode(Page<CheckoutSyncEvent>.self)
            #expect(packHistory.items.map(\.id) == [event.id], "the destination transfer's history shows it too")
        }
    }

    @Test func scannerInputOutsideTheLinesZoneIsRefused() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            let other = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            try await other.reserveAll()
            let line = try #require(try await f.lines(of: f.pick1).first)
            let before = try await f.snapshot()
            let moves = try await f.moves()
            for (location, field) in [(f.shelf1, "location_id"), (f.wh.viewLocationId, "location_id"), (other.pack1Location, "location_id")] {
                let response = try await f.send(.post, "/v1/move-lines/\(line.id)/destination", #"{"location_id":\#(location)}"#)
                #expect(response.status == .unprocessableContent && response.isProblem, "\(location): \(response.text)")
                #expect(try response.json()["field"] as? String == field)
            }
            let missing = try await f.send(.post, "/v1/move-lines/\(line.id)/destination", "{}")
            #expect(missing.status == .unprocessableContent)
            let otherLine = try #require(try await other.lines(of: other.pick1).first)
            let foreign = try await f.send(.post, "/v1/move-lines/\(otherLine.id)/destination", #"{"location_id":\#(f.pack1Location)}"#)
            #expect(foreign.status == .notFound)
            #expect(try await f.send(.get, "/v1/move-lines?move_id=\(other.pick1)").decode(Page<MoveLine>.self).items.isEmpty)
            let (afterSnapshot, afterMoves) = (try await f.snapshot(), try await f.moves())
            #expect(afterSnapshot == before && afterMoves == moves)
            #expect(try await other.lines(of: other.pick1).map(\.locationDestId) == [other.packZone])
        }
    }

    @Test func withoutAFlagTheScannerMovesOnlyItsLine() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: false)
            try await f.reserveAll()
            let line = try #require(try await f.lines(of: f.pick1).first)
            #expect(try await f.send(.post, "/v1/move-lines/\(line.id)/destination", #"{"location_id":\#(f.pack1Location)}"#).status == .ok)
            #expect(try await f.lines(of: f.pick1).map(\.locationDestId) == [f.pack1Location])
            let moves = try await f.moves()
            #expect(moves[f.pick1]?.locationDestId == f.packZone && moves[f.pick2]?.locationDestId == f.packZone)
            #expect(try await f.send(.get, "/v1/pickings/\(f.pick)/checkout-sync/history").decode(Page<CheckoutSyncEvent>.self).items.isEmpty)
        }
    }

    @Test func aBackorderKeepsTheSyncedDestination() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .ok)
            let validated = try await f.send(.post, "/v1/pickings/\(f.pick)/validate", #"""
                {"quantities":[{"move_id":\#(f.pick1),"quantity":1},{"move_id":\#(f.pick2),"quantity":2},{"move_id":\#(f.pick4),"quantity":2}],
                 "create_backorder":true}
                """#)
            #expect(validated.status == .ok, "\(validated.text)")
            let backorder = try #require(try validated.decode(PickingRepository.ValidationResult.self).backorder)
            let remainder = try #require(backorder.moveIds.first)
            #expect(backorder.moveIds.count == 1 && remainder.productUomQty == 1)
            #expect(remainder.locationDestId == f.pack1Location, "the backorder's move keeps the synced destination")
            #expect(remainder.moveDestIds == [f.pack1])
            for line in try await f.lines(of: remainder.id) { #expect(line.locationDestId == f.pack1Location) }
            try await expectQuantsMatchHistory(company: f.company.id, environment: try await TestEnvironment.get())
        }
    }

    @Test func syncingAgainToTheSameLocationWritesNothing() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .ok)
            let after = try await f.moves()
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .ok)
            #expect(try await f.moves() == after)
            let history = try await f.send(.get, "/v1/pickings/\(f.pick)/checkout-sync/history").decode(Page<CheckoutSyncEvent>.self).items
            #expect(history.count == 1 && history[0].via == "assistant")
            #expect(history[0].moveLineIds.count == 3, "one reserved line per pick move of the group")
        }
    }

    /// Either the sync sees the done moves and leaves them, or the validation moves the goods to the new location:
    /// every done line goes where its move went, the quants match the history, and the open moves are synced.
    @Test func aSyncRacingAValidationOfTheSamePickIsSerialized() async throws {
        let environment = try await TestEnvironment.get()
        try await withAPI { client in
            for _ in 0..<3 {
                let f = try await CheckoutFixture.make(client, flags: true)
                try await f.reserveAll()
                async let validated = f.send(.post, "/v1/pickings/\(f.pick)/validate", "{}")
                async let synced = f.sync(f.ho, group: f.pack, to: f.pack1Location)
                let statuses = try await [validated.status, synced.status]
                #expect(statuses == [.ok, .ok], "\(statuses)")
                let moves = try await f.moves()
                #expect(moves[f.pick1]?.state == .done && moves[f.pick2]?.state == .done)
                #expect(moves[f.pick1]?.locationDestId == moves[f.pick2]?.locationDestId, "one validation, one destination")
                #expect(moves[f.pick3]?.locationDestId == f.pack1Location, "the open move of the group is synced")
                for id in [f.pick1, f.pick2, f.pick3, f.pick4] {
                    for line in try await f.lines(of: id) { #expect(line.locationDestId == moves[id]?.locationDestId) }
                }
                try await expectQuantsMatchHistory(company: f.company.id, environment: environment)
            }
        }
    }

    @Test func anotherCompanyCannotReadOrWriteSyncRecordsInSQL() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            _ = try await f.sync(f.pick, group: f.pack, to: f.pack1Location)
            return f.company.id
        }
        let b = try await environment.makeCompany()
        let (seen, lines) = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
            let seen = try await connection.rows("SELECT count(*)::int FROM stockyard.checkout_sync_events WHERE company_id = \(a)")
                .collect()[0].decode(Int.self)
            let lines = try await connection.rows("""
                UPDATE stockyard.stock_move_lines SET location_dest_id = location_id WHERE company_id = \(a) RETURNING 1
                """).collect().count
            return (seen, lines)
        }
        #expect(seen == 0 && lines == 0)
        let owned = try await environment.owner.collect("SELECT count(*)::int FROM stockyard.checkout_sync_events WHERE company_id = \(a)")
        #expect(try owned[0].decode(Int.self) == 1)
        await expectSQLState("42501") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("""
                    INSERT INTO stockyard.checkout_sync_events (company_id, picking_id, dest_picking_id, location_id, via, move_ids,
                                                                dest_move_ids, move_line_ids)
                    SELECT company_id, picking_id, dest_picking_id, location_id, via, move_ids, dest_move_ids, move_line_ids
                    FROM stockyard.checkout_sync_events WHERE company_id = \(b.id)
                    UNION ALL SELECT \(a), 1, 1, 1, 'assistant', '{}', '{}', '{}'
                    """)
            }
        }
    }
}
