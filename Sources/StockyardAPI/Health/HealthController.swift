import Hummingbird
import Logging
import StockyardCore
import StockyardStore

/// `/health` says the process is alive; `/ready` that it can serve: database reachable, schema current.
struct HealthController {
    let database: Database
    /// The newest migration this build knows; the database must have applied it.
    let expectedMigrations: [MigrationFile]

    struct Health: ResponseEncodable { let status: String }
    struct Readiness: ResponseEncodable {
        let status: String
        let database: String
        let appliedMigrations: Int
        let expectedMigrations: Int
        let pendingMigrations: [String]
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in Health(status: "ok") }
        router.get("/ready") { _, context in try await ready(context: context) }
    }

    func ready(context: AppRequestContext) async throws -> EditedResponse<Readiness> {
        let applied: [AppliedMigration]
        do {
            applied = try await withDeadline(.seconds(2)) {
                try await database.withConnection { try await Migrator.readApplied(on: $0, logger: context.logger) }
            }
        } catch {
            context.logger.warning("readiness: database unreachable", metadata: ["error": "\(String(reflecting: error))"])
            throw AppError.unavailable("the database is not reachable")
        }
        // Applied means applied with the same checksum: an edited file is as unready as a missing one.
        let appliedChecksums = Dictionary(applied.map { ($0.version, $0.checksum) }, uniquingKeysWith: { first, _ in first })
        let pending = expectedMigrations.filter { appliedChecksums[$0.version] != $0.checksum }.map { "\($0.version)_\($0.name)" }
        let readiness = Readiness(status: pending.isEmpty ? "ready" : "migrations_pending", database: "ok",
                                  appliedMigrations: applied.count, expectedMigrations: expectedMigrations.count,
                                  pendingMigrations: pending)
        return EditedResponse(status: pending.isEmpty ? .ok : .serviceUnavailable, response: readiness)
    }
}
