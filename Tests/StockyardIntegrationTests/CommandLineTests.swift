import Foundation
import StockyardCore
import Testing

/// The `stockyard` executable as operators and scripts use it: real processes, real exit codes, `--json`.
@Suite struct CommandLineTests {
    @Test func twoConcurrentMigrateProcessesEndInOneConsistentSchema() async throws {
        try await withScratchDatabase { client, environment in
            let name = try await client.collect("SELECT current_database()").first!.decode(String.self)
            let owner = environment.ownerURL.with(database: name)
            let environmentVariables = [
                "STOCKYARD_OWNER_DATABASE_URL": url(owner),
                "STOCKYARD_MIGRATIONS_DIR": TestEnvironment.migrationsDirectory,
            ]
            async let first = stockyard(["migrate", "--json"], environment: environmentVariables)
            async let second = stockyard(["migrate", "--json"], environment: environmentVariables)
            let results = try await [first, second]
            #expect(results.map(\.status) == [0, 0], "\(results.map(\.stderr))")
            let applied = try results.map { try JSONSerialization.jsonObject(with: Data($0.stdout.utf8)) as? [String: Any] }
                .map { ($0?["applied"] as? [String]) ?? [] }
            // One process applied every migration, the other found the schema up to date.
            #expect(applied.filter { !$0.isEmpty }.count == 1)
            #expect(applied.flatMap { $0 }.count == environment.migrations.count)
            let again = try await stockyard(["migrate"], environment: environmentVariables)
            #expect(again.status == 0 && again.stdout.contains("up to date"))
        }
    }

    @Test func companyAndTokenCommandsPrintJSONForScripts() async throws {
        let environment = try await TestEnvironment.get()
        let variables = ["STOCKYARD_OWNER_DATABASE_URL": url(environment.ownerURL)]
        let company = try await stockyard(["company", "create", "Scripted Co", "--json"], environment: variables)
        #expect(company.status == 0, "\(company.stderr)")
        let companyJSON = try #require(try JSONSerialization.jsonObject(with: Data(company.stdout.utf8)) as? [String: Any])
        let companyID = try #require(companyJSON["id"] as? Int)
        #expect(companyJSON["name"] as? String == "Scripted Co")

        let token = try await stockyard(["token", "issue", "--company", "\(companyID)", "--scope", "stock:read", "--json"],
                                        environment: variables)
        #expect(token.status == 0, "\(token.stderr)")
        let tokenJSON = try #require(try JSONSerialization.jsonObject(with: Data(token.stdout.utf8)) as? [String: Any])
        let value = try #require(tokenJSON["token"] as? String)
        #expect(tokenJSON["id"] is Int)
        #expect(tokenJSON["scopes"] as? [String] == ["stock:read"])

        let me = try await withAPI { try await $0.send(.get, "/v1/me", token: value) }
        #expect(try me.json()["company_id"] as? Int == companyID)

        let badScope = try await stockyard(["token", "issue", "--company", "\(companyID)", "--scope", "everything"], environment: variables)
        #expect(badScope.status != 0)
        #expect(badScope.stderr.contains("unknown scope 'everything'"))
    }

    private func url(_ url: DatabaseURL) -> String {
        "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
    }
}

struct ProcessResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the `stockyard` executable built beside this test bundle.
func stockyard(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let executable = binDirectory.appendingPathComponent("stockyard")
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw TestFailure("no stockyard executable at \(executable.path); build it with `swift build`")
    }
    return try await Task.detached {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }.value
}
