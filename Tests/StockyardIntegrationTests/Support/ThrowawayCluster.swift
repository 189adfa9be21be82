import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import StockyardCore
import StockyardStore

/// A PostgreSQL cluster of one test's own, made by `ops/pg` in a temporary directory on a random port, migrated,
/// so that the test can crash the server without touching the shared test database.
struct ThrowawayCluster: Sendable {
    let directory: String
    let port: Int
    let ownerURL: DatabaseURL
    let appURL: DatabaseURL

    /// Where clusters live: `stockyard-cluster-<pid of the test process>-<random>` in the temporary directory.
    static let prefix = "stockyard-cluster-"

    /// Creates, starts and migrates a new cluster, after stopping and removing those of test processes that died
    /// without cleaning up (killed at a time limit, say).
    static func start(logger: Logger) async throws -> ThrowawayCluster {
        reapOrphans()
        let directory = NSTemporaryDirectory() + prefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let port = Int.random(in: 55_000...56_000)
        let owner = try DatabaseURL(parsing: "postgres://stockyard_owner:stockyard_owner@127.0.0.1:\(port)/stockyard")
        var app = owner
        app.username = "stockyard_app"
        app.password = "stockyard_app"
        let cluster = ThrowawayCluster(directory: directory, port: port, ownerURL: owner, appURL: app)
        do {
            try cluster.up()
            try await Database.withPool(url: owner, poolSize: 1, logger: logger) { pool in
                _ = try await Migrator(database: pool, logger: logger)
                    .migrate(Migrator.loadFiles(directory: TestEnvironment.migrationsDirectory))
            }
        } catch {
            cluster.destroy()
            throw error
        }
        return cluster
    }

    /// Starts the server (after a crash: recovers from the WAL first). Tried three times: a start right after an
    /// immediate shutdown was seen to fail once in about 55 runs.
    func up() throws {
        for attempt in 1...3 {
            do { return try opsPG("up") } catch where attempt < 3 { Thread.sleep(forTimeInterval: 1) }
        }
    }

    /// Stops the server at once, without a checkpoint, as a crash would.
    func kill() throws { try opsPG("kill") }

    /// Stops the server and removes its files.
    func destroy() {
        try? opsPG("down")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops and removes the clusters whose test process is gone.
    static func reapOrphans() {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).split(separator: "-").first.flatMap { pid_t($0) }
            guard let owner, owner != getpid(), Glibc.kill(owner, 0) != 0 else { continue }
            try? opsPG("down", directory: temporary + name, port: 0)
            try? FileManager.default.removeItem(atPath: temporary + name)
        }
    }

    /// `system`, not Foundation's `Process`: `ops/pg` leaves a postmaster behind that holds inherited descriptors,
    /// and `Process.waitUntilExit` was seen to hang on that.
    private func opsPG(_ command: String) throws { try Self.opsPG(command, directory: directory, port: port) }

    private static func opsPG(_ command: String, directory: String, port: Int) throws {
        let script = URL(fileURLWithPath: TestEnvironment.migrationsDirectory).deletingLastPathComponent()
            .appendingPathComponent("ops/pg").path
        let line = "STOCKYARD_PG_DATA='\(directory)/pg' STOCKYARD_PG_PORT=\(port) '\(script)' \(command) </dev/null >/dev/null 2>&1"
        let status = system(line)
        guard status == 0 else { throw OpsPGFailed(command: command, status: status) }
    }

    struct OpsPGFailed: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        var description: String { "ops/pg \(command) exited with status \(status)" }
    }
}
