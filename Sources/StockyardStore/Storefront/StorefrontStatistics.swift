import Logging
import PostgresNIO

/// Fresh planner statistics for the storefront tables once an import has committed (migration 0024, decisions D28):
/// a new catalogue's lookups would otherwise run on plans made without statistics until autovacuum's first analyze.
/// Maintenance, not tenant data (it reads and returns nothing of any company), so it runs outside a company's
/// transaction. The import has already committed, so a failure here is logged and the import still succeeds.
enum StorefrontStatistics {
    static func refresh(_ database: Database, logger: Logger) async {
        do {
            try await database.withConnection { connection in
                _ = try await connection.query("SELECT stockyard.refresh_storefront_statistics()", logger: logger).collect()
            }
        } catch {
            logger.warning("the storefront tables' statistics were not refreshed after an import", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
