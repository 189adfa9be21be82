import StockyardCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60))

    @Test func doublesPerAttemptWithinHalfToFullOfTheDelay() {
        #expect(policy.delay(afterAttempts: 1, unit: 0) == .milliseconds(500))
        #expect(policy.delay(afterAttempts: 1, unit: 1) == .seconds(1))
        #expect(policy.delay(afterAttempts: 2, unit: 1) == .seconds(2))
        #expect(policy.delay(afterAttempts: 4, unit: 0.5) == .seconds(6))
    }

    @Test func neverExceedsTheCapEvenAfterManyAttempts() {
        #expect(policy.delay(afterAttempts: 7, unit: 1) == .seconds(60))
        #expect(policy.delay(afterAttempts: 500, unit: 1) == .seconds(60))
        #expect(policy.delay(afterAttempts: 500, unit: 0) == .seconds(30))
    }

    @Test func drawsStayInRange() {
        for attempts in 1...12 {
            let delay = policy.delay(afterAttempts: attempts)
            let full = min(Duration.seconds(60), .seconds(1) * (1 << (attempts - 1)))
            #expect(delay >= full / 2 && delay <= full)
        }
    }

    @Test func operatorActionsFollowTheState() {
        #expect(JobState.dead.isRetryable && JobState.failed.isRetryable && !JobState.done.isRetryable && !JobState.running.isRetryable)
        #expect(JobState.pending.isCancellable && JobState.failed.isCancellable && !JobState.running.isCancellable)
    }
}
