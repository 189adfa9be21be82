import ArgumentParser
import Foundation
import StockyardCore

/// `stockyard-bench http`: `GET /health` and the authenticated, company-scoped `GET /v1/me` under closed-loop load,
/// with wrk when it is on PATH, else the built-in client. Reports req/s, p50/p99 and the server's peak RSS against
/// the targets; exits 1 when a scenario had failed requests (its numbers would describe errors, not the API).
struct HTTPBench: AsyncParsableCommand, ClientThreading {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Load GET /health and GET /v1/me; report req/s, p50/p99 latency and the server's peak RSS.")

    /// Which load generator to use.
    enum Tool: String, ExpressibleByArgument, CaseIterable, Sendable {
        case auto, wrk, builtin
    }

    @Option(help: "The server's base URL.") var baseURL = "http://127.0.0.1:8080"
    @Option(help: "An API token for GET /v1/me (`stockyard demo --json` issues one).") var token: String?
    @Option(help: "The server's process id, to read its memory (VmHWM, VmRSS) and CPU from /proc.") var serverPid: Int32?
    @Option(help: "Seconds of measured load per scenario.") var duration = 10
    @Option(help: "Concurrent keep-alive connections.") var connections = 16
    @Option(help: "Seconds of unmeasured load before each scenario.") var warmup = 2
    @Option(help: "Load generator: auto (wrk if on PATH), wrk, or builtin.") var tool = Tool.auto
    @Option(help: "Event-loop threads for the built-in client.") var clientThreads = 1
    @Flag(help: "Print the results as JSON instead of the table.") var json = false

    func validate() throws {
        guard duration > 0 else { throw ValidationError("--duration must be at least 1 second") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative") }
        guard connections > 0 else { throw ValidationError("--connections must be at least 1") }
        guard clientThreads > 0 else { throw ValidationError("--client-threads must be at least 1") }
    }

    func run() async throws {
        Subprocess.forwardTerminationSignals()
        let endpoint = try Endpoint(baseURL: baseURL)
        let generator = try await chooseGenerator()
        let server = serverPid.map(ServerProcess.init(pid:))
        if let server, !server.isAlive { throw BenchError("no process \(server.pid) (--server-pid)") }
        progress("\(generator.summary) → \(endpoint), \(connections) connections, \(warmup) s warm-up + \(duration) s each")

        let serverInfo = server.map { server in
            let environment = server.environment(prefix: "STOCKYARD_")
            let defaults = StockyardConfig.defaults
            return ServerInfo(pid: server.pid, logLevel: environment["STOCKYARD_LOG_LEVEL"] ?? defaults.logLevel,
                              dbPoolSize: environment["STOCKYARD_DB_POOL_SIZE"] ?? "\(defaults.databasePoolSize) (default)",
                              rssAtStartMegabytes: server.memory().map { Format.megabytes($0.rss) })
        }
        var results: [ScenarioResult] = []
        for scenario in [HTTPScenario.health, .me(token: token)] {
            results.append(try await measure(scenario, at: endpoint, with: generator, server: server))
        }
        let report = HTTPBenchReport(
            tool: generator.summary, baseURL: endpoint.description, durationSeconds: duration, warmupSeconds: warmup,
            connections: connections, machineCores: ProcessInfo.processInfo.activeProcessorCount, server: serverInfo,
            scenarios: results, reproduce: reproduceCommand)
        print(json ? try report.json() : ReportTable.render(report))
        if !report.allValid { throw ExitCode(1) }
    }

    /// Preflight, warm-up, then the measured run with the server's memory and CPU watched alongside.
    private func measure(_ scenario: HTTPScenario, at endpoint: Endpoint, with generator: any LoadGenerator,
                         server: ServerProcess?) async throws -> ScenarioResult {
        if let unavailable = scenario.unavailable {
            progress("\(scenario.name): skipped, \(unavailable)")
            return .notRun(scenario, reason: unavailable)
        }
        let request = scenario.request(at: endpoint)
        do {
            let response = try await HTTPConnection.fetchOnce(request)
            guard (200..<300).contains(response.status) else {
                progress("\(scenario.name): preflight got HTTP \(response.status); not loading it")
                return .notRun(scenario, reason: "preflight request got HTTP \(response.status)")
            }
        } catch {
            progress("\(scenario.name): preflight failed: \(error)")
            return .notRun(scenario, reason: "preflight request failed: \(error)")
        }
        if warmup > 0 {
            progress("\(scenario.name): warming up for \(warmup) s")
            _ = try await generator.run(request, connections: connections, seconds: warmup)
        }
        progress("\(scenario.name): measuring for \(duration) s")
        let cpuBefore = server?.cpuSeconds()
        let machineBefore = MachineCPU.read()
        let sampler = server.map { server in Task { await server.largestRSSUntilCancelled() } }
        let measurement: LoadMeasurement
        do {
            measurement = try await generator.run(request, connections: connections, seconds: duration)
        } catch {
            sampler?.cancel()
            throw error
        }
        sampler?.cancel()
        let largestRSS = await sampler?.value
        let cpuAfter = server?.cpuSeconds()
        let machineBusy = MachineCPU.read().flatMap { after in machineBefore.flatMap { after.busyPercent(since: $0) } }
        let memory = server?.memory()
        if let server, memory == nil { progress("!! server process \(server.pid) is gone") }
        var cpuPercent: Double?
        if let cpuBefore, let cpuAfter, measurement.seconds > 0 {
            cpuPercent = (cpuAfter - cpuBefore) / measurement.seconds * 100
        }
        let result = ScenarioResult.judged(
            scenario, measurement, peakRSS: memory.map { Format.megabytes($0.peak) },
            maxRSSDuring: largestRSS.flatMap { $0 > 0 ? Format.megabytes($0) : nil }, cpuPercent: cpuPercent,
            machineCPUPercent: machineBusy)
        progress("\(scenario.name): \(Format.number(measurement.requestsPerSecond, decimals: 0)) req/s, " +
                 "p99 \(Format.number(measurement.p99Milliseconds, decimals: 2)) ms, \(result.verdict.rawValue)")
        return result
    }

    private func chooseGenerator() async throws -> any LoadGenerator {
        let builtin = ClosedLoopClient(threads: clientThreads)
        switch tool {
        case .builtin:
            return builtin
        case .wrk:
            guard let wrk = await WrkRunner.find() else { throw BenchError("--tool wrk, but wrk is not on PATH") }
            return wrk
        case .auto:
            if let wrk = await WrkRunner.find() { return wrk }
            progress("wrk is not on PATH; using the built-in client")
            return builtin
        }
    }

    /// `ops/bench http` with this run's settings (the token and pid are ops/bench's own to supply).
    private var reproduceCommand: String {
        var words = ["ops/bench", "http", "--duration", "\(duration)", "--connections", "\(connections)",
                     "--warmup", "\(warmup)"]
        if tool != .auto { words += ["--tool", tool.rawValue] }
        if clientThreads != 1 { words += ["--client-threads", "\(clientThreads)"] }
        if json { words.append("--json") }
        return words.joined(separator: " ")
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("stockyard-bench: \(message)\n".utf8))
    }
}
