import Dispatch
import Foundation
import Synchronization

/// Runs a program to completion off the event loops and returns its exit status and combined output.
/// Foundation starts children in their own process group, out of reach of the terminal's Ctrl-C, so the bench
/// forwards SIGINT and SIGTERM to the one still running before it exits (see `forwardTerminationSignals`).
enum Subprocess {
    /// The child running now, or 0 (the bench runs one at a time); atomic so a signal handler may read it.
    private static let child = Atomic<Int32>(0)

    struct Result: Sendable {
        let status: Int32
        let output: String
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let pid = process.processIdentifier
                child.store(pid, ordering: .sequentiallyConsistent)
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                child.store(0, ordering: .sequentiallyConsistent)
                continuation.resume(returning: Result(status: process.terminationStatus,
                                                      output: String(decoding: data, as: UTF8.self)))
            }
        }
    }

    /// On SIGINT or SIGTERM: kill the running child, then exit with 128 + the signal's number.
    /// (The handler does only async-signal-safe things: an atomic load, kill, waitpid, _exit.)
    static func forwardTerminationSignals() {
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                let pid = Subprocess.child.load(ordering: .sequentiallyConsistent)
                if pid > 0 {   // KILL, not TERM: the child inherited a Dispatch thread's mask, which blocks TERM
                    kill(pid, SIGKILL)
                    waitpid(pid, nil, 0)
                }
                _exit(128 + number)
            }
        }
    }

    /// The first executable named `name` on PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
