import Foundation

/// What the issue asks of a scenario. A nil bound is not judged.
struct Target: Sendable, Codable {
    var minRequestsPerSecond: Double?
    var maxP99Milliseconds: Double?
    var maxPeakRSSMegabytes: Double?

    /// `≥ 5000 req/s, p99 < 10 ms, RSS < 100 MB`, or `—` when nothing is judged.
    var summary: String {
        var parts: [String] = []
        if let minRequestsPerSecond { parts.append("≥ \(Int(minRequestsPerSecond)) req/s") }
        if let maxP99Milliseconds { parts.append("p99 < \(Format.number(maxP99Milliseconds)) ms") }
        if let maxPeakRSSMegabytes { parts.append("RSS < \(Format.number(maxPeakRSSMegabytes)) MB") }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }

    /// The bounds `measurement` (and the server's peak RSS, when known) fails, each as a short phrase.
    func misses(_ measurement: LoadMeasurement, peakRSSMegabytes: Double?) -> (missed: [String], unjudged: [String]) {
        var missed: [String] = []
        var unjudged: [String] = []
        if let minRequestsPerSecond, measurement.requestsPerSecond < minRequestsPerSecond {
            missed.append("req/s \(Format.number(measurement.requestsPerSecond, decimals: 0)) < \(Int(minRequestsPerSecond))")
        }
        if let maxP99Milliseconds, !(measurement.p99Milliseconds < maxP99Milliseconds) {
            missed.append("p99 \(Format.number(measurement.p99Milliseconds, decimals: 2)) ms ≥ \(Format.number(maxP99Milliseconds)) ms")
        }
        if let maxPeakRSSMegabytes {
            if let peakRSSMegabytes {
                if !(peakRSSMegabytes < maxPeakRSSMegabytes) {
                    missed.append("RSS \(Format.number(peakRSSMegabytes, decimals: 1)) MB ≥ \(Format.number(maxPeakRSSMegabytes)) MB")
                }
            } else {
                unjudged.append("RSS (no --server-pid)")
            }
        }
        return (missed, unjudged)
    }
}

/// Number formatting for the report.
enum Format {
    /// `5000`, `2.5`, or with a fixed number of decimals.
    static func number(_ value: Double, decimals: Int? = nil) -> String {
        if let decimals { return String(format: "%.\(decimals)f", value) }
        return value == value.rounded() ? String(Int(value)) : String(value)
    }

    static func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}
