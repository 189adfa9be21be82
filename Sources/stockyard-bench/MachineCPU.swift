import Foundation

/// The whole machine's CPU time from the first line of `/proc/stat`, to tell how busy every core was during a
/// scenario: on a 2-core box the server, the load generator and Postgres all compete for the same cores.
struct MachineCPU: Sendable {
    let busy: Double
    let total: Double

    static func read() -> MachineCPU? {
        guard let stat = ServerProcess.read("/proc/stat"), let line = stat.split(separator: "\n").first,
              line.hasPrefix("cpu ") else { return nil }
        // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        let idle = ticks[3] + ticks[4]
        let total = ticks.reduce(0, +)
        return MachineCPU(busy: total - idle, total: total)
    }

    /// Busy time since `earlier` as a percentage of one core (so up to 100 × cores).
    func busyPercent(since earlier: MachineCPU) -> Double? {
        let elapsedTicks = total - earlier.total
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        guard elapsedTicks > 0 else { return nil }
        return (busy - earlier.busy) / elapsedTicks * 100 * cores
    }
}
