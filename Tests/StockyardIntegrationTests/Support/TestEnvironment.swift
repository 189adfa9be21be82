import Foundation
import Logging
import PostgresNIO
import Prometheus
import StockyardAPI
import StockyardCore
import StockyardStore

/// The test database, created once per test process: dropped, recreated and migrated as the owner.
/// Tests make fresh companies instead of truncating, so they can run in parallel.
///
/// Settings: `STOCKYARD_TEST_DATABASE_URL` (the owner on the test database; default
/// postgres://stockyard_owner:stockyard_owner@127.0.0.1:54329/stockyard_test) and
/// `STOCKYARD_TEST_APP_PASSWORD` (stockyard_app). `ops/test` starts the server.
struct TestEnvironment: Sendable {
    let ownerURL: DatabaseURL
    let appURL: DatabaseURL
    /// Pools, already running: the owner's (bypasses RLS, for setup) and the app's (subject to RLS).
    let owner: Database
    let app: Database
    let migrations: [MigrationFile]
    let logger: Logger

    static let shared = Task<TestEnvironment, any Error> { try await make() }

    static func get() async throws -> TestEnvironment { try await shared.value }

    private static func make() async throws -> TestEnvironment {
        let environment = ProcessInfo.processInfo.environment
        let ownerURL = try DatabaseURL(parsing: environment["STOCKYARD_TEST_DATABASE_URL"]
            ?? "postgres://stockyard_owner:stockyard_owner@127.0.0.1:54329/stockyard_test")
        var appURL = ownerURL
        appURL.username = "stockyard_app"
        appURL.password = environment["STOCKYARD_TEST_APP_PASSWORD"] ?? "stockyard_app"
        var logger = Logger(label: "stockyard.tests")
        logger.logLevel = .error

        try await recreate(database: ownerURL.database, via: ownerURL, logger: logger)
        let migrations = try Migrator.loadFiles(directory: migrationsDirectory)
        let owner = startedDatabase(ownerURL, poolSize: 4, logger: logger)
        try await Migrator(database: owner, logger: logger).migrate(migrations)
        let app = startedDatabase(appURL, poolSize: 12, logger: logger)
        return TestEnvironment(ownerURL: ownerURL, appURL: appURL, owner: owner, app: app, migrations: migrations, logger: logger)
    }

    /// `migrations/` at the package root, wherever the tests run from.
    /// The key the tests' shops' credentials are sealed with (32 bytes in base64).
    static let secretKey = "c3RvY2t5YXJkLXRlc3RzLXNlY3JldC1rZXktMzJieXQ="

    static var migrationsDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations").path
    }

    /// A pool whose `run()` lives as long as the test process.
    static func startedDatabase(_ url: DatabaseURL, poolSize: Int, logger: Logger) -> Database {
        let database = Database(url: url, poolSize: poolSize, logger: logger)
        Task.detached { try await database.pool.run() }
        return database
    }

    /// Drops and creates `database` as the owner, connected to the `postgres` maintenance database.
    static func recreate(database: String, via url: DatabaseURL, logger: Logger) async throws {
        try await withMaintenanceConnection(url, logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(database)\" WITH (FORCE)"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(database)\""), logger: logger)
        }
    }

    static func drop(database: String, via url: DatabaseURL, logger: Logger) async throws {
        try await withMaintenanceConnection(url, logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(database)\" WITH (FORCE)"), logger: logger)
        }
    }

    private static func withMaintenanceConnection(
        _ url: DatabaseURL, logger: Logger, _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        try await DedicatedConnection.with(url.with(database: "postgres"), logger: logger, body)
    }

    // MARK: - Fixtures

    /// A new company with an admin token (or the given scopes).
    func makeCompany(_ name: String = "Company \(UUID().uuidString.prefix(8))", scopes: [Scope] = [.admin]) async throws -> TestCompany {
        let company = try await CompanyRepository(database: owner).create(name: name, logger: logger)
        let issued = try await TokenRepository(database: owner).issue(
            company: company.id, shop: nil, name: "test", scopes: scopes, expiresAt: nil, logger: logger)
        return TestCompany(id: company.id, name: company.name, token: issued.token, tokenID: issued.id)
    }

    /// A shop of `company`, created through the app role inside the company's scope.
    func makeShop(company: Int64) async throws -> Shop {
        try await ShopRepository(database: app).create(
            name: "Shop", domain: "s\(company)-\(UInt32.random(in: 0...UInt32.max)).myshopify.com", company: company, logger: logger)
    }

    /// Another token for an existing company.
    func issueToken(company: Int64, scopes: [Scope], shop: Int64? = nil, expiresAt: Date? = nil) async throws -> IssuedToken {
        try await TokenRepository(database: owner).issue(
            company: company, shop: shop, name: "test", scopes: scopes, expiresAt: expiresAt, logger: logger)
    }

    /// The configuration an API under test runs with.
    func config(maxBodyBytes: Int = StockyardConfig.defaults.maxBodyBytes) -> StockyardConfig {
        var config = StockyardConfig.defaults
        config.databaseURL = appURL
        config.ownerDatabaseURL = ownerURL
        config.maxBodyBytes = maxBodyBytes
        config.migrationsDirectory = Self.migrationsDirectory
        config.httpPort = 0
        config.secretKey = Self.secretKey
        return config
    }

    /// API dependencies on the shared app pool (as `stockyard_app`, subject to RLS).
    func apiDependencies(maxBodyBytes: Int = StockyardConfig.defaults.maxBodyBytes,
                         expectedMigrations: [MigrationFile]? = nil) -> APIDependencies {
        APIDependencies(config: config(maxBodyBytes: maxBodyBytes), database: app, registry: PrometheusCollectorRegistry(),
                        expectedMigrations: expectedMigrations ?? migrations)
    }
}

struct TestCompany: Sendable {
    let id: Int64
    let name: String
    let token: String
    let tokenID: Int64
}

extension Database {
    /// One query on a pooled connection, its rows collected (tests).
    func collect(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { try await $0.rows(query).collect() }
    }
}

extension PostgresConnection {
    /// A query from a test, logged at the tests' level.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        var logger = Logger(label: "stockyard.tests.sql")
        logger.logLevel = .error
        return try await self.query(query, logger: logger)
    }
}
