import Foundation

/// Everything one `stockyard-bench http` run found, as printed by `--json` (snake_case keys) and drawn as the table.
struct HTTPBenchReport: Sendable, Codable {
    var benchmark = "http"
    let tool: String
    let baseURL: String
    let durationSeconds: Int
    let warmupSeconds: Int
    let connections: Int
    let machineCores: Int
    let server: ServerInfo?
    let scenarios: [ScenarioResult]
    /// The command that reproduces this run.
    let reproduce: String

    /// Whether every scenario produced only 2xx responses (a benchmark of 401s or refused connections means nothing).
    var allValid: Bool { scenarios.allSatisfy(\.valid) }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// The server under test as the bench saw it before the first scenario.
struct ServerInfo: Sendable, Codable {
    let pid: Int32
    /// STOCKYARD_LOG_LEVEL from the server's environment; `info` is the default.
    let logLevel: String
    /// STOCKYARD_DB_POOL_SIZE from the server's environment, or `default` when unset.
    let dbPoolSize: String
    let rssAtStartMegabytes: Double?
}

/// One scenario's outcome: the measurement (nil when it could not run), the server's memory and CPU, the verdict.
struct ScenarioResult: Sendable, Codable {
    enum Verdict: String, Sendable, Codable {
        case meets, misses, invalid
    }

    let scenario: String
    let measurement: LoadMeasurement?
    /// VmHWM read after the scenario: the server process's peak resident memory so far (not just this scenario).
    let serverPeakRSSMegabytes: Double?
    /// The largest VmRSS sampled (every 100 ms) during this scenario.
    let serverMaxRSSDuringMegabytes: Double?
    /// Server CPU time over the scenario's wall time; 100 = one core busy.
    let serverCPUPercent: Double?
    /// All processes' CPU time over the scenario (server, load generator, Postgres, anything else); 100 = one core.
    let machineCPUPercent: Double?
    let target: Target
    let verdict: Verdict
    /// Why it misses or is invalid, and what was not judged.
    let reasons: [String]

    var valid: Bool { verdict != .invalid }

    /// A scenario that never ran: no token, or the preflight request did not get a 2xx.
    static func notRun(_ scenario: HTTPScenario, reason: String) -> ScenarioResult {
        ScenarioResult(scenario: scenario.name, measurement: nil, serverPeakRSSMegabytes: nil,
                       serverMaxRSSDuringMegabytes: nil, serverCPUPercent: nil, machineCPUPercent: nil, target: scenario.target,
                       verdict: .invalid, reasons: ["not run: \(reason)"])
    }

    /// Judges a measurement against the scenario's target; any failed request makes it invalid.
    static func judged(_ scenario: HTTPScenario, _ measurement: LoadMeasurement, peakRSS: Double?,
                       maxRSSDuring: Double?, cpuPercent: Double?, machineCPUPercent: Double?) -> ScenarioResult {
        var verdict = Verdict.meets
        var reasons: [String] = []
        if measurement.failures > 0 {
            verdict = .invalid
            let detail = measurement.non2xxDetail.map { " (\($0))" } ?? ""
            reasons.append("\(measurement.non2xx) non-2xx\(detail) and \(measurement.socketErrors) socket errors " +
                           "in \(measurement.requests) requests: these numbers do not describe the endpoint working")
        }
        let (missed, unjudged) = scenario.target.misses(measurement, peakRSSMegabytes: peakRSS)
        if !missed.isEmpty {
            if verdict == .meets { verdict = .misses }
            reasons.append("misses: " + missed.joined(separator: "; "))
        }
        if !unjudged.isEmpty { reasons.append("not judged: " + unjudged.joined(separator: "; ")) }
        return ScenarioResult(scenario: scenario.name, measurement: measurement, serverPeakRSSMegabytes: peakRSS,
                              serverMaxRSSDuringMegabytes: maxRSSDuring, serverCPUPercent: cpuPercent,
                              machineCPUPercent: machineCPUPercent,
                              target: scenario.target, verdict: verdict, reasons: reasons)
    }
}
