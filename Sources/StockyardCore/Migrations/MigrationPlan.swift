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
