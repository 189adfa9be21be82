import StockyardCore
import Testing

@Suite struct MigrationPlanTests {
    let files = [
        MigrationFile(version: 1, name: "tenancy", sql: "CREATE TABLE a (id int)"),
        MigrationFile(version: 2, name: "stock", sql: "CREATE TABLE b (id int)"),
    ]

    @Test func parsesOnlyNNNNNameSqlFiles() {
        #expect(MigrationFile.parseFileName("0001_tenancy.sql")! == (1, "tenancy"))
        #expect(MigrationFile.parseFileName("0012_stock_moves.sql")! == (12, "stock_moves"))
        for name in ["+001_x.sql", "-001_x.sql", "1_x.sql", "0001.sql", "0001_.sql", "0001_x.txt", "README.md", "abcd_x.sql", "00001_x.sql"] {
            #expect(MigrationFile.parseFileName(name) == nil, "\(name)")
        }
    }

    @Test func pendingIsWhatIsNotAppliedInVersionOrder() throws {
        let applied = [AppliedMigration(version: 1, name: "tenancy", checksum: files[0].checksum)]
        #expect(try MigrationPlan.pending(files: files.reversed(), applied: []).map(\.version) == [1, 2])
        #expect(try MigrationPlan.pending(files: files, applied: applied).map(\.version) == [2])
        let all = files.map { AppliedMigration(version: $0.version, name: $0.name, checksum: $0.checksum) }
        #expect(try MigrationPlan.pending(files: files, applied: all).isEmpty)
    }

    @Test func anEditedAppliedFileIsRefused() {
        let applied = [AppliedMigration(version: 1, name: "tenancy", checksum: MigrationFile(version: 1, name: "tenancy", sql: "old").checksum)]
        #expect(throws: MigrationPlanError.checksumMismatch(version: 1, name: "tenancy")) {
            try MigrationPlan.pending(files: files, applied: applied)
        }
    }

    @Test func anAppliedMigrationWithoutAFileAndDuplicateVersionsAreRefused() {
        #expect(throws: MigrationPlanError.unknownApplied(version: 7, name: "gone")) {
            try MigrationPlan.pending(files: files, applied: [AppliedMigration(version: 7, name: "gone", checksum: "x")])
        }
        #expect(throws: MigrationPlanError.duplicateVersion(2)) {
            try MigrationPlan.pending(files: files + [MigrationFile(version: 2, name: "again", sql: "")], applied: [])
        }
    }

    @Test func aNewFileNumberedBelowTheNewestAppliedIsRefused() {
        let applied = [AppliedMigration(version: 2, name: "stock", checksum: files[1].checksum)]
        #expect(throws: MigrationPlanError.outOfOrder(version: 1, name: "tenancy", newestApplied: 2)) {
            try MigrationPlan.pending(files: files, applied: applied)
        }
    }

    @Test func checksumIsTheSHA256OfTheFile() {
        // sha256("") is a well-known constant.
        #expect(MigrationFile(version: 1, name: "x", sql: "").checksum == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
