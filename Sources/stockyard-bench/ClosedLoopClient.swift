import NIOCore
import NIOHTTP1
import StockyardCore

/// The bench's own load generator, used when wrk is not installed: `connections` keep-alive connections, each
/// sending its next request as soon as the previous response has ended (a closed loop, as wrk does). It keeps every
/// latency, so p50 and p99 are exact order statistics rather than histogram estimates.
struct ClosedLoopClient: LoadGenerator {
    let threads: Int
    var name: String { "built-in" }
    var summary: String { "built-in client (NIO, HTTP/1.1 keep-alive, \(threads) event-loop thread\(threads == 1 ? "" : "s"))" }

    /// How long past the end a connection may wait for its last response before it is cut off and counted as failed.
    static let grace: Duration = .seconds(5)

    func run(_ request: LoadRequest, connections: Int, seconds: Int) async throws -> LoadMeasurement {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        let head = request.head
        var tallies: [ConnectionTally] = []
        await withTaskGroup(of: ConnectionTally?.self) { group in
            for _ in 0..<connections {
                group.addTask { await Self.drive(request.endpoint, head, until: deadline) }
            }
            group.addTask {   // watchdog: a server that stops answering must not hang the bench
                try? await clock.sleep(until: deadline + Self.grace)
                return nil
            }
            while let next = await group.next() {
                if let tally = next {
                    tallies.append(tally)
                    if tallies.count == connections { group.cancelAll() }
                } else if tallies.count < connections {
                    group.cancelAll()
                }
            }
        }
        var total = ConnectionTally()
        for tally in tallies { total.merge(tally) }
        let end = total.lastCompletion ?? clock.now
        let elapsed = start.duration(to: end).inSeconds
        let sorted = total.latencies.sorted()
        return LoadMeasurement(
            tool: name, connections: connections, seconds: elapsed, requests: sorted.count,
            requestsPerSecond: elapsed > 0 ? Double(sorted.count) / elapsed : 0,
            p50Milliseconds: Percentile.of(sorted, 0.50).map { Double($0) / 1e6 } ?? 0,
            p99Milliseconds: Percentile.of(sorted, 0.99).map { Double($0) / 1e6 } ?? 0,
            non2xx: total.non2xx, socketErrors: total.socketErrors,
            non2xxDetail: total.statusDetail,
            percentileMethod: "exact (nearest rank over every recorded latency)")
    }

    /// One connection's loop: (re)connect, then request after request until the deadline.
    private static func drive(_ endpoint: Endpoint, _ head: HTTPRequestHead,
                              until deadline: ContinuousClock.Instant) async -> ConnectionTally {
        let clock = ContinuousClock()
        var tally = ConnectionTally()
        tally.latencies.reserveCapacity(1 << 16)
        while clock.now < deadline, !Task.isCancelled {
            do {
                try await HTTPConnection.connect(to: endpoint).executeThenClose { inbound, outbound in
                    var exchange = HTTPConnection.Exchange(inbound: inbound, outbound: outbound)
                    while clock.now < deadline {
                        let sent = clock.now
                        let response = try await exchange.send(head)
                        let done = clock.now
                        tally.record(nanoseconds: Self.nanoseconds(sent.duration(to: done)), status: response.status, at: done)
                        if !response.keepAlive { return }
                    }
                }
            } catch {
                tally.socketErrors += 1
                try? await Task.sleep(for: .milliseconds(10))   // do not spin while the server refuses connections
            }
        }
        return tally
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}

/// What one connection saw: every latency, and the failures.
struct ConnectionTally: Sendable {
    var latencies: [UInt64] = []
    var non2xx = 0
    var socketErrors = 0
    var statuses: [UInt: Int] = [:]
    var lastCompletion: ContinuousClock.Instant?

    mutating func record(nanoseconds: UInt64, status: UInt, at instant: ContinuousClock.Instant) {
        latencies.append(nanoseconds)
        if !(200..<300).contains(status) {
            non2xx += 1
            statuses[status, default: 0] += 1
        }
        lastCompletion = instant
    }

    mutating func merge(_ other: ConnectionTally) {
        latencies.append(contentsOf: other.latencies)
        non2xx += other.non2xx
        socketErrors += other.socketErrors
        statuses.merge(other.statuses, uniquingKeysWith: +)
        if let theirs = other.lastCompletion { lastCompletion = max(lastCompletion ?? theirs, theirs) }
    }

    /// `401×1234, 500×2`, or nil when every response was 2xx.
    var statusDetail: String? {
        statuses.isEmpty ? nil : statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
    }
}

/// Percentiles of sorted samples by the nearest-rank method: the smallest sample with at least p of them at or below it.
enum Percentile {
    static func of<T>(_ sorted: [T], _ p: Double) -> T? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
