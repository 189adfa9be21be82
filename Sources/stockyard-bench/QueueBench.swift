import ArgumentParser
import Foundation
import Logging
import StockyardCore
import StockyardStore
import StockyardSync
import Synchronization

/// `stockyard-bench queue`: Stockyard's job runner against the peers `ops/bench queue` measured in the same run
/// (pgbench's batched job life: the physical limit; PgQueuer's own benchmark). (c) throughput: no-op jobs, one
/// producer enqueuing batches of 10, `consumers` concurrent jobs; (d) latency from the enqueue's commit to the
/// job's start at a steady rate. Prints one table, or one JSON object per figure with `--json`.
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Job runner throughput and enqueue→start latency, beside the peers' figures.")

    @Option(help: "The app-role database URL (the runner's).") var databaseURL: String
    @Option(help: "The owner-role database URL (to create the bench's company).") var ownerDatabaseURL: String
    @Option(help: "Seconds of measured throughput.") var duration = 20
    @Option(help: "Concurrent jobs in the runner.") var consumers = 5
    @Option(help: "Jobs per enqueue transaction.") var batch = 10
    @Option(help: "Jobs the runner claims per statement (STOCKYARD_JOB_CLAIM_BATCH's default).") var claimBatch = StockyardConfig.JobsConfig().claimBatch
    @Option(help: "Jobs per second for the latency measurement.") var latencyRate = 50
    @Option(help: "Seconds of the latency measurement.") var latencyDuration = 10
    @Option(help: "The pgbench peer's jobs/s, measured by ops/bench in this run.") var pgbenchJobsPerS: Double?
    @Option(help: "PgQueuer's jobs/s, measured by ops/bench in this run.") var pgqueuerJobsPerS: Double?
    @Flag(help: "One JSON object per figure instead of the table.") var json = false

    static let kind = "bench.noop"
    static let latencyKind = "bench.latency"

    func run() async throws {
        var logger = Logger(label: "stockyard.bench")
        logger.logLevel = .warning
        let appURL = try DatabaseURL(parsing: databaseURL)
        let company = try await Database.withPool(url: try DatabaseURL(parsing: ownerDatabaseURL), poolSize: 1, logger: logger) { owner in
            try await CompanyRepository(database: owner).create(name: "Queue bench", logger: logger).id
        }
        // Latency first, on an empty queue: the throughput run leaves a backlog behind.
        let latency = try await measureLatency(company: company, url: appURL, logger: logger)
        let throughput = try await measureThroughput(company: company, url: appURL, logger: logger)
        let report = QueueBenchReport(consumers: consumers, batch: batch, claimBatch: claimBatch, duration: duration, latencyRate: latencyRate,
                                      stockyard: throughput, latencyP50: latency.p50, latencyP99: latency.p99,
                                      pgbench: pgbenchJobsPerS, pgqueuer: pgqueuerJobsPerS)
        print(json ? report.json() : report.table())
    }

    /// Jobs finished per second while one producer keeps the queue fed, after a 2 s warm-up.
    private func measureThroughput(company: Int64, url: DatabaseURL, logger: Logger) async throws -> Double {
        let done = Atomic<Int>(0)
        var handlers = JobHandlers()
        handlers.register(Self.kind, ClosureJobHandler { _, _ in done.add(1, ordering: .relaxed) })
        return try await Database.withPool(url: url, poolSize: consumers + 2, logger: logger) { pool in
            let runner = JobRunner(settings: .init(concurrency: consumers, batchSize: claimBatch, kinds: [Self.kind]), database: pool, listenURL: url,
                                   handlers: handlers, metrics: nil, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                group.addTask {   // the producer: batches of `batch` no-op jobs, one transaction each, as fast as it can
                    let payloads = Array(repeating: JSONValue.object([:]), count: batch)
                    while !Task.isCancelled {
                        try await pool.withCompany(company, logger: logger) { connection in
                            try await JobQueue.enqueue(on: connection, kind: Self.kind, payloads: payloads, logger: logger)
                        }
                    }
                }
                try await Task.sleep(for: .seconds(2))
                let start = (ContinuousClock.now, done.load(ordering: .relaxed))
                try await Task.sleep(for: .seconds(duration))
                let end = (ContinuousClock.now, done.load(ordering: .relaxed))
                group.cancelAll()
                return Double(end.1 - start.1) / start.0.duration(to: end.0).inSeconds
            }
        }
    }

    /// Milliseconds from an enqueue's commit to its job's start, `latencyRate` single-job enqueues per second.
    private func measureLatency(company: Int64, url: DatabaseURL, logger: Logger) async throws -> (p50: Double, p99: Double) {
        let committed = Mutex<[Int64: ContinuousClock.Instant]>([:])
        let started = Mutex<[Int64: ContinuousClock.Instant]>([:])
        var handlers = JobHandlers()
        handlers.register(Self.latencyKind, ClosureJobHandler { job, _ in
            let now = ContinuousClock.now
            started.withLock { $0[job.id] = now }
        })
        let count = latencyRate * latencyDuration
        try await Database.withPool(url: url, poolSize: consumers + 2, logger: logger) { pool in
            let runner = JobRunner(settings: .init(concurrency: consumers, kinds: [Self.latencyKind]), database: pool, listenURL: url,
                                   handlers: handlers, metrics: nil, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                while !runner.isListening { try await Task.sleep(for: .milliseconds(10)) }
                let interval = Duration.seconds(1) / latencyRate
                var next = ContinuousClock.now
                for _ in 0..<count {
                    try await Task.sleep(until: next)
                    next += interval
                    let id = try await pool.withCompany(company, logger: logger) { connection in
                        try await JobQueue.enqueue(on: connection, kind: Self.latencyKind, payload: .object([:]), logger: logger)
                    }
                    let now = ContinuousClock.now
                    committed.withLock { $0[id] = now }
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while started.withLock({ $0.count }) < count && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                group.cancelAll()
            }
        }
        let commits = committed.withLock { $0 }
        let latencies = started.withLock { $0 }.compactMap { id, start in
            commits[id].map { max(0, $0.duration(to: start).inSeconds * 1000) }
        }.sorted()
        return (Percentile.of(latencies, 0.5) ?? .nan, Percentile.of(latencies, 0.99) ?? .nan)
    }
}

