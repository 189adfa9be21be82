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
    /// without cleaning up (killed at a time limit, say). Its port is below Linux's ephemeral range (32768–60999): a
    /// port in that range can be held by any outgoing connection of the machine at the moment the server binds it,
    /// or rebinds it after a crash (seen: "ops/pg up exited with status 256" a few runs in a hundred). A start that
    /// fails anyway is tried again on another port.
    static func start(logger: Logger) async throws -> ThrowawayCluster {
        reapOrphans()
        for attempt in 1...3 {
            let directory = NSTemporaryDirectory() + prefix + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let port = Int.random(in: 22_000...29_999)
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
                return cluster
            } catch where attempt < 3 {
                cluster.destroy()
            } catch {
                cluster.destroy()
                throw error
            }
        }
        fatalError("unreachable: the last attempt returns or throws")
    }

    /// Starts the server (after a crash: recovers from the WAL first), tried three times a second apart.
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
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) && !name.hasSuffix(".log") {
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
        let output = "\(directory)-ops-pg.log"
        let line = "STOCKYARD_PG_DATA='\(directory)/pg' STOCKYARD_PG_PORT=\(port) '\(script)' \(command) </dev/null >'\(output)' 2>&1"
        let status = system(line)
        defer { try? FileManager.default.removeItem(atPath: output) }
        guard status == 0 else {
            let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw OpsPGFailed(command: command, status: status, output: String(said.suffix(1500)))
        }
    }

    struct OpsPGFailed: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String { "ops/pg \(command) exited with status \(status): \(output)" }
    }
}
