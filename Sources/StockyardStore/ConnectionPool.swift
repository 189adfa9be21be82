import Logging
import NIOPosix
import PostgresNIO
import ServiceLifecycle
import StockyardCore
import Synchronization

/// A fixed number of Postgres connections, spread over the event loops, each reopened on its next lease after it
/// died. No minimum to restore: a slot holds an open connection or none (decisions D15, which says why this
/// replaced PostgresNIO's pool). Every lease has a deadline (decisions D35): past it, or when the leasing task is
/// cancelled, the pool closes the lease's connection, which fails whatever the body was waiting for on it, and the
/// slot reopens on its next lease. Run it as a service: it opens the connections at start, watches the deadlines,
/// and closes the connections at shutdown.
public final class ConnectionPool: Service, Sendable {
    public let size: Int
    public let deadlines: StatementDeadlines
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let state: Mutex<State>
    private let deadlineHits = Atomic<Int>(0)

    private struct State {
        /// Free slots; each holds its open connection, or nil when it has none (not opened yet, or closed).
        var free: [PostgresConnection?]
        var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection?, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        /// Leases in progress, by id, for the deadline watch.
        var leases: [UInt64: Lease] = [:]
        var nextLeaseID: UInt64 = 0
        var shutDown = false
    }

    /// A lease in progress: its connection, when it must end, why it was ended early if it was, and whether its
    /// slot went back to the pool already.
    private final class Lease: Sendable {
        enum Ending: UInt8, AtomicRepresentable { case none, deadline, cancelled }
        let connection: PostgresConnection
        let deadlineLength: Duration
        let deadline: ContinuousClock.Instant
        /// The wait this lease's task runs inside, ended when the pool gives up on the lease.
        let scope: AwaitScope?
        let ending = Atomic<Ending>(.none)
        private let slotReturned = Atomic<Bool>(false)
        init(connection: PostgresConnection, deadline: Duration, scope: AwaitScope?) {
            self.connection = connection
            self.deadlineLength = deadline
            self.deadline = .now + deadline
            self.scope = scope
        }
        /// Closes the connection once, for the first reason given; whatever waits on it fails.
        func end(_ why: Ending) {
            guard ending.compareExchange(expected: .none, desired: why, ordering: .relaxed).exchanged else { return }
            connection.close().whenComplete { _ in }
        }
        /// True for the one caller that may give the slot back: the lease when it returns, or the watcher when it
        /// gives up on a lease that never returns.
        func takeSlot() -> Bool {
            slotReturned.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        }
    }

    /// How often the deadlines are checked: a lease overruns its deadline by at most this much.
    static let watchInterval: Duration = .milliseconds(50)
    /// How long past its deadline, or past its connection's closing, a lease may take to return before its slot is
    /// given back without it.
    public static let abandonAfter: Duration = .seconds(1)

    /// Leases whose deadline passed since the pool started (`stockyard_db_pool_deadline_hits_total`).
    public var deadlineHitsTotal: Int { deadlineHits.load(ordering: .relaxed) }

    /// Leases after the pool shut down.
    public struct ShutDown: Error {}

