import Synchronization

/// The caller stopped waiting for an operation (`awaitAtMost`): it ran past its limit. The operation may still end,
/// later, on its own.
public struct StoppedWaiting: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "no answer within \(limit); stopped waiting" }
}

/// Runs `operation` in a task of its own and returns what it returns, but waits at most `limit` (none: no limit) and
/// not at all once this task is cancelled (the operation is cancelled too). For the few awaits that must never hold
/// their caller forever whatever happens below them: the job runner's own database calls and its handlers, whose
/// statements PostgresNIO can leave unanswered on a connection that closed under them (decisions D35).
///
/// Whatever runs inside can also end the wait early through `AwaitScope.current`: the connection pool does, with
/// its error, when it gives up on a lease that will never return.
public func awaitAtMost<T: Sendable>(_ limit: Duration?, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    let scope = AwaitScope { outcome.give(.failure($0)) }
    let work = Task { await AwaitScope.$current.withValue(scope) { outcome.give(await Result(catching: { try await operation() })) } }
    let timer = limit.map { limit in
        Task {
            try await Task.sleep(for: limit)
            outcome.give(.failure(StoppedWaiting(limit: limit)))
        }
    }
    defer { timer?.cancel() }
    return try await withTaskCancellationHandler {
        try await outcome.value.get()
    } onCancel: {
        work.cancel()
        outcome.give(.failure(CancellationError()))
    }
}

/// The `awaitAtMost` a task runs inside, if any: `stopWaiting` ends that wait at once with an error, while the task
/// itself may go on (or never return).
public struct AwaitScope: Sendable {
    @TaskLocal public static var current: AwaitScope?
    private let end: @Sendable (any Error) -> Void
    init(_ end: @escaping @Sendable (any Error) -> Void) { self.end = end }
    public func stopWaiting(with error: any Error) { end(error) }
}

/// The first of several outcomes, awaited once.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let state = Mutex<(given: Result<T, any Error>?, waiter: CheckedContinuation<Result<T, any Error>, Never>?)>((nil, nil))

    func give(_ outcome: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<T, any Error>, Never>? in
            guard state.given == nil else { return nil }
            state.given = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }

    var value: Result<T, any Error> {
        get async {
            await withCheckedContinuation { continuation in
                let given = state.withLock { state -> Result<T, any Error>? in
                    if let given = state.given { return given }
                    state.waiter = continuation
                    return nil
                }
                if let given { continuation.resume(returning: given) }
            }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
