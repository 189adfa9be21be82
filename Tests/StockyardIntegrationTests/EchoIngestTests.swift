import Foundation
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// Our own writes coming back (decisions D22): the ingest settles an `inventory_levels/update` as it stores it, with
/// no job, when the storefront reports the value last published or the value a running push is writing; any other
/// value is a job, as before.
@Suite struct EchoIngestTests {
    typealias F = StorefrontFixture

    /// The company's `webhook.process` jobs, whatever their state.
    func webhookJobs(_ f: F, company: Int64? = nil) async throws -> Int {
        try await f.environment.app.withCompany(company ?? f.company.id, logger: f.environment.logger) { connection in
            try await connection.rows("SELECT count(*)::int FROM reporting.sync_jobs WHERE kind = 'webhook.process'")
                .collect()[0].decode(Int.self)
        }
    }

    /// Retail's level of product A: last seen, as of when, and the value in flight.
    func retailLevelOfA(_ f: F) async throws -> (seen: Int?, seenAt: Date?, inFlight: Int?) {
        try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            try await connection.rows("""
                SELECT l.last_seen, l.last_seen_at, l.in_flight FROM stockyard.inventory_levels l
                JOIN stockyard.storefront_variants v ON v.company_id = l.company_id AND v.id = l.variant_id
                WHERE l.storefront_location_id = \(f.location(F.retail).id) AND v.inventory_item_id = \(F.itemA)
                """).collect()[0].decode((Int?, Date?, Int?).self)
        }
    }

    /// A push of (retail, A) running as another runner would hold it, its level recording the value it writes.
    func pushRunning(_ f: F, writing value: Int) async throws -> Int64 {
        let key = InventoryPushHandler.dedupeKey(storefrontLocation: f.location(F.retail).id, product: f.productA.id)
        return try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            let push = try await connection.rows("""
                INSERT INTO stockyard.sync_jobs (company_id, kind, dedupe_key, payload, state, attempts, locked_by, locked_until, started_at)
                VALUES (\(f.company.id), 'inventory.push', \(key), '{}', 'running', 1, 'elsewhere', now() + interval '1 hour', now())
                RETURNING id
                """).collect()[0].decode(Int64.self)
            _ = try await connection.rows("""
                UPDATE stockyard.inventory_levels SET in_flight = \(value), in_flight_job = \(push)
                WHERE storefront_location_id = \(f.location(F.retail).id)
                  AND variant_id = (SELECT id FROM stockyard.storefront_variants WHERE inventory_item_id = \(F.itemA))
                """).collect()
            return push
        }
    }

    /// That push ends (done) without recording a result, as a push that failed would leave its level.
    func finish(_ f: F, _ push: Int64) async throws {
        try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            _ = try await connection.rows("SELECT * FROM stockyard.complete_leased_job(\(f.company.id), \(push), 'elsewhere')").collect()
        }
    }

    func outcome(_ f: F, _ key: String) async throws -> String? {
        try await f.webhookEvents().first { $0.key == key }?.outcome
    }

    @Test func anEchoOfTheValueLastPublishedIsSettledAsItIsStoredWithoutAJob() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            // The simulator's webhooks for our two writes were settled by the ingest: no job was made for them.
            try await waitUntil(timeout: .seconds(10)) { try await f.webhookEvents().count == 2 }
            #expect(try await f.webhookEvents().compactMap(\.outcome).sorted() == ["in step (10)", "in step (8)"])
            #expect(try await webhookJobs(f) == 0)

            // The storefront sends the level again: in step the moment it is stored; its replay (the same event, with
            // the same trigger time) changes nothing.
            let triggered = Date()
            let resent = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 8), eventID: "resent", triggeredAt: triggered)
            let resentStatus = try resent.json()["status"] as? String
            #expect(resent.status == .ok && resentStatus == "accepted")
            #expect(try await outcome(f, "resent") == "in step (8)")
            let seen = try await retailLevelOfA(f)
            #expect(seen.seen == 8)
            let replay = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 8), eventID: "resent", triggeredAt: triggered)
            let replayStatus = try replay.json()["status"] as? String
            #expect(replayStatus == "duplicate")
            #expect(try await retailLevelOfA(f).seenAt == seen.seenAt)
            #expect(try await webhookJobs(f) == 0)

            // Another value (an edit at the storefront) is not ours: its job records the drift and publishes 8 again.
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 5), eventID: "edited")
            #expect(try await webhookJobs(f) == 1)
            try await f.settle()
            let edited = try await outcome(f, "edited")
            #expect(edited?.hasPrefix("drift: the storefront held 5") == true, "\(edited ?? "unprocessed")")
            #expect(try await f.storefrontLevel(F.itemA, at: F.retail) == 8)
        }
    }

    @Test func anEchoArrivingWhileItsPushStillRunsIsKnownByTheValueBeingWritten() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            // A push of (retail, A) is running, as another runner would hold it, and its level records the 6 it writes.
            let push = try await pushRunning(f, writing: 6)
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 6), eventID: "in-flight")
            #expect(try await outcome(f, "in-flight") == "in step (6)")
            #expect(try await retailLevelOfA(f).seen == 6)
            #expect(try await webhookJobs(f) == 0)

            // Once no push runs, the value it was writing means nothing: 6 is not the 8 last published, so it is a job.
            try await finish(f, push)
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 6), eventID: "after")
            #expect(try await webhookJobs(f) == 1)
            try await f.settle()
            let after = try await outcome(f, "after")
            #expect(after?.hasPrefix("drift") == true, "\(after ?? "unprocessed")")
        }
    }

    /// An echo is stored already processed, in one write: a copy of it in the same batch and a replay of an event
    /// stored before change nothing more, and none of the three makes a job.
    @Test func anEchoTwiceInABatchWithAReplayIsStoredSettledOnce() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let events = WebhookEventRepository(database: f.environment.app)
            func echo(_ key: String, at: Date) -> (company: Int64, delivery: WebhookDelivery) {
                (f.company.id, WebhookDelivery(shop: f.shop.id, eventKey: key, webhookId: nil, topic: "inventory_levels/update", apiVersion: nil,
                                               triggeredAt: at, body: F.levelUpdate(F.itemA, at: F.retail, available: 8)))
            }
            let first = Date(), later = first.addingTimeInterval(1)
            #expect(try await events.ingest([echo("first", at: first)], logger: f.environment.logger) == [true])
            let stored = try await events.ingest([echo("later", at: later), echo("later", at: later), echo("first", at: first)],
                                                 logger: f.environment.logger)
            #expect(stored == [true, false, false])
            #expect(try await outcome(f, "first") == "in step (8)")
            #expect(try await outcome(f, "later") == "in step (8)")
            let seenAt = try #require(try await retailLevelOfA(f).seenAt)
            #expect(abs(seenAt.timeIntervalSince(later)) < 0.000_001)
            #expect(try await f.webhookEvents().filter { ["first", "later"].contains($0.key) }.count == 2)
            #expect(try await webhookJobs(f) == 0)
        }
    }

    /// The storefront applies our write within a millisecond of sending it, so its trigger time must keep its
    /// microseconds all the way to the level: cut to milliseconds, the echo would read as older than the write.
    @Test func anEchoTriggeredMicrosecondsAfterTheWriteLeftIsNewer() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let seenAt = try #require(try await retailLevelOfA(f).seenAt)
            let triggered = seenAt.addingTimeInterval(0.000_002)
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 8), eventID: "right-after", triggeredAt: triggered)
            #expect(try await outcome(f, "right-after") == "in step (8)")
            let recorded = try #require(try await retailLevelOfA(f).seenAt)
            #expect(abs(recorded.timeIntervalSince(triggered)) < 0.000_001)
            #expect(try await webhookJobs(f) == 0)
        }
    }

    /// Where the storefront drives too, a report of the value last published is ours only if nothing else was seen
    /// since: a sale and a restock back to that value are two changes, and the warehouse takes both.
    @Test func aStorefrontThatCameBackToTheValueLastPublishedIsNotTakenForAnEcho() async throws {
        #expect(LockedLevel(lastPublished: 8, lastSeen: 8, lastSeenAt: nil).isEcho(of: 8))
        #expect(!LockedLevel(lastPublished: 8, lastSeen: 6, lastSeenAt: nil).isEcho(of: 8))
        #expect(!LockedLevel(lastPublished: nil, lastSeen: 8, lastSeenAt: nil).isEcho(of: 8))
        try await F.with(direction: .bidirectional) { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            try await waitUntil(timeout: .seconds(10)) {
                let events = try await f.webhookEvents()
                return events.count == 2 && events.allSatisfy(\.processed)
            }
            // A sale to 6 was seen and not yet published back (8 is still the value last published).
            try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                _ = try await connection.rows("""
                    UPDATE stockyard.inventory_levels SET last_seen = 6, last_seen_at = now()
                    WHERE storefront_location_id = \(f.location(F.retail).id)
                      AND variant_id = (SELECT id FROM stockyard.storefront_variants WHERE inventory_item_id = \(F.itemA))
                    """).collect()
            }
            // The restock back to 8 is news: not settled at ingest, and its job moves the warehouse by +2.
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 8), eventID: "restocked")
            let jobs = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                try await connection.rows("""
                    SELECT count(*)::int FROM reporting.sync_jobs j
                    JOIN stockyard.webhook_events e ON e.company_id = j.company_id AND e.id = (j.payload ->> 'event_id')::bigint
                    WHERE j.kind = 'webhook.process' AND e.event_key = 'restocked'
                    """).collect()[0].decode(Int.self)
            }
            #expect(jobs == 1, "a job of its own (which may already have run: its outcome is checked once it has)")
            try await f.settle()
            let restocked = try await outcome(f, "restocked")
            #expect(restocked?.hasPrefix("the warehouse took the storefront's change") == true, "\(restocked ?? "unprocessed")")
            #expect(try await f.onHand(f.productA) == 12)
        }
    }

    /// The value a push is writing marks an echo only where the warehouse alone drives the level.
    @Test func aValueInFlightCountsOnlyWhereTheWarehouseDrives() async throws {
        try await F.with(direction: .bidirectional) { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let push = try await pushRunning(f, writing: 6)
            // (Here even our own echoes may have needed a job, when they arrived before their push recorded its result.)
            let jobsBefore = try await webhookJobs(f)
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 6), eventID: "sale")
            #expect(try await outcome(f, "sale") == nil, "a storefront change where the storefront drives too is a job")
            #expect(try await webhookJobs(f) == jobsBefore + 1)
            try await finish(f, push)
        }
    }

    @Test func anotherCompanysDeliveryNamingTheSameIdsSettlesNothingOfOurs() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let before = try await retailLevelOfA(f)
            // The other company's shop names the same item and location ids, and the value we published.
            let (other, otherDomain, _) = try await WebhookTests().otherCompanysShop(f)
            let theirs = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 8), eventID: "theirs",
                                             domain: otherDomain, secret: "other-secret")
            #expect(theirs.status == .ok)
            #expect(try await retailLevelOfA(f).seenAt == before.seenAt, "our level is not theirs to settle")
            #expect(try await f.webhookEvents().contains { $0.key == "theirs" } == false)
            #expect(try await webhookJobs(f, company: other.id) == 1, "their event is theirs, with its own job")
            // As the app role in their scope, none of our levels exist.
            let visible = try await f.environment.app.withCompany(other.id, logger: f.environment.logger) { connection in
                try await connection.rows("SELECT count(*)::int FROM stockyard.inventory_levels").collect()[0].decode(Int.self)
            }
            #expect(visible == 0)
        }
    }
}
