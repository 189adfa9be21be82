/// When a failed attempt runs again: exponential backoff from `base`, capped at `cap`, with "equal jitter"
/// (half the delay fixed, half random) so that jobs failing together do not retry together.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before the next attempt after `attempts` attempts (1 after the first failure).
    /// `unit` in 0...1 is the random draw; the delay lies in [d/2, d] where d = min(cap, base · 2^(attempts−1)).
    public func delay(afterAttempts attempts: Int, unit: Double) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let full = min(cap, base * (1 << exponent))
        return full / 2 + full / 2 * min(max(unit, 0), 1)
    }

    /// The delay with a draw from the system's random source.
    public func delay(afterAttempts attempts: Int) -> Duration {
        delay(afterAttempts: attempts, unit: Double.random(in: 0...1))
    }
}

/// What a job handler throws to say how the failure should be treated. Any other error counts as retryable.
public enum JobFailure: Error, Sendable, Equatable {
    /// Try again later (a timeout, a 5xx, a throttle), after `after` when the remote said so (Retry-After).
    case retryable(String, after: Duration? = nil)
    /// Trying again cannot help (bad payload, a 4xx that will not change): the job goes dead at once.
    case permanent(String)
    /// Not a failure: the remote asked to be left alone for `wait` (a throttle). The job runs again after it and
    /// the attempt is given back, so a long throttle can delay a job but never exhaust its attempts.
    case deferred(String, wait: Duration)
}
