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

/// Why a set of migration files cannot be applied as it stands.
public enum MigrationPlanError: Error, Equatable, CustomStringConvertible {
    case duplicateVersion(Int)
    case checksumMismatch(version: Int, name: String)
    case unknownApplied(version: Int, name: String)
    case outOfOrder(version: Int, name: String, newestApplied: Int)

    public var description: String {
        switch self {
        case .duplicateVersion(let version):
            "two migration files share version \(version)"
        case .checksumMismatch(let version, let name):
            "migration \(version)_\(name).sql was edited after it was applied (checksum mismatch); migrations are forward-only: add a new file instead"
        case .outOfOrder(let version, let name, let newest):
            "migration \(version)_\(name).sql is new but numbered below \(newest), the newest applied; number it after \(newest)"
        case .unknownApplied(let version, let name):
            "the database has migration \(version)_\(name) applied, but no such file exists; is this an older build?"
        }
    }
}

/// A migration recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let checksum: String
    public init(version: Int, name: String, checksum: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
    }
}

public enum MigrationPlan {
    /// The files still to apply, in order, after checking the applied ones against their files.
    public static func pending(files: [MigrationFile], applied: [AppliedMigration]) throws -> [MigrationFile] {
        var byVersion: [Int: MigrationFile] = [:]
        for file in files {
            guard byVersion.updateValue(file, forKey: file.version) == nil else {
                throw MigrationPlanError.duplicateVersion(file.version)
            }
        }
        for migration in applied {
            guard let file = byVersion[migration.version] else {
                throw MigrationPlanError.unknownApplied(version: migration.version, name: migration.name)
            }
            guard file.checksum == migration.checksum else {
                throw MigrationPlanError.checksumMismatch(version: migration.version, name: migration.name)
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        let pending = files.filter { !appliedVersions.contains($0.version) }.sorted { $0.version < $1.version }
        // A file slipped in below what already ran would run after its successors on some databases only.
        if let newest = appliedVersions.max(), let early = pending.first(where: { $0.version < newest }) {
            throw MigrationPlanError.outOfOrder(version: early.version, name: early.name, newestApplied: newest)
        }
        return pending
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, two digits per byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
