import Foundation
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// A push's read and its record are each one statement that is its own transaction (migration 0018, decisions D26):
/// they set their company themselves and never another's, the record commits with the job's `done` or not at all,
/// and neither waits for the disk (D22, D25).
@Suite struct PushStepTests {
    typealias F = StorefrontFixture

    /// Retail's storefront location, product A's variant and product A, as the company sees them.
    private func retailPair(_ f: F) async throws -> (location: Int64, variant: Int64, product: Int64) {
        try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            try await connection.rows("""
                SELECT sl.id, v.id, v.product_id FROM stockyard.storefront_locations sl, stockyard.storefront_variants v
                WHERE sl.external_id = \(F.retail) AND v.inventory_item_id = \(F.itemA)
                """).collect()[0].decode((Int64, Int64, Int64).self)
        }
    }

    private func lastPublished(_ f: F, _ pair: (location: Int64, variant: Int64, product: Int64)) async throws -> Int? {
        try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
            try await connection.rows("""
                SELECT last_published FROM stockyard.inventory_levels
                WHERE storefront_location_id = \(pair.location) AND variant_id = \(pair.variant)
                """).collect().first?.decode(Int?.self) ?? nil
        }
    }

    /// A job of a kind of its own in `company`, claimed by `worker` (so that only this test's claim can take it).
    private func claimedJob(_ env: TestEnvironment, company: Int64, worker: String) async throws -> Int64 {
        let kind = "test.push_step_\(UInt32.random(in: 0...UInt32.max))"
        let id = try await env.enqueue(kind, company: company)
        let claimed = try await JobRunnerRepository(database: env.app).claim(worker: worker, limit: 1, lease: .seconds(30),
                                                                            kinds: [kind], logger: env.logger).jobs
        #expect(claimed.map(\.id) == [id])
        return id
    }

    private func synchronousCommit(_ connection: PostgresConnection) async throws -> String {
        try await connection.rows("SHOW synchronous_commit").collect()[0].decode(String.self)
    }

    @Test func theReadReturnsThePairAndItsShopAndTurnsOffTheWaitForTheWALOfItsTransactionOnly() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let pair = try await retailPair(f)
            let read = try await InventoryLevelRepository.beginPush(storefrontLocation: pair.location, product: pair.product, job: 1,
                                                                    company: f.company.id, database: f.environment.app,
                                                                    logger: f.environment.logger)
            #expect(read?.0.level.computed == 8, "10 on hand less Retail's buffer of 2")
            #expect(read?.1?.shopID == f.shop.id)
            // The tenant it set was its own transaction's: the connection goes back to the pool with none (the pool
            // hands out the connection returned last, so this is the one the read used).
            let left = try await f.environment.app.withConnection { connection in
                try await connection.rows("SELECT coalesce(current_setting('app.company_id', true), '')").collect()[0].decode(String.self)
            }
            #expect(left == "")
            let modes = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                let before = try await synchronousCommit(connection)
                _ = try await connection.rows("""
                    SELECT * FROM stockyard.begin_inventory_push(\(f.company.id), \(pair.location), \(pair.product), 1)
                    """).collect()
                return (before, try await synchronousCommit(connection))
            }
            #expect(modes == ("on", "off"))
            let after = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { try await synchronousCommit($0) }
            #expect(after == "on", "transaction-local: the next transaction on the connection is durable again")
        }
    }

    @Test func theRecordCommitsWithTheJobsDoneOrNotAtAll() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let pair = try await retailPair(f), env = f.environment
            let id = try await claimedJob(env, company: f.company.id, worker: "push-steps")
            func finish(as worker: String) async throws -> Date? {
                try await InventoryLevelRepository.finishPush(5, sentAt: Date(), resolution: "test", storefrontLocation: pair.location,
                                                              variant: pair.variant, job: id, worker: worker, company: f.company.id,
                                                              database: env.app, logger: env.logger)
            }
            await #expect(throws: LeaseLost.self) { try await finish(as: "another-worker") }
            #expect(try await lastPublished(f, pair) == 8, "a lost lease records nothing")
            #expect(try await env.job(id, company: f.company.id)?.state == .running)
            _ = try await finish(as: "push-steps")
            #expect(try await lastPublished(f, pair) == 5)
            #expect(try await env.job(id, company: f.company.id)?.state == .done)
        }
    }

    @Test func anotherCompanyNeitherReadsNorRecordsOurLevelsAndCannotBorrowOurTransaction() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let pair = try await retailPair(f), env = f.environment
            let other = try await env.makeCompany()
            // Their scope, our ids: nothing to read, nothing written.
            let read = try await InventoryLevelRepository.beginPush(storefrontLocation: pair.location, product: pair.product, job: 1,
                                                                    company: other.id, database: env.app, logger: env.logger)
            #expect(read == nil)
            let theirs = try await claimedJob(env, company: other.id, worker: "them")
            await #expect(throws: PSQLError.self) {
                // Their job is done only if their record could be written: our level's row is not theirs to insert.
                try await InventoryLevelRepository.finishPush(0, sentAt: Date(), resolution: "theirs", storefrontLocation: pair.location,
                                                              variant: pair.variant, job: theirs, worker: "them", company: other.id,
                                                              database: env.app, logger: env.logger)
            }
            #expect(try await lastPublished(f, pair) == 8)
            #expect(try await env.job(theirs, company: other.id)?.state == .running)
            // A step called inside our transaction cannot turn the rest of it into theirs.
            await #expect(throws: PSQLError.self) {
                try await env.app.withCompany(f.company.id, logger: env.logger) { connection in
                    _ = try await connection.rows("""
                        SELECT * FROM stockyard.begin_inventory_push(\(other.id), \(pair.location), \(pair.product), 1)
                        """).collect()
                }
            }
        }
    }
}
