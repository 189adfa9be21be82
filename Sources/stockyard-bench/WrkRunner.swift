/// Load from `wrk --latency -t1 -c N -d Ds [-H …] URL`, read back from its printed summary.
/// wrk's percentiles come from its own latency histogram; its error count is responses with status ≥ 400.
struct WrkRunner: LoadGenerator {
    let executable: String
    let version: String
    var name: String { "wrk" }
    var summary: String { "wrk \(version) (-t1, \(executable))" }

    /// wrk from PATH, or nil when it is not installed.
    static func find() async -> WrkRunner? {
        guard let executable = Subprocess.which("wrk") else { return nil }
        // `wrk --version` prints "wrk 4.1.0 [epoll] Copyright …" and exits 1.
        let banner = (try? await Subprocess.run(executable, ["--version"]))?.output ?? ""
        let words = banner.split(whereSeparator: \.isWhitespace)
        let version = words.count > 1 && words[0] == "wrk" ? String(words[1]) : "(version unknown)"
        return WrkRunner(executable: executable, version: version)
    }

    func run(_ request: LoadRequest, connections: Int, seconds: Int) async throws -> LoadMeasurement {
        var arguments = ["--latency", "-t1", "-c", "\(connections)", "-d", "\(seconds)s"]
        for header in request.headers { arguments += ["-H", "\(header.name): \(header.value)"] }
        arguments.append(request.url)
        let result = try await Subprocess.run(executable, arguments)
        guard result.status == 0 else {
            throw BenchError("wrk exited with status \(result.status):\n\(result.output)")
        }
        var measurement = try WrkSummary(parsing: result.output).measurement(connections: connections)
        measurement.tool = name
        return measurement
    }
}

/// The numbers in wrk's `--latency` summary. The lines it reads look like:
///
///     Latency Distribution
///        50%  450.00us
///        99%    1.00ms
///     331234 requests in 10.00s, 40.00MB read
///     Socket errors: connect 0, read 0, write 0, timeout 0
///     Non-2xx or 3xx responses: 123
///     Requests/sec:  33123.45
struct WrkSummary: Equatable {
    var requests: Int?
    var seconds: Double?
    var requestsPerSecond: Double?
    var p50Milliseconds: Double?
    var p99Milliseconds: Double?
    var socketErrors = 0
    var non2xx = 0

    init(parsing output: String) throws {
        for rawLine in output.split(separator: "\n") {
            let words = rawLine.split(whereSeparator: \.isWhitespace)
            guard let first = words.first else { continue }
            switch first {
            case "Requests/sec:" where words.count >= 2:
                requestsPerSecond = Double(words[1])
            case "50%" where words.count >= 2:
                p50Milliseconds = Self.milliseconds(words[1])
            case "99%" where words.count >= 2:
                p99Milliseconds = Self.milliseconds(words[1])
            case "Socket" where rawLine.contains("errors:"):
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                socketErrors = words.compactMap { Int($0.filter(\.isNumber)) }.reduce(0, +)
            case "Non-2xx" where words.count >= 5:
                non2xx = Int(words[4]) ?? 0
            default:
                if words.count >= 4, words[1] == "requests", words[2] == "in", let count = Int(words[0]) {
                    requests = count
                    seconds = Self.milliseconds(Substring(words[3].trimmingSuffix(","))).map { $0 / 1000 }
                }
            }
        }
        guard requestsPerSecond != nil, p50Milliseconds != nil, p99Milliseconds != nil else {
            throw BenchError("could not read wrk's summary (Requests/sec, 50%, 99%) from:\n\(output)")
        }
    }

    func measurement(connections: Int) -> LoadMeasurement {
        LoadMeasurement(
            tool: "wrk", connections: connections, seconds: seconds ?? 0, requests: requests ?? 0,
            requestsPerSecond: requestsPerSecond ?? 0, p50Milliseconds: p50Milliseconds ?? 0,
            p99Milliseconds: p99Milliseconds ?? 0, non2xx: non2xx, socketErrors: socketErrors,
            non2xxDetail: nil, percentileMethod: "wrk's latency histogram")
    }

    /// `450.00us`, `1.00ms`, `2.50s`, `1.00m`, `1.00h` (wrk's units) in milliseconds.
    static func milliseconds(_ text: Substring) -> Double? {
        let units: [(suffix: String, scale: Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)) else { return nil }
            return value * unit.scale
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without any trailing copies of `suffix`.
    func trimmingSuffix(_ suffix: String) -> String {
        var text = String(self)
        while !suffix.isEmpty, text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}

/// A failure of the bench itself (not of the server under test), with a message for the operator.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
