@testable import StockyardSync
import Testing

/// The runner's slot semaphore: holders bounded, waiters served in order, cancelled waiters never stranded.
@Suite(.timeLimit(.minutes(1))) struct AsyncSlotsTests {
    @Test func aReleasedSlotGoesToTheLongestWaiter() async throws {
        let slots = AsyncSlots(1)
        #expect(await slots.acquire())
        let first = Task { await slots.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        let second = Task { await slots.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        slots.release()
        #expect(await first.value)
        slots.release()
        #expect(await second.value)
    }

    @Test func aWaiterCancelledWhileWaitingGivesUp() async throws {
        let slots = AsyncSlots(0)
        let waiter = Task { await slots.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == false)
    }

    /// Shutdown cancels jobs that have not reached their slot yet; one cancelled before it asks must not wait
    /// (it used to, forever, which hung the runner's shutdown).
    @Test func aTaskCancelledBeforeItAsksDoesNotWait() async {
        let slots = AsyncSlots(0)
        let task = Task { () -> Bool in
            withUnsafeCurrentTask { $0?.cancel() }
            return await slots.acquire()
        }
        #expect(await task.value == false)
    }
}
