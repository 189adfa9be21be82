import Foundation
import HTTPTypes
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// `/v1/jobs` for operators: list with filters and cursor, read, stats, retry and cancel, scopes, and company B
/// never seeing or touching company A's jobs (through the API and as the app role in SQL).
@Suite struct JobAPITests {
    @Test func listsFiltersPagesAndCounts() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        var enqueued: [Int64] = []
        for n in 0..<3 { enqueued.append(try await environment.enqueue(kinds("a"), company: company.id, payload: .object(["n": .number(Double(n))]))) }
        let ids = enqueued
        let other = try await environment.enqueue(kinds("b"), company: company.id, options: .init(runAt: Date().addingTimeInterval(3600)))
        try await withAPI { client in
            let page1 = try await client.send(.get, "/v1/jobs?kind=\(kinds("a"))&limit=2", token: company.token).decode(Page<SyncJob>.self)
            #expect(page1.items.map(\.id) == Array(ids.prefix(2)))
            let cursor = try #require(page1.nextCursor)
            let page2 = try await client.send(.get, "/v1/jobs?kind=\(kinds("a"))&limit=2&cursor=\(cursor)", token: company.token)
                .decode(Page<SyncJob>.self)
            #expect(page2.items.map(\.id) == [ids[2]] && page2.nextCursor == nil)
            #expect(page2.items.first?.payload == .object(["n": .number(2)]))

            let pending = try await client.send(.get, "/v1/jobs?state=pending", token: company.token).decode(Page<SyncJob>.self)
            #expect(Set(pending.items.map(\.id)) == Set(ids + [other]))
            let badState = try await client.send(.get, "/v1/jobs?state=sleeping", token: company.token)
            let badField = try badState.json()["field"] as? String
            #expect(badState.status == .unprocessableContent && badField == "state")

            let one = try await client.send(.get, "/v1/jobs/\(other)", token: company.token).decode(SyncJob.self)
            #expect(one.kind == kinds("b") && one.state == .pending && one.attempts == 0 && one.maxAttempts == 10)

            let cancelled = try await client.send(.post, "/v1/jobs/\(other)/cancel", token: company.token)
            let cancelledJob = try cancelled.decode(SyncJob.self)
            #expect(cancelled.status == .ok && cancelledJob.state == .cancelled)
            let again = try await client.send(.post, "/v1/jobs/\(other)/cancel", token: company.token)
            #expect(again.status == .conflict && again.isProblem)

            let stats = try await client.send(.get, "/v1/jobs/stats", token: company.token).decode(JobStats.self)
            let a = try #require(stats.kinds.first { $0.kind == kinds("a") })
            #expect(a.pending == 3 && a.done == 0 && a.oldestDueSeconds != nil)
            let b = try #require(stats.kinds.first { $0.kind == kinds("b") })
            #expect(b.cancelled == 1 && b.pending == 0 && b.oldestDueSeconds == nil)
        }
        // psql users read the same figures from the reporting view, inside their company's scope.
        let fromView = try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
            try await connection.rows("SELECT pending::int FROM reporting.sync_job_health WHERE kind = \(kinds("a"))").collect()[0].decode(Int.self)
        }
        #expect(fromView == 3)
    }

    @Test func companyBCannotSeeOrTouchCompanyAJobs() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        let kind = TestKinds()("private")
        let id = try await environment.enqueue(kind, company: a.id, payload: .object(["secret": .string("a's")]))
        try await withAPI { client in
            for (method, path) in [(HTTPRequest.Method.get, "/v1/jobs/\(id)"), (.post, "/v1/jobs/\(id)/retry"), (.post, "/v1/jobs/\(id)/cancel")] {
                let response = try await client.send(method, path, token: b.token)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let list = try await client.send(.get, "/v1/jobs?kind=\(kind)", token: b.token).decode(Page<SyncJob>.self)
            #expect(list.items.isEmpty)
            let stats = try await client.send(.get, "/v1/jobs/stats", token: b.token).decode(JobStats.self)
            #expect(!stats.kinds.contains { $0.kind == kind })
        }
        #expect(try await environment.job(id, company: a.id)?.state == .pending, "B's attempts changed nothing")
        let (visible, updated, inView) = try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
            let visible = try await connection.rows("SELECT count(*)::int FROM stockyard.sync_jobs WHERE id = \(id)").collect()[0].decode(Int.self)
            let updated = try await connection.rows("UPDATE stockyard.sync_jobs SET state = 'cancelled', finished_at = now() WHERE id = \(id) RETURNING 1")
                .collect().count
            let inView = try await connection.rows("SELECT count(*)::int FROM reporting.sync_job_health WHERE company_id = \(a.id)")
                .collect()[0].decode(Int.self)
            return (visible, updated, inView)
        }
        #expect(visible == 0 && updated == 0 && inView == 0)
        await expectSQLState("42501") {
            try await environment.app.withCompany(b.id, logger: environment.logger) { connection in
                _ = try await connection.rows("INSERT INTO stockyard.sync_jobs (company_id, kind) VALUES (\(a.id), 'planted')")
            }
        }
    }

    @Test func readingNeedsSyncReadAndActingNeedsSyncWrite() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let id = try await environment.enqueue(TestKinds()("scoped"), company: company.id)
        let reader = try await environment.issueToken(company: company.id, scopes: [.syncRead])
        let stocker = try await environment.issueToken(company: company.id, scopes: [.stockWrite])
        try await withAPI { client in
            let read = try await client.send(.get, "/v1/jobs/\(id)", token: reader.token)
            let retry = try await client.send(.post, "/v1/jobs/\(id)/cancel", token: reader.token)
            let wrongScope = try await client.send(.get, "/v1/jobs", token: stocker.token)
            let anonymous = try await client.send(.get, "/v1/jobs")
            #expect(read.status == .ok && retry.status == .forbidden && wrongScope.status == .forbidden && anonymous.status == .unauthorized)
        }
    }
}
