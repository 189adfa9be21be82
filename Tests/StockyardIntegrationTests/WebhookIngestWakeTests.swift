import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// The webhook ingest commits durably and then wakes the `webhook.process` runners, in one CALL (migration 0026,
/// decisions D33): its own commit does not NOTIFY, so it does not hold the NOTIFY lock through its flush. Other tests
/// notify on the same channel, so a notification is told apart by the backend that sent it.
@Suite struct WebhookIngestWakeTests {
    typealias F = StorefrontFixture

    @Test func theIngestCommitsWithoutNotifyingAndThenWakesTheRunnersOnce() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            try await DedicatedConnection.with(f.environment.appURL, logger: f.environment.logger) { connection in
                let heard = try await NotificationLog.listening(on: connection)
                let me = try await connection.query("SELECT pg_backend_pid()", logger: f.environment.logger)
                    .collect().first!.decode(Int32.self)
                func arrays(_ key: String, available: Int) -> String {
                    """
                    ARRAY[\(f.company.id)]::bigint[], ARRAY[\(f.shop.id)]::bigint[], ARRAY['\(key)'], ARRAY[''],
                    ARRAY['inventory_levels/update'], ARRAY[''], ARRAY[''], ARRAY['\(F.levelUpdate(F.itemA, at: F.retail, available: available))']
                    """
                }
                func ingest(_ key: String, available: Int) async throws -> [String] {
                    try await connection.query("CALL stockyard.ingest_webhooks_committed(\(unescaped: arrays(key, available: available)), NULL, NULL)",
                                               logger: f.environment.logger).collect().first!.decode(([Int64], [String]).self).1
                }

                // An echo of the value last published is settled as it is stored, with no job: no wake.
                #expect(try await ingest("echo", available: 8) == ["echo"])
                try await heard.catchUp(with: connection, backend: me)
                #expect(heard.wakes(of: WebhookEventHandler.kind, from: me) == 0)

                // The procedure's first step on its own: the job's trigger leaves the NOTIFY out of the ingest's commit
                // and owes the wake instead.
                let owed = try await connection.query("""
                    SELECT wake_owed FROM stockyard.ingest_webhooks_waking_after_commit(\(unescaped: arrays("marked", available: 6)))
                    """, logger: f.environment.logger).collect().map { try $0.decode(Bool.self) }
                #expect(owed == [true])
                try await heard.catchUp(with: connection, backend: me)
                #expect(heard.wakes(of: WebhookEventHandler.kind, from: me) == 0)

                // The whole call: a storefront edit is stored with its job, and the runners are woken once.
                #expect(try await ingest("edit", available: 5) == ["edit"])
                try await waitUntil { heard.wakes(of: WebhookEventHandler.kind, from: me) == 1 }
                // Its replay stores nothing and wakes nobody.
                #expect(try await ingest("edit", available: 5) == [])
                try await heard.catchUp(with: connection, backend: me)
                #expect(heard.wakes(of: WebhookEventHandler.kind, from: me) == 1)

                // It commits, so it cannot run inside a caller's transaction; nothing is stored then.
                _ = try await connection.query("BEGIN", logger: f.environment.logger).collect()
                let refused = await #expect(throws: PSQLError.self) { _ = try await ingest("inside", available: 4) }
                #expect(refused?.sqlState == "2D000", "invalid transaction termination")
                _ = try await connection.query("ROLLBACK", logger: f.environment.logger).collect()
            }
            // The edits are settled all the same: the storefront is put back to the 8 the warehouse publishes.
            try await f.settle()
            let events = try await f.webhookEvents()
            #expect(events.map(\.key).filter { ["echo", "marked", "edit", "inside"].contains($0) } == ["echo", "marked", "edit"])
            #expect(events.allSatisfy { $0.processed }, "\(events)")
            #expect(try await f.storefrontLevel(F.itemA, at: F.retail) == 8)
        }
    }

    /// Through the repository, on a pool of one connection whose backend is known: a batch that enqueued a job wakes
    /// the runners once, and its replay wakes nobody.
    @Test func theRepositoryWakesTheRunnersWhenItsBatchCommits() async throws {
        try await F.with { f in
            let logger = f.environment.logger
            try await NotificationLog.withPoolOfOne(f.environment) { database, pooled, heard in
                let events = WebhookEventRepository(database: database)
                let delivery = WebhookDelivery(shop: f.shop.id, eventKey: "order", webhookId: nil, topic: "products/update", apiVersion: nil,
                                               triggeredAt: nil, body: #"{"id":1}"#)
                #expect(try await events.ingest([(f.company.id, delivery)], logger: logger) == [true])
                try await waitUntil { heard.wakes(of: WebhookEventHandler.kind, from: pooled) == 1 }
                // A replay enqueues nothing, so owes no wake.
                #expect(try await events.ingest([(f.company.id, delivery)], logger: logger) == [false])
                try await heard.catchUp(with: database, backend: pooled)
                #expect(heard.wakes(of: WebhookEventHandler.kind, from: pooled) == 1)
            }
            try await f.settle()
            #expect(try await f.webhookEvents().map(\.processed) == [true])
        }
    }
}
