import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Applies `migrations/NNNN_name.sql` in order, each in its own transaction, recorded with its checksum.
/// Runs as the schema owner. Concurrent runs queue on an advisory lock, so they end in one consistent schema.
public struct Migrator: Sendable {
    /// Arbitrary, fixed: every `migrate` process takes the same session-level advisory lock.
    public static let advisoryLockKey: Int64 = 0x5354_4f43_4b59_4152   // "STOCKYAR"

    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Reads every `NNNN_name.sql` in `directory`, sorted by version.
    public static func loadFiles(directory: String) throws -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw MigrationError.missingDirectory(directory)
        }
        return try names.compactMap { fileName -> MigrationFile? in
            guard let (version, name) = MigrationFile.parseFileName(fileName) else { return nil }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(fileName))
            return MigrationFile(version: version, name: name, sql: String(decoding: data, as: UTF8.self))
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is pending and returns it; on an up-to-date database it changes nothing and returns [].
    @discardableResult
    public func migrate(_ files: [MigrationFile]) async throws -> [MigrationFile] {
        try await database.withConnection(deadline: .long) { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let applied = try await migrateLocked(files, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return applied
            } catch {
                if !connection.isClosed {   // a closed connection holds no lock, and would never answer
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                }
                throw error
            }
        }
    }

    /// The migrations recorded in the database; [] when it has never been migrated.
    public func applied() async throws -> [AppliedMigration] {
        try await database.withConnection { try await Self.readApplied(on: $0, logger: logger) }
    }

    private func migrateLocked(_ files: [MigrationFile], on connection: PostgresConnection) async throws -> [MigrationFile] {
        for statement in [
            "CREATE SCHEMA IF NOT EXISTS stockyard",
            """
            CREATE TABLE IF NOT EXISTS stockyard.schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """,
            "GRANT USAGE ON SCHEMA stockyard TO stockyard_app",
            "GRANT SELECT ON stockyard.schema_migrations TO stockyard_app",
            "SET search_path TO stockyard, public",
        ] {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        let pending = try MigrationPlan.pending(files: files, applied: try await Self.readApplied(on: connection, logger: logger))
        for file in pending {
            try await apply(file, on: connection)
            logger.info("applied migration", metadata: ["version": "\(file.version)", "name": "\(file.name)"])
        }
        return pending
    }

    private func apply(_ file: MigrationFile, on connection: PostgresConnection) async throws {
        let statements = SQLStatementSplitter.split(file.sql)
        // Each file is one transaction of the migrator's; a file that commits itself would break that.
        let control = ["BEGIN", "COMMIT", "ROLLBACK", "END", "START TRANSACTION", "SAVEPOINT", "RELEASE"]
        if let index = statements.firstIndex(where: { statement in
            let head = statement.uppercased().split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).prefix(2)
                .joined(separator: " ")
            return control.contains { head == $0 || head.hasPrefix($0 + " ") }
        }) {
            throw MigrationError.statementFailed(file: "\(file.version)_\(file.name).sql", statement: index + 1,
                                                 message: "transaction control is not allowed: each file already runs in one transaction")
        }
        do {
            try await connection.withTransaction(logger: logger) { connection in
                for (index, statement) in statements.enumerated() {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch let error as PSQLError {
                        throw MigrationError.statementFailed(
                            file: "\(file.version)_\(file.name).sql", statement: index + 1,
                            message: error.serverMessage ?? String(reflecting: error))
                    }
                }
                try await connection.query("""
                    INSERT INTO stockyard.schema_migrations (version, name, checksum)
                    VALUES (\(file.version), \(file.name), \(file.checksum))
                    """, logger: logger)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    public static func readApplied(on connection: PostgresConnection, logger: Logger) async throws -> [AppliedMigration] {
        let exists = try await connection.query(
            "SELECT to_regclass('stockyard.schema_migrations') IS NOT NULL", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        var applied: [AppliedMigration] = []
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM stockyard.schema_migrations ORDER BY version", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            applied.append(AppliedMigration(version: version, name: name, checksum: checksum))
        }
        return applied
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case statementFailed(file: String, statement: Int, message: String)

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            "no migrations directory at '\(path)' (set STOCKYARD_MIGRATIONS_DIR)"
        case .statementFailed(let file, let statement, let message):
            "migration \(file) failed at statement \(statement): \(message)"
        }
    }
}
