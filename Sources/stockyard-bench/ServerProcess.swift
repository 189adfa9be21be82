import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The server under test, watched through `/proc/<pid>` (Linux): its resident memory now (VmRSS) and at its peak
/// over the process's life (VmHWM), its CPU time, and the STOCKYARD_* environment it was started with.
struct ServerProcess: Sendable {
    let pid: Int32

    /// Resident set sizes in bytes.
    struct Memory: Sendable {
        let rss: Int
        let peak: Int
    }

    var isAlive: Bool { kill(pid, 0) == 0 }

    /// VmRSS and VmHWM from `/proc/<pid>/status`, or nil when the process is gone.
    func memory() -> Memory? {
        guard let status = Self.read("/proc/\(pid)/status") else { return nil }
        var rss: Int?
        var peak: Int?
        for line in status.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace)   // "VmHWM:     41236 kB"
            guard words.count >= 2, let kilobytes = Int(words[1]) else { continue }
            if words[0] == "VmRSS:" { rss = kilobytes * 1024 }
            if words[0] == "VmHWM:" { peak = kilobytes * 1024 }
        }
        guard let rss, let peak else { return nil }
        return Memory(rss: rss, peak: peak)
    }

    /// User plus system CPU seconds the process has used, from `/proc/<pid>/stat`.
    func cpuSeconds() -> Double? {
        guard let stat = Self.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" come fields 3…; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The process's environment variables whose names start with `prefix`.
    func environment(prefix: String) -> [String: String] {
        guard let environ = Self.read("/proc/\(pid)/environ") else { return [:] }
        var result: [String: String] = [:]
        for entry in environ.split(separator: "\0") where entry.hasPrefix(prefix) {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return result
    }

    /// A /proc file's whole content (they report size 0, so read until end of file).
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ServerProcess {
    /// Samples VmRSS every `interval` until the calling task is cancelled; returns the largest seen, in bytes.
    func largestRSSUntilCancelled(every interval: Duration = .milliseconds(100)) async -> Int {
        var largest = 0
        while !Task.isCancelled {
            if let memory = memory() { largest = max(largest, memory.rss) }
            try? await Task.sleep(for: interval)
        }
        return largest
    }
}
