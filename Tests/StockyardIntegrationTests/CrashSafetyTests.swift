import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// Claims and batched acks commit asynchronously (decisions D14). This is the test that makes that fair: the
/// whole Postgres server crashes (immediate shutdown: no checkpoint, unflushed WAL lost) in the middle of a run;
/// after recovery every enqueued job still ends done. A crash may re-run a job, never lose one.
@Suite(.serialized) struct CrashSafetyTests {
    @Test(.enabled(if: ThrowawayCluster.isAvailable, "needs root and PostgreSQL's server binaries"))
    func aServerCrashMidRunLosesNoJob() async throws {
        var logger = Logger(label: "stockyard.tests.crash")
        logger.logLevel = .critical
        let cluster = try ThrowawayCluster()
        defer { cluster.remove() }
        try cluster.start()
        let owner = cluster.url(user: "stockyard_owner"), app = cluster.url(user: "stockyard_app")
        try await Database.withPool(url: owner, poolSize: 1, logger: logger) { pool in
            try await Migrator(client: pool.client, logger: logger).migrate(try Migrator.loadFiles(directory: TestEnvironment.migrationsDirectory))
        }
        let (company, ids) = try await Database.withPool(url: owner, poolSize: 1, logger: logger) { pool in
            let company = try await CompanyRepository(database: pool).create(name: "Crash", logger: logger).id
            let ids = try await pool.withCompany(company, logger: logger) { connection in
                try await JobQueue.enqueue(on: connection, kind: "crash.test", payloads: Array(repeating: .object([:]), count: 1500), logger: logger)
            }
            return (company, ids)
        }
        let ran = RunLog()
        var handlers = JobHandlers()
        handlers.register("crash.test", ClosureJobHandler { job, _ in ran.record(job.id) })
        var settings = testRunnerSettings(kinds: ["crash.test"], concurrency: 5, lease: .seconds(2))
        settings.housekeepingInterval = .milliseconds(200)

        // Run until a third is done, then crash the server under the runner.
        try await Database.withPool(url: app, poolSize: 4, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: app, handlers: handlers, metrics: nil, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                try await waitUntil(timeout: .seconds(60)) { ran.counts.count >= 500 }
                try cluster.crash()
                group.cancelAll()
            }
        }
        try cluster.start()   // crash recovery replays the WAL

        try await Database.withPool(url: app, poolSize: 4, logger: logger) { pool in
            let runner = JobRunner(settings: settings.renamed("after-crash"), database: pool, listenURL: app, handlers: handlers,
                                   metrics: nil, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                try await waitUntil(timeout: .seconds(60)) {
                    let stats = try await JobRepository(database: pool).stats(company: company, logger: logger)
                    return stats.kinds.first?.done == ids.count
                }
                group.cancelAll()
            }
        }
        #expect(Set(ran.counts.keys) == Set(ids), "every job ran at least once")
        let reruns = ran.counts.values.filter { $0 > 1 }.count
        #expect(reruns < ids.count, "re-runs are allowed (\(reruns) here), losses are not")
        try cluster.stop()
    }
}

/// A PostgreSQL cluster of its own in a temporary directory, run as the `postgres` OS user (as ops/pg does), with
/// trust authentication on a Unix socket in that directory, so a test can crash and restart it.
struct ThrowawayCluster {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "\(binaries)/pg_ctl")
    }

    let directory: String
    let port = Int.random(in: 55_000...56_000)

    init() throws {
        directory = "/tmp/stockyard-crash-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.run("chown postgres \(directory)", asPostgres: false)
        try Self.run("\(Self.binaries)/initdb -A trust -U postgres -D \(directory)/data >/dev/null")
        try Self.run("""
            printf "listen_addresses = ''\\nunix_socket_directories = '\(directory)'\\nport = \(port)\\nfsync = on\\n" \
            >> \(directory)/data/postgresql.conf
            """)
    }

    func start() throws {
        try Self.run("\(Self.binaries)/pg_ctl -D \(directory)/data -l \(directory)/server.log -w start >/dev/null")
        try Self.run("""
            \(Self.binaries)/../bin/psql -h \(directory) -p \(port) -U postgres -d postgres -qAt -c \
            "SELECT 'CREATE ROLE stockyard_owner LOGIN CREATEDB BYPASSRLS' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stockyard_owner')" \
            -c "SELECT 'CREATE ROLE stockyard_app LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stockyard_app')" \
            -c "SELECT 'CREATE DATABASE stockyard OWNER stockyard_owner' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'stockyard')" \
            | sed 's/$/;/' | \(Self.binaries)/../bin/psql -h \(directory) -p \(port) -U postgres -d postgres -q >/dev/null
            """)
    }

    /// An immediate shutdown: every server process quits at once, nothing is flushed or checkpointed.
    func crash() throws {
        try Self.run("\(Self.binaries)/pg_ctl -D \(directory)/data -m immediate -w stop >/dev/null")
    }

    func stop() throws {
        try Self.run("\(Self.binaries)/pg_ctl -D \(directory)/data -m fast -w stop >/dev/null")
    }

    func remove() {
        try? Self.run("\(Self.binaries)/pg_ctl -D \(directory)/data -m immediate -w stop")
        try? FileManager.default.removeItem(atPath: directory)
    }

    func url(user: String) -> DatabaseURL {
        DatabaseURL(host: directory, port: port, username: user, password: nil, database: "stockyard")
    }

    /// Runs a shell command (as the `postgres` user unless told otherwise) with `system`, which reaps its child
    /// itself: Foundation's `Process.waitUntilExit` was seen never to return here once `su` had exited.
    static func run(_ command: String, asPostgres: Bool = true) throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("stockyard-crash-\(UInt32.random(in: 0...UInt32.max)).sh")
        try (command + "\n").write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        chmod(script.path, 0o755)
        let status = system(asPostgres ? "su postgres -s /bin/sh \(script.path) </dev/null >/dev/null 2>&1"
                                       : "/bin/sh \(script.path) </dev/null >/dev/null 2>&1")
        guard status == 0 else { throw TestFailure("`\(command)` exited with \(status)") }
    }
}
