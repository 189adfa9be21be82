import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// Done jobs leave the queue's table for a history partitioned by day (migration 0020): the API still shows them,
/// nothing moves them back, whole days past the retention are dropped, and company B sees none of A's.
@Suite struct JobHistoryTests {
    @Test func aDoneJobMovesToTheHistoryAndTheAPIStillShowsIt() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        var handlers = JobHandlers()
        handlers.register(kinds("moved"), ClosureJobHandler { _, _ in })
        let id = try await environment.enqueue(kinds("moved"), company: company.id, payload: .object(["sku": .string("A-1")]))
        try await environment.withRunner(testRunnerSettings(kinds: [kinds("moved")]), handlers: handlers) { _ in
            try await waitUntil { try await environment.job(id, company: company.id)?.state == .done }
        }
        let (queued, kept) = try await environment.owner.withConnection { connection in
            (try await connection.rows("SELECT count(*)::int FROM stockyard.sync_jobs WHERE id = \(id)").collect()[0].decode(Int.self),
             try await connection.rows("SELECT count(*)::int FROM stockyard.sync_job_history WHERE id = \(id)").collect()[0].decode(Int.self))
        }
        #expect(queued == 0 && kept == 1)
        try await withAPI { client in
            let job = try await client.send(.get, "/v1/jobs/\(id)", token: company.token).decode(SyncJob.self)
            #expect(job.state == .done && job.attempts == 1 && job.finishedAt != nil && job.lockedBy == nil)
            #expect(job.payload == .object(["sku": .string("A-1")]))
            let done = try await client.send(.get, "/v1/jobs?state=done&kind=\(kinds("moved"))", token: company.token).decode(Page<SyncJob>.self)
            #expect(done.items.map(\.id) == [id])
            let stats = try await client.send(.get, "/v1/jobs/stats", token: company.token).decode(JobStats.self)
            #expect(stats.kinds.first { $0.kind == kinds("moved") }?.done == 1)
            for action in ["retry", "cancel"] {
                let refused = try await client.send(.post, "/v1/jobs/\(id)/\(action)", token: company.token)
                #expect(refused.status == .conflict, "\(action)")
            }
        }
        await expectSQLState("23514") {
            try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.sync_jobs (company_id, kind, state) VALUES (\(company.id), 'x', 'done')")
            }
        }
    }

    @Test func daysPastTheRetentionAreDroppedWholeAndTheDaysAheadExist() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let calendar = Calendar(identifier: .gregorian)
        var utc = calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        /// The UTC day `offset` days from today, as YYYYMMDD (a partition's name) or with dashes (its bounds).
        func day(_ offset: Int, dashes: Bool = false) -> String {
            let date = utc.date(byAdding: .day, value: offset, to: Date())!
            let parts = utc.dateComponents([.year, .month, .day], from: date)
            return String(format: dashes ? "%04d-%02d-%02d" : "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
        }
        // A partition of ten days ago with a job in it, and a job of twelve days ago that found no partition (default).
        let old = "sync_job_history_\(day(-10))"
        try await environment.owner.withConnection { connection in
            _ = try await connection.rows("SELECT stockyard.keep_job_history(interval '100 years')").collect()
            try await connection.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS stockyard.\(old) PARTITION OF stockyard.sync_job_history
                FOR VALUES FROM ('\(day(-10, dashes: true)) 00:00:00+00') TO ('\(day(-9, dashes: true)) 00:00:00+00')
                """), logger: environment.logger)
            for (offset, id) in [(-10, 9_000_000_001), (-12, 9_000_000_002), (0, 9_000_000_003)] {
                _ = try await connection.rows("""
                    INSERT INTO stockyard.sync_job_history (company_id, id, kind, payload, priority, attempts, max_attempts, run_at,
                                                            created_at, finished_at)
                    VALUES (\(company.id), \(Int64(id)), 'old', '{}', 0, 1, 10, now(), now(), now() + make_interval(days => \(offset)::int))
                    """).collect()
            }
        }
        try await JobRunnerRepository(database: environment.app).keepHistory(retention: .seconds(2 * 86_400), logger: environment.logger)
        let (partitions, ids) = try await environment.owner.withConnection { connection in
            let partitions = try await connection.rows("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'stockyard.sync_job_history'::regclass
                """).collect().map { try $0.decode(String.self) }
            let ids = try await connection.rows("SELECT id FROM stockyard.sync_job_history WHERE company_id = \(company.id) ORDER BY id")
                .collect().map { try $0.decode(Int64.self) }
            return (Set(partitions), ids)
        }
        #expect(!partitions.contains(old), "a day past the retention is dropped whole")
        #expect(ids == [9_000_000_003], "today's job stays; the old day's and the default partition's expired ones are gone")
        #expect((0...2).allSatisfy { partitions.contains("sync_job_history_\(day($0))") }, "today and the next two days have partitions")
    }

    @Test func companyBSeesNoneOfAsHistory() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany(), b = try await environment.makeCompany()
        let kinds = TestKinds()
        var handlers = JobHandlers()
        handlers.register(kinds("private"), ClosureJobHandler { _, _ in })
        let id = try await environment.enqueue(kinds("private"), company: a.id)
        try await environment.withRunner(testRunnerSettings(kinds: [kinds("private")]), handlers: handlers) { _ in
            try await waitUntil { try await environment.job(id, company: a.id)?.state == .done }
        }
        try await withAPI { client in
            let read = try await client.send(.get, "/v1/jobs/\(id)", token: b.token)
            #expect(read.status == .notFound)
            let listed = try await client.send(.get, "/v1/jobs?state=done", token: b.token).decode(Page<SyncJob>.self)
            #expect(listed.items.allSatisfy { $0.id != id })
        }
        // The app role may delete from the queue now (a finish moves the job): only its own company's jobs.
        let waiting = try await environment.enqueue(kinds("waiting"), company: a.id)
        let (inView, inHistory, deleted) = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
            (try await connection.rows("SELECT count(*)::int FROM reporting.sync_jobs WHERE id = \(id)").collect()[0].decode(Int.self),
             try await connection.rows("SELECT count(*)::int FROM stockyard.sync_job_history WHERE id = \(id)").collect()[0].decode(Int.self),
             try await connection.rows("DELETE FROM stockyard.sync_jobs WHERE id = \(waiting) RETURNING 1").collect().count)
        }
        #expect(inView == 0 && inHistory == 0 && deleted == 0)
        #expect(try await environment.job(waiting, company: a.id)?.state == .pending, "B's delete touched nothing of A's")
        await expectSQLState("42501") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("""
                    INSERT INTO stockyard.sync_job_history (company_id, id, kind, payload, priority, attempts, max_attempts, run_at,
                                                            created_at, finished_at)
                    VALUES (\(a.id), 1, 'planted', '{}', 0, 1, 10, now(), now(), now())
                    """)
            }
        }
        // The partitions grant the app role nothing: only the parent, where RLS applies.
        await expectSQLState("42501") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("SELECT count(*) FROM stockyard.sync_job_history_default").collect()
            }
        }
    }
}
