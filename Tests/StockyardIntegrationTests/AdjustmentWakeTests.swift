import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// A standalone inventory adjustment wakes the push runners after its commit instead of NOTIFYing inside it
/// (migrations 0025 and 0027, decisions D31 and D34), since a NOTIFYing commit holds a database-wide lock through its
/// WAL flush.
/// Other tests notify on the same channel, so a notification is told apart by the backend that sent it.
@Suite struct AdjustmentWakeTests {
    @Test func theAdjustmentsOwnTransactionLeavesItsWakeToTheCaller() async throws {
        try await StorefrontFixture.with { f in
            let elsewhere = try await f.api.post(location: #"{"name":"Outside every mapping"}"#, token: f.token)
            try await DedicatedConnection.with(f.environment.appURL, logger: f.environment.logger) { connection in
                let heard = try await NotificationLog.listening(on: connection)
                let me = try await connection.query("SELECT pg_backend_pid()", logger: f.environment.logger)
                    .collect().first!.decode(Int32.self)
                func adjustWakingAfterCommit(_ product: Product, at location: Int64, to quantity: Int) async throws -> Bool {
                    try await connection.query("""
                        SELECT wake_owed FROM stockyard.apply_inventory_adjustment_waking_after_commit(
                            \(f.company.id), \(product.id), \(location), \(quantity)::numeric, NULL::numeric)
                        """, logger: f.environment.logger).collect().first!.decode(Bool.self)
                }
                func adjust(_ product: Product, to quantity: Int) async throws {
                    _ = try await connection.query("""
                        SELECT quant_id FROM stockyard.apply_inventory_adjustment(
                            \(f.company.id), \(product.id), \(f.warehouse.lotStockId), \(quantity)::numeric, NULL::numeric)
                        """, logger: f.environment.logger).collect()
                }

                // A published product: a push is enqueued, and the wake is owed, not sent. (Each step waits for the
                // last one's pushes first: a change coalesced into a pending push enqueues nothing, so owes no wake.)
                try await f.settle()
                #expect(try await adjustWakingAfterCommit(f.productA, at: f.warehouse.lotStockId, to: 5))
                // Nothing published there: no push, so no wake owed.
                #expect(try await adjustWakingAfterCommit(f.productA, at: elsewhere.id, to: 5) == false)
                try await heard.catchUp(with: connection, backend: me)
                #expect(heard.wakes(of: InventoryPushJob.kind, from: me) == 0)

                // The caller's wake, as a transaction of its own.
                _ = try await connection.query("SELECT stockyard.wake_job_runners(ARRAY['inventory.push'])",
                                               logger: f.environment.logger).collect()
                try await waitUntil { heard.wakes(of: InventoryPushJob.kind, from: me) == 1 }

                // 0019's adjustment, unmarked, NOTIFYs with its commit as before.
                try await f.settle()
                try await adjust(f.productA, to: 6)
                try await waitUntil { heard.wakes(of: InventoryPushJob.kind, from: me) == 2 }

                // The mark covers its own statement only: a later adjustment of the same transaction NOTIFYs.
                try await f.settle()
                _ = try await connection.query("BEGIN", logger: f.environment.logger).collect()
                #expect(try await adjustWakingAfterCommit(f.productA, at: f.warehouse.lotStockId, to: 7))
                try await adjust(f.productB, to: 3)
                _ = try await connection.query("COMMIT", logger: f.environment.logger).collect()
                try await waitUntil { heard.wakes(of: InventoryPushJob.kind, from: me) == 3 }
            }
            // Every adjustment above is published all the same.
            try await f.expectStorefront(StorefrontFixture.itemA, at: StorefrontFixture.online, toBecome: 7)
            try await f.expectStorefront(StorefrontFixture.itemB, at: StorefrontFixture.online, toBecome: 3)
        }
    }

    /// Through `QuantRepository`, on a pool of one connection whose backend is known: a standalone adjustment's call
    /// commits and then wakes the runners (none would come if it owed the wake and did not send it: the function
    /// above leaves it out); one inside a caller's transaction NOTIFYs with that transaction's commit.
    @Test func theRepositoryWakesTheRunnersWhenItsAdjustmentCommits() async throws {
        try await StorefrontFixture.with { f in
            let logger = f.environment.logger
            try await NotificationLog.withPoolOfOne(f.environment) { database, pooled, heard in
                let quants = QuantRepository(database: database)
                try await f.settle()
                _ = try await quants.adjust(product: f.productA.id, location: f.warehouse.lotStockId, adjustment: .counted(4),
                                            company: f.company.id, logger: logger)
                try await waitUntil { heard.wakes(of: InventoryPushJob.kind, from: pooled) == 1 }

                try await f.settle()
                try await database.withCompany(f.company.id, logger: logger) { _ in
                    _ = try await quants.adjust(product: f.productB.id, location: f.warehouse.lotStockId, adjustment: .counted(2),
                                                company: f.company.id, logger: logger)
                    try await Task.sleep(for: .milliseconds(200))
                    #expect(heard.wakes(of: InventoryPushJob.kind, from: pooled) == 1, "nothing is sent before the caller's commit")
                }
                try await waitUntil { heard.wakes(of: InventoryPushJob.kind, from: pooled) == 2 }

                // A call that fails before its commit (a product the company does not have) wakes nobody.
                await #expect(throws: AppError.self) {
                    _ = try await quants.adjust(product: 999_999_999, location: f.warehouse.lotStockId, adjustment: .counted(1),
                                                company: f.company.id, logger: logger)
                }
                try await heard.catchUp(with: database, backend: pooled)
                #expect(heard.wakes(of: InventoryPushJob.kind, from: pooled) == 2)
            }
            try await f.expectStorefront(StorefrontFixture.itemA, at: StorefrontFixture.online, toBecome: 4)
            try await f.expectStorefront(StorefrontFixture.itemB, at: StorefrontFixture.online, toBecome: 2)
        }
    }
}
