import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// The scenarios of ../shared/acceptance/checkout_sync.md (CS-01 … CS-07) on fixture F-CS, through the API.
@Suite struct CheckoutSyncTests {
    @Test func cs01TwoStepsSyncEachGroupToItsOwnLocation() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            #expect(try await f.moves().filter { [f.pick1, f.pick2, f.pick3, f.pick4].contains($0.key) }.values
                .allSatisfy { $0.state == .assigned })
            let before = try await f.snapshot()
            let (packName, ppoName) = (try await f.picking(f.pack).name, try await f.picking(f.ppo).name)

            let plan = try await f.plan(f.pick)
            #expect(plan.current?.destPickingId == f.pack)
            #expect(plan.current?.moves.map(\.id) == [f.pick1, f.pick2, f.pick3])
            #expect(plan.summary == ["\(packName): 3 move(s)", "\(ppoName): 1 move(s)"])
            #expect(plan.done.isEmpty && plan.canSkip)
            #expect(plan.current?.suggestedLocationId == f.packZone)
            #expect(Set(plan.current?.allowedLocations.map(\.id) ?? []) == [f.packZone, f.pack1Location, f.pack2Location])

            let afterFirst = try await f.sync(f.pick, group: f.pack, to: f.pack1Location)
            #expect(afterFirst.status == .ok, "\(afterFirst.text)")
            try await f.expectAt([f.pick1, f.pick2, f.pick3], f.pack1Location)
            try await f.expectAt([f.pick4], f.packZone)
            let next = try afterFirst.decode(CheckoutSyncView.self)
            #expect(next.current?.destPickingId == f.ppo && next.current?.moves.map(\.id) == [f.pick4])
            #expect(next.done == [f.pack] && !next.canSkip)

            let afterSecond = try await f.sync(f.pick, group: f.ppo, to: f.pack2Location, done: [f.pack])
            #expect(afterSecond.status == .ok, "\(afterSecond.text)")
            try await f.expectAt([f.pick1, f.pick2, f.pick3], f.pack1Location)
            try await f.expectAt([f.pick4], f.pack2Location)
            let last = try afterSecond.decode(CheckoutSyncView.self)
            #expect(last.current == nil && last.done == [f.pack, f.ppo])
            #expect(try await f.snapshot() == before, "states, line quantities and quants unchanged")
            try await expectQuantsMatchHistory(company: f.company.id, environment: try await TestEnvironment.get())
        }
    }

    @Test func cs02WithoutFlagsThereIsNoGroup() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: false)
            try await f.reserveAll()
            let before = try await f.snapshot()
            #expect(try await f.picking(f.pick).canSyncToCheckout == false)
            #expect(try await f.picking(f.ho).canSyncToCheckout == false)
            let plan = try await f.plan(f.pick)
            #expect(plan.groups.isEmpty && plan.current == nil)
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .unprocessableContent)
            #expect(try await f.snapshot() == before)
        }
    }

    @Test func cs03aSyncBeforeFullReservationThenNewLinesFollow() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            let (pick, handover) = (try await f.picking(f.pick), try await f.picking(f.ho))
            #expect(pick.canSyncToCheckout && handover.canSyncToCheckout)
            #expect(try await f.send(.post, "/v1/moves/\(f.pick1)/reserve").status == .ok)
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .ok)
            let moves = try await f.moves()
            for id in [f.pick1, f.pick2, f.pick3] { #expect(moves[id]?.locationDestId == f.pack1Location) }
            #expect(try await f.lines(of: f.pick1).map(\.locationDestId) == [f.pack1Location])
            for id in [f.pack1, f.pack2, f.pack3] { #expect(moves[id]?.locationId == f.pack1Location) }
            #expect(moves[f.pick4]?.locationDestId == f.packZone && moves[f.pack4]?.locationId == f.packZone)

            try await f.reserveAll()
            let reserved = try await f.moves()
            for id in [f.pick1, f.pick2, f.pick3, f.pick4] { #expect(reserved[id]?.state == .assigned) }
            #expect(try await f.lines(of: f.pick2).map(\.locationDestId) == [f.pack1Location])
            #expect(try await f.lines(of: f.pick3).map(\.locationDestId) == [f.pack1Location])
            #expect(try await f.lines(of: f.pick4).map(\.locationDestId) == [f.packZone])
        }
    }

    @Test func cs03bReservingAgainIsHarmless() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            #expect(try await f.sync(f.pick, group: f.pack, to: f.pack1Location).status == .ok)
            try await f.expectAt([f.pick1, f.pick2, f.pick3], f.pack1Location)
            try await f.expectAt([f.pick4], f.packZone)
            for move in [f.pick2, f.pick3, f.pick4] { _ = try await f.send(.post, "/v1/moves/\(move)/reserve") }
            let moves = try await f.moves()
            for id in [f.pick1, f.pick2, f.pick3, f.pick4] { #expect(moves[id]?.state == .assigned) }
            try await f.expectAt([f.pick1, f.pick2, f.pick3], f.pack1Location)
            try await f.expectAt([f.pick4], f.packZone)
        }
    }

    @Test func cs04SkipChangesNothing() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            let before = try await f.moves()
            let skipped = try await f.plan(f.pick, done: [f.pack])
            #expect(skipped.current?.destPickingId == f.ppo && skipped.current?.moves.map(\.id) == [f.pick4])
            #expect(skipped.done == [f.pack] && !skipped.canSkip)
            #expect(try await f.moves() == before)
        }
    }

    @Test func cs05OpenFromTheTransfer() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            let listed = try await f.send(.get, "/v1/pickings?can_sync_to_checkout=true").decode(Page<Picking>.self).items.map(\.id)
            #expect(Set(listed) == [f.pick, f.ho])
            let plan = try await f.plan(f.pick)
            #expect(plan.current?.destPickingId == f.pack && plan.current?.moves.map(\.id) == [f.pick1, f.pick2, f.pick3])
            #expect(plan.done.isEmpty && plan.canSkip)
        }
    }

    @Test func cs06BadInputIsRefusedAndChangesNothing() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            let other = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            let before = try await f.snapshot()
            for (body, field) in [
                (#"{"dest_picking_id":\#(f.pack),"location_id":\#(f.shelf1)}"#, "location_id"),          // outside the packing zone
                (#"{"dest_picking_id":\#(f.pack),"location_id":\#(f.wh.whOutputStockLocId)}"#, "location_id"),
                (#"{"dest_picking_id":\#(f.pack),"location_id":\#(other.pack1Location)}"#, "location_id"),  // another company's
                (#"{"dest_picking_id":999999999,"location_id":\#(f.pack1Location)}"#, "dest_picking_id"),   // unknown transfer
                (#"{"dest_picking_id":\#(f.ho),"location_id":\#(f.pack1Location)}"#, "dest_picking_id"),    // not in the plan
                (#"{"dest_picking_id":\#(other.pack),"location_id":\#(f.pack1Location)}"#, "dest_picking_id"),
                (#"{"dest_picking_id":\#(f.pack)}"#, "location_id"),                                        // missing
                (#"{"location_id":\#(f.pack1Location)}"#, "dest_picking_id"),
            ] {
                let response = try await f.send(.post, "/v1/pickings/\(f.pick)/checkout-sync", body)
                #expect(response.status == .unprocessableContent && response.isProblem, "\(body): \(response.text)")
                #expect(try response.json()["field"] as? String == field, "\(body): \(response.text)")
            }
            #expect(try await f.send(.get, "/v1/pickings/\(other.pick)/checkout-sync").status == .notFound)
            #expect(try await f.send(.post, "/v1/pickings/\(other.pick)/checkout-sync",
                                     #"{"dest_picking_id":\#(other.pack),"location_id":\#(other.pack1Location)}"#).status == .notFound)
            #expect(try await f.snapshot() == before)
        }
    }

    @Test func cs07ConcurrentSyncsOfOneGroupNeverMix() async throws {
        try await withAPI { client in
            let f = try await CheckoutFixture.make(client, flags: true)
            try await f.reserveAll()
            for _ in 0..<5 {
                async let a = f.sync(f.pick, group: f.pack, to: f.pack1Location)
                async let b = f.sync(f.pick, group: f.pack, to: f.pack2Location)
                let statuses = try await [a.status, b.status]
                #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
                let moves = try await f.moves()
                let winner = try #require(moves[f.pick1]?.locationDestId)
                #expect([f.pack1Location, f.pack2Location].contains(winner))
                try await f.expectAt([f.pick1, f.pick2, f.pick3], winner)
            }
        }
    }
}
