import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// The scheduled reconcile (issue 6, item 7): storefront changes whose webhooks never arrived are found,
/// classified and healed; each run schedules the next.
@Suite struct ReconcileTests {
    typealias F = StorefrontFixture

    @Test func aReconcileFindsClassifiesAndHealsWhatWebhooksMissed() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            // The storefront stops delivering webhooks; then someone edits two levels there.
            try await f.simulator.control(.put, "/_simulator/shops/\(f.domain)/webhook", #"{"url":null}"#)
            try await f.editAtStorefront(F.itemA, at: F.online, to: 4)
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 10)   // as if the buffer of 2 did not count
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await f.drift().isEmpty, "nothing told Stockyard yet")

            let queued = try await f.api.send(.post, "\(f.shopPath)/reconcile", token: f.token)
            #expect(queued.status == .accepted, "\(queued.text)")
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let drift = try await f.drift(includeResolved: true)
            let online = try #require(drift.first { $0.storefrontLocationId == f.location(F.online).id })
            let retail = try #require(drift.first { $0.storefrontLocationId == f.location(F.retail).id })
            #expect(online.class == .directionConflict && online.actual == 4 && online.expected == 10 && online.source == "reconcile")
            #expect(retail.class == .bufferReservation && retail.actual == 10 && retail.expected == 8)
            #expect(drift.allSatisfy { $0.resolvedAt != nil }, "healed by the pushes: \(drift)")
            let filtered = try await f.api.send(.get, "\(f.shopPath)/drift?include_resolved=true&class=buffer_reservation", token: f.token)
                .decode(Page<DriftEvent>.self).items
            #expect(filtered.map(\.id) == [retail.id])
            #expect(try await f.api.send(.get, "\(f.shopPath)/drift?class=weather", token: f.token).status == .unprocessableContent)

            // The next run is scheduled one interval (15 minutes by default) later.
            let next = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                try await connection.rows("""
                    SELECT extract(epoch FROM run_at - now())::int FROM stockyard.sync_jobs
                    WHERE kind = 'inventory.reconcile' AND state = 'pending'
                    """).collect().map { try $0.decode(Int.self) }
            }
            #expect(next.count == 1 && (next.first ?? 0) > 800, "\(next)")
        }
    }

    @Test func whereTheStorefrontDrivesAReconcileTakesAChangeWhoseWebhookWasLost() async throws {
        try await F.with(direction: .shopToWarehouse) { f in
            try await f.count(f.productA, 10)
            try await f.settle()
            try await f.simulator.control(.put, "/_simulator/shops/\(f.domain)/webhook", #"{"url":null}"#)
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 5)
            #expect(try await f.api.send(.post, "\(f.shopPath)/reconcile", token: f.token).status == .accepted)
            try await waitUntil(timeout: .seconds(15)) { try await f.onHand(f.productA) == 7 }
            try await f.settle()
            // Retail would have published 10 − 2 (buffer) = 8; the storefront says 5: the warehouse took −3, once.
            #expect(try await f.onHand(f.productA) == 7)
            #expect(try await f.api.send(.post, "\(f.shopPath)/reconcile", token: f.token).status == .accepted)
            try await f.settle()
            #expect(try await f.onHand(f.productA) == 7, "a second run finds it in step")
            try await expectQuantsMatchHistory(company: f.company.id, environment: f.environment)
        }
    }

    @Test func inBidirectionalALostStorefrontChangeIsNewerAndTheWarehouseTakesIt() async throws {
        try await F.with(direction: .bidirectional) { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.settle()
            try await f.simulator.control(.put, "/_simulator/shops/\(f.domain)/webhook", #"{"url":null}"#)
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 5)   // three sold at the till; the webhook is lost
            #expect(try await f.api.send(.post, "\(f.shopPath)/reconcile", token: f.token).status == .accepted)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 7)
            try await f.settle()
            #expect(try await f.onHand(f.productA) == 7)
            #expect(try await f.storefrontLevel(F.itemA, at: F.retail) == 5, "the sale stands at the storefront")
            try await expectQuantsMatchHistory(company: f.company.id, environment: f.environment)
        }
    }

    @Test func onlyALiveShopIsReconciled() async throws {
        try await F.with(live: false) { f in
            #expect(try await f.api.send(.post, "\(f.shopPath)/reconcile", token: f.token).status == .conflict)
            let b = try await f.environment.makeCompany()
            #expect(try await f.api.send(.post, "\(f.shopPath)/reconcile", token: b.token).status == .notFound)
        }
    }
}