    public init(url: DatabaseURL, size: Int, deadlines: StatementDeadlines = StatementDeadlines(), logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.size = size
        self.deadlines = deadlines
        var configuration = url.connectionConfiguration
        // Opening a connection (TCP, startup, authentication) gets a deadline of its own, within the lease's.
        configuration.options.connectTimeout = .milliseconds(Int64(min(deadlines.standard, .seconds(5)).inSeconds * 1000))
        // A backend whose client closed the connection (a deadline hit) stops its statement within a second
        // instead of running it to the end.
        configuration.options.additionalStartupParameters.append(("client_connection_check_interval", "1000"))
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(free: Array(repeating: nil, count: size)))
    }

    /// Opens every connection and watches the deadlines until graceful shutdown or cancellation; then closes the
    /// idle connections (a leased one is closed when it comes back) and keeps watching until the last lease ends.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchDeadlines() }
            await withDiscardingTaskGroup { opening in
                for _ in 0..<size {
                    opening.addTask {
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
    }

    /// Ends every lease past its deadline, and gives up on leases that cannot return; returns once the pool is shut
    /// down with no lease left, or when cancelled.
    private func watchDeadlines() async {
        var closedSince: [UInt64: ContinuousClock.Instant] = [:]   // leases whose connection was seen closed, since when
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (leases, done) = state.withLock { state in (state.leases, state.shutDown && state.leases.isEmpty) }
            closedSince = closedSince.filter { leases[$0.key] != nil }
            var abandoned: [UInt64] = []
            for (id, lease) in leases {
                if lease.deadline <= now, lease.ending.load(ordering: .relaxed) == .none {
                    deadlineHits.add(1, ordering: .relaxed)
                    logger.error("a database lease ran past its deadline; its connection was closed",
                                 metadata: ["deadline": "\(lease.deadlineLength)"])
                    lease.end(.deadline)
                }
                if lease.connection.isClosed, closedSince[id] == nil { closedSince[id] = now }
                // Its connection closed a while ago (or its deadline passed a while ago) and it is still not back: its
                // body waits on a statement PostgresNIO dropped, written as the connection closed, and may never
                // return. Every statement in flight on a closed connection has failed by then.
                if (closedSince[id].map { $0 + Self.abandonAfter <= now } ?? false) || lease.deadline + Self.abandonAfter <= now {
                    abandoned.append(id)
                }
            }
            // The slot reopens without the lease, so the pool keeps its size, and a caller waiting through
            // `awaitAtMost` (the job runner) stops waiting, with the deadline's error (retryable).
            for id in abandoned {
                guard let lease = state.withLock({ $0.leases.removeValue(forKey: id) }), lease.takeSlot() else { continue }
                lease.end(.deadline)
                logger.error("a database lease did not return after its connection closed; its slot was reopened")
                release(nil)
                lease.scope?.stopWaiting(with: StatementDeadlineExceeded(deadline: lease.deadlineLength))
            }
            if done { return }
            try? await Task.sleep(for: Self.watchInterval)
        }
    }

    /// Runs `body` on a leased connection, opening it first when its slot has none; waits while all are leased.
    ///
    /// The lease ends at its `deadline`, or at once when this task is cancelled: the pool closes the connection, so
    /// `body` fails at its next (or current) statement, and this throws `StatementDeadlineExceeded` or
    /// `CancellationError`. The connection is never reused after that.
    public func withConnection<T: Sendable>(deadline: StatementDeadline = .standard,
                                            _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try Task.checkCancellation()
        let limit = deadlines[deadline]
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
            throw Task.isCancelled ? CancellationError() : error   // a connect cut short by the cancellation
        }
        // From the moment the body has its connection: waiting for a slot is not a statement, and opening a
        // connection has its own bound (`connectTimeout`).
        let lease = Lease(connection: connection, deadline: limit, scope: AwaitScope.current)
        let leaseID = state.withLock { state in
            state.nextLeaseID += 1
            state.leases[state.nextLeaseID] = lease
            return state.nextLeaseID
        }
        defer { _ = state.withLock { $0.leases.removeValue(forKey: leaseID) } }
        do {
            let result = try await withTaskCancellationHandler {
                try await body(connection)
            } onCancel: {
                lease.end(.cancelled)
            }
            if lease.ending.load(ordering: .relaxed) == .none {
                if lease.takeSlot() { release(connection) }
            } else {
                try? await connection.close()   // ended just as the body returned: the close is under way
                if lease.takeSlot() { release(nil) }
            }
            return result
        } catch {
            let ending = lease.ending.load(ordering: .relaxed)
            if ending != .none {
                try? await connection.close()   // the close `end` began; a connection must not outlive it
                if lease.takeSlot() { release(nil) }
            }
            switch ending {
            case .deadline:
                throw StatementDeadlineExceeded(deadline: limit)
            case .cancelled:
                throw CancellationError()
            case .none:
                // A connection the server ended (or that broke) may not look closed yet: never hand it out again.
                if Self.isFatal(error) {
                    try? await connection.close()
                    if lease.takeSlot() { release(nil) }
                } else if lease.takeSlot() {
                    release(connection)
                }
                throw error
            }
        }
    }

    /// Errors after which a connection is not reused: the database is away or this session of it is over
    /// (`DatabaseOutage`), or the protocol is out of step.
    public static func isFatal(_ error: any Error) -> Bool {
        if DatabaseOutage.covers(error) { return true }
        guard let error = error as? PSQLError else { return false }
        return error.code == .messageDecodingFailure || error.code == .unexpectedBackendMessage
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
