import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// The runner's figures reach `/metrics` next to the API's.
@Suite struct JobMetricsTests {
    @Test func claimedSucceededDeadLatencyDepthAndReconnectsAreExported() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let dependencies = environment.apiDependencies()
        let kinds = TestKinds()
        var handlers = JobHandlers()
        handlers.register(kinds("ok"), ClosureJobHandler { _, _ in })
        handlers.register(kinds("bad"), ClosureJobHandler { _, _ in throw JobFailure.permanent("no") })
        let runner = JobRunner(settings: testRunnerSettings(kinds: [kinds("ok"), kinds("bad")]), database: environment.app,
                               listenURL: environment.appURL, handlers: handlers,
                               metrics: JobRunnerMetrics(registry: dependencies.registry), logger: environment.logger)
        try await withAPI(dependencies, services: [runner]) { client in
            try await waitUntil { runner.isListening }
            let ok = try await environment.enqueue(kinds("ok"), company: company.id)
            let bad = try await environment.enqueue(kinds("bad"), company: company.id)
            try await waitUntil { try await environment.job(ok, company: company.id)?.state == .done }
            try await waitUntil { try await environment.job(bad, company: company.id)?.state == .dead }
            let text = try await client.send(.get, "/metrics").text
            #expect(text.contains(#"stockyard_jobs_claimed_total{kind="\#(kinds("ok"))"} 1"#), "\(text)")
            #expect(text.contains(#"stockyard_jobs_succeeded_total{kind="\#(kinds("ok"))"} 1"#))
            #expect(text.contains(#"stockyard_jobs_dead_total{kind="\#(kinds("bad"))"} 1"#))
            #expect(text.contains(#"stockyard_job_start_latency_seconds_count{kind="\#(kinds("ok"))"} 1"#))
            #expect(text.contains("stockyard_jobs_listen_reconnects_total 0"))
            #expect(text.contains("stockyard_jobs_queue_depth"))
        }
    }
}
