/// Draws an `HTTPBenchReport` for people: a few lines of context, one aligned table, notes, and how to reproduce.
enum ReportTable {
    static func render(_ report: HTTPBenchReport) -> String {
        var lines: [String] = []
        lines.append("stockyard-bench http: \(report.baseURL), \(report.machineCores) cores, \(report.tool)")
        lines.append("  \(report.connections) connections, \(report.durationSeconds) s per scenario after " +
                     "\(report.warmupSeconds) s warm-up, closed loop from a second process on loopback")
        if let server = report.server {
            let start = server.rssAtStartMegabytes.map { ", RSS at start \(Format.number($0, decimals: 1)) MB" } ?? ""
            let quiet = server.logLevel == "info" || server.logLevel == "debug" || server.logLevel == "trace"
                ? " (per-request logs ON: numbers include logging cost)" : " (per-request info logs off)"
            lines.append("  server pid \(server.pid): STOCKYARD_LOG_LEVEL=\(server.logLevel)\(quiet), " +
                         "STOCKYARD_DB_POOL_SIZE=\(server.dbPoolSize)\(start)")
        } else {
            lines.append("  no --server-pid: server memory and CPU not measured")
        }
        lines.append("")

        let header = ["scenario", "tool", "conns", "req/s", "p50 ms", "p99 ms", "non-2xx/errors",
                      "server peak RSS MB", "CPU server/all", "target", "verdict"]
        let rightAligned: Set<Int> = [2, 3, 4, 5, 6, 7, 8]
        var rows: [[String]] = []
        for result in report.scenarios {
            let m = result.measurement
            rows.append([
                result.scenario,
                m?.tool ?? "—",
                m.map { String($0.connections) } ?? "—",
                m.map { Format.number($0.requestsPerSecond, decimals: 0) } ?? "—",
                m.map { Format.number($0.p50Milliseconds, decimals: 2) } ?? "—",
                m.map { Format.number($0.p99Milliseconds, decimals: 2) } ?? "—",
                m.map { $0.failures == 0 ? "0" : "\($0.non2xx)/\($0.socketErrors) !!" } ?? "—",
                result.serverPeakRSSMegabytes.map { Format.number($0, decimals: 1) } ?? "n/a",
                Self.cpu(result),
                result.target.summary,
                result.verdict == .meets ? "meets" : result.verdict.rawValue.uppercased(),
            ])
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: " | ").trimmingSuffix(" ")
        }
        lines.append(line(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
        lines.append(contentsOf: rows.map(line))
        lines.append("")

        for result in report.scenarios {
            for reason in result.reasons {
                lines.append("\(result.verdict == .invalid ? "!! " : "   ")\(result.scenario): \(reason)")
            }
        }
        if !report.allValid {
            lines.append("!! INVALID scenarios had failed requests or could not run; do not quote their numbers.")
        }
        if let method = report.scenarios.compactMap(\.measurement).first?.percentileMethod {
            lines.append("   percentiles: \(method); server peak RSS = VmHWM after the scenario (process lifetime " +
                         "peak); CPU = CPU time / wall time, 100% = one core, of " +
                         "\(report.machineCores * 100)%; all = every process (server, load generator, Postgres…)")
        }
        lines.append("reproduce: \(report.reproduce)")
        return lines.joined(separator: "\n")
    }

    /// `158/196%`: the server's CPU and the whole machine's over the scenario.
    private static func cpu(_ result: ScenarioResult) -> String {
        guard result.serverCPUPercent != nil || result.machineCPUPercent != nil else { return "n/a" }
        let server = result.serverCPUPercent.map { Format.number($0, decimals: 0) } ?? "n/a"
        let machine = result.machineCPUPercent.map { Format.number($0, decimals: 0) } ?? "n/a"
        return "\(server)/\(machine)%"
    }
}