/// The one table (or the JSON lines) of `ops/bench queue`.
struct QueueBenchReport {
    let consumers: Int
    let batch: Int
    let claimBatch: Int
    let duration: Int
    let latencyRate: Int
    let stockyard: Double
    let latencyP50: Double
    let latencyP99: Double
    let pgbench: Double?
    let pgqueuer: Double?

    func json() -> String {
        var lines = [figure("stockyard", "jobs_per_s", stockyard), figure("stockyard", "latency_p50_ms", latencyP50),
                     figure("stockyard", "latency_p99_ms", latencyP99)]
        if let pgqueuer { lines.append(figure("pgqueuer", "jobs_per_s", pgqueuer)) }
        if let pgbench { lines.append(figure("pgbench", "jobs_per_s", pgbench)) }
        return lines.joined(separator: "\n")
    }

    private func figure(_ system: String, _ metric: String, _ value: Double) -> String {
        #"{"bench": "queue", "system": "\#(system)", "metric": "\#(metric)", "value": \#(Format.number(value, decimals: 2))}"#
    }

    func table() -> String {
        func ratio(_ peer: Double?) -> String { peer.map { $0 > 0 ? Format.number(stockyard / $0, decimals: 2) + "×" : "—" } ?? "not measured" }
        func verdict(_ ok: Bool) -> String { ok ? "meets" : "MISSES" }
        var rows: [[String]] = [["system", "figure", "value", "target", "verdict"]]
        rows.append(["pgbench (limit)", "jobs/s", pgbench.map { Format.number($0, decimals: 0) } ?? "not measured", "", ""])
        rows.append(["PgQueuer 1.6.0", "jobs/s", pgqueuer.map { Format.number($0, decimals: 0) } ?? "not measured", "", ""])
        rows.append(["Stockyard", "jobs/s", Format.number(stockyard, decimals: 0), "", ""])
        rows.append(["Stockyard / PgQueuer", "ratio", ratio(pgqueuer), "≥ 2×", pgqueuer.map { verdict(stockyard >= 2 * $0) } ?? "—"])
        rows.append(["Stockyard / limit", "ratio", ratio(pgbench), "≥ 0.5×", pgbench.map { verdict(stockyard >= 0.5 * $0) } ?? "—"])
        rows.append(["Stockyard", "enqueue→start p50", Format.number(latencyP50, decimals: 2) + " ms", "≤ 2 ms", verdict(latencyP50 <= 2)])
        rows.append(["Stockyard", "enqueue→start p99", Format.number(latencyP99, decimals: 2) + " ms", "≤ 10 ms", verdict(latencyP99 <= 10)])
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["stockyard-bench queue: no-op jobs, 1 producer in batches of \(batch), \(consumers) consumers " +
                     "(claims of \(claimBatch)), \(duration) s; latency at \(latencyRate) jobs/s; peers in the same run", ""]
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        lines.append("reproduce: ops/bench queue")
        return lines.joined(separator: "\n")
    }
}
