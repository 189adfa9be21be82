import Logging
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import StockyardCore
import Synchronization

/// A fixed number of Postgres connections, spread over the event loops, each reopened on its next lease after it
/// died. No timers and no minimum to restore: a slot holds an open connection or none (decisions D15, which says
/// why this replaced PostgresNIO's pool). Run it as a service: it opens the connections at start and closes
/// them at shutdown.
public final class ConnectionPool: Service, Sendable {
    public let size: Int
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        /// Free slots; each holds its open connection, or nil when it has none (not opened yet, or closed).
        var free: [PostgresConnection?]
        var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection?, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        var shutDown = false
    }

    /// Leases after the pool shut down.
    public struct ShutDown: Error {}

    public init(url: DatabaseURL, size: Int, logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.size = size
        self.configuration = url.connectionConfiguration
        self.logger = logger
        self.state = Mutex(State(free: Array(repeating: nil, count: size)))
    }

    /// Opens every connection, then holds them until graceful shutdown or cancellation, then closes the idle
    /// ones (a leased one is closed when it comes back).
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for _ in 0..<size {
                group.addTask {
                    try? await self.withConnection { _ in }   // a failure is retried by the next lease
                }
            }
        }
        try? await gracefulShutdown()
        let (idle, waiters) = state.withLock { state in
            state.shutDown = true
            defer { state.free.removeAll(); state.waiters.removeAll() }
            return (state.free.compactMap { $0 }, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: ShutDown()) }
        for connection in idle { try? await connection.close() }
    }

    /// Runs `body` on a leased connection, opening it first when its slot has none; waits while all are leased.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let slot = try await acquire()
        let connection: PostgresConnection
        do {
            if let slot, !slot.isClosed {
                connection = slot
            } else {
                connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                    id: Int.random(in: 1...Int.max), logger: logger)
            }
        } catch {
            release(nil)
            throw error
        }
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            // A connection the server ended (or that broke) may not look closed yet: never hand it out again.
            if Self.isFatal(error) {
                try? await connection.close()
                release(nil)
            } else {
                release(connection)
            }
            throw error
        }
    }

    /// Errors after which a connection is not reused: the link broke, the protocol is out of step, or the server
    /// is shutting this session down (SQLSTATE class 57P: admin shutdown, crash shutdown, cannot connect now).
    static func isFatal(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown,
             .messageDecodingFailure, .unexpectedBackendMessage:
            return true
        default:
            return error.serverInfo?[.sqlState]?.hasPrefix("57P") ?? false
        }
    }

    private func acquire() async throws -> PostgresConnection? {
        enum Taken { case slot(PostgresConnection?), wait(UInt64), shutDown }
        let taken = state.withLock { state -> Taken in
            if state.shutDown { return .shutDown }
            if let slot = state.free.popLast() { return .slot(slot) }
            state.nextWaiterID += 1
            return .wait(state.nextWaiterID)
        }
        let id: UInt64
        switch taken {
        case .slot(let slot): return slot
        case .shutDown: throw ShutDown()
        case .wait(let waiterID): id = waiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Checked under the lock that onCancel takes: a task cancelled before it got here must not wait.
                let ready = state.withLock { state -> Result<PostgresConnection?, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.shutDown { return .failure(ShutDown()) }
                    if let slot = state.free.popLast() { return .success(slot) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<PostgresConnection?, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives a slot back (with its connection, or nil once it is closed), to the longest waiter if any.
    private func release(_ connection: PostgresConnection?) {
        let slot = connection.flatMap { $0.isClosed ? nil : $0 }
        let (waiter, closeNow) = state.withLock { state -> (CheckedContinuation<PostgresConnection?, any Error>?, Bool) in
            if state.shutDown { return (nil, true) }
            if state.waiters.isEmpty {
                state.free.append(slot)
                return (nil, false)
            }
            return (state.waiters.removeFirst().continuation, false)
        }
        if closeNow, let slot { Task { try? await slot.close() } }
        waiter?.resume(returning: slot)
    }
}
