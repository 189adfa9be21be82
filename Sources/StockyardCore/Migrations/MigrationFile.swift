import Crypto

/// One forward-only migration: `NNNN_name.sql`, identified by its number and pinned by its checksum.
public struct MigrationFile: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// SHA-256 of the file's bytes, hex. An applied migration whose file changed is refused.
    public var checksum: String { SHA256.hash(data: Array(sql.utf8)).hexString }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses `0001_tenancy.sql` into (1, "tenancy"); nil for a file that is not a migration.
    public static func parseFileName(_ fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy({ ("0"..."9").contains($0) }), let version = Int(parts[0]),
              !parts[1].isEmpty else { return nil }
        return (version, String(parts[1]))
    }
}
