import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// Each test migrates its own scratch database, so it sees the migrator from an empty schema.
@Suite struct MigrationTests {
    @Test func freshDatabaseGetsEveryMigrationInOrderAndRecordsChecksums() async throws {
        try await withScratchDatabase { client, environment in
            let migrator = Migrator(database: client, logger: environment.logger)
            let applied = try await migrator.migrate(environment.migrations)
            #expect(applied.map(\.version) == environment.migrations.map(\.version))
            let recorded = try await migrator.applied()
            #expect(recorded.map(\.version) == environment.migrations.map(\.version))
            #expect(recorded.map(\.checksum) == environment.migrations.map(\.checksum))
            let tables = try await client.collect(
                "SELECT count(*)::int FROM pg_tables WHERE schemaname = 'stockyard' AND tablename IN ('companies', 'api_tokens', 'shops')"
            ).first!.decode(Int.self)
            #expect(tables == 3)
        }
    }

    @Test func migratingAnUpToDateDatabaseChangesNothing() async throws {
        try await withScratchDatabase { client, environment in
            let migrator = Migrator(database: client, logger: environment.logger)
            try await migrator.migrate(environment.migrations)
            let before = try await migrator.applied()
            let again = try await migrator.migrate(environment.migrations)
            #expect(again.isEmpty)
            #expect(try await migrator.applied() == before)
        }
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        try await withScratchDatabase { client, environment in
            let migrator = Migrator(database: client, logger: environment.logger)
            try await migrator.migrate(environment.migrations)
            var edited = environment.migrations
            let first = edited[0]
            edited[0] = MigrationFile(version: first.version, name: first.name, sql: first.sql + "\n-- edited\n")
            await #expect(throws: MigrationPlanError.checksumMismatch(version: first.version, name: first.name)) {
                try await migrator.migrate(edited)
            }
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await withScratchDatabase { client, environment in
            let migrator = Migrator(database: client, logger: environment.logger)
            let broken = MigrationFile(version: 9999, name: "broken", sql: """
                CREATE TABLE stockyard.half_done (id int);
                INSERT INTO stockyard.half_done VALUES (1);
                SELECT no_such_function();
                """)
            await #expect(throws: MigrationError.self) { try await migrator.migrate(environment.migrations + [broken]) }
            // The good migrations before it landed; the broken one left no table and no record.
            #expect(try await migrator.applied().map(\.version) == environment.migrations.map(\.version))
            let leftover = try await client.collect("SELECT to_regclass('stockyard.half_done') IS NOT NULL").first!.decode(Bool.self)
            #expect(leftover == false)
        }
    }

    @Test func aFileThatControlsItsOwnTransactionIsRefused() async throws {
        try await withScratchDatabase { client, environment in
            let migrator = Migrator(database: client, logger: environment.logger)
            let committing = MigrationFile(version: 9999, name: "commits", sql: "CREATE TABLE stockyard.x (id int);\nCOMMIT;")
            await #expect(throws: MigrationError.self) { try await migrator.migrate(environment.migrations + [committing]) }
            let leftover = try await client.collect("SELECT to_regclass('stockyard.x') IS NOT NULL").first!.decode(Bool.self)
            #expect(leftover == false)
        }
    }

    @Test func aMigrateRunWaitsForTheOneHoldingTheLock() async throws {
        try await withScratchDatabase { client, environment in
            let url = try await scratchURL(of: client, environment: environment)
            // This test's session plays the first `migrate`: it holds the advisory lock.
            try await client.withConnection { holder in
                try await holder.rows("SELECT pg_advisory_lock(\(Migrator.advisoryLockKey))")
                let second = Task {
                    try await Database.withPool(url: url, poolSize: 1, logger: environment.logger) { other in
                        try await Migrator(database: other, logger: environment.logger).migrate(environment.migrations)
                    }
                }
                try await Task.sleep(for: .milliseconds(400))
                let started = try await holder.rows("SELECT to_regclass('stockyard.schema_migrations') IS NOT NULL")
                    .collect().first!.decode(Bool.self)
                #expect(started == false, "the second run must wait for the lock before touching the schema")
                try await holder.rows("SELECT pg_advisory_unlock(\(Migrator.advisoryLockKey))")
                #expect(try await second.value.count == environment.migrations.count)
            }
        }
    }

    @Test func concurrentMigrateRunsEndInOneConsistentSchema() async throws {
        try await withScratchDatabase { client, environment in
            // Separate pools are separate sessions, exactly as two `stockyard migrate` processes would be.
            let url = try await scratchURL(of: client, environment: environment)
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Database.withPool(url: url, poolSize: 1, logger: environment.logger) { other in
                            try await Migrator(database: other, logger: environment.logger).migrate(environment.migrations).map(\.version)
                        }
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            // Exactly one run applied everything; the others found it done.
            #expect(results.filter { !$0.isEmpty } == [environment.migrations.map(\.version)])
            #expect(try await Migrator(database: client, logger: environment.logger).applied().count == environment.migrations.count)
        }
    }
}

/// Creates an empty database, gives `body` a running owner pool on it, and drops it afterwards.
func withScratchDatabase(_ body: (Database, TestEnvironment) async throws -> Void) async throws {
    let environment = try await TestEnvironment.get()
    let name = "stockyard_scratch_\(UInt32.random(in: 0...UInt32.max))"
    try await TestEnvironment.recreate(database: name, via: environment.ownerURL, logger: environment.logger)
    do {
        try await Database.withPool(url: environment.ownerURL.with(database: name), poolSize: 2, logger: environment.logger) {
            try await body($0, environment)
        }
    } catch {
        try? await TestEnvironment.drop(database: name, via: environment.ownerURL, logger: environment.logger)
        throw error
    }
    try await TestEnvironment.drop(database: name, via: environment.ownerURL, logger: environment.logger)
}

private func scratchURL(of client: Database, environment: TestEnvironment) async throws -> DatabaseURL {
    let name = try await client.collect("SELECT current_database()").first!.decode(String.self)
    return environment.ownerURL.with(database: name)
}
