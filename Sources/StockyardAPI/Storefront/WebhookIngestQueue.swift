import Logging
import StockyardCore
import StockyardStore

/// Group commit for webhook deliveries: each delivery waits for a durable commit before its 200, but deliveries
/// of one company that arrive while that company's previous insert is committing go together in the next one.
/// Postgres serializes the commits of transactions that NOTIFY, so one commit per delivery would cap ingest at
/// about one per fsync; batched, the cap is that many batches.
actor WebhookIngestQueue {
    private struct Waiting {
        let delivery: WebhookDelivery
        let answer: CheckedContinuation<Bool, any Error>
    }

    private let events: WebhookEventRepository
    private let logger: Logger
    private var waiting: [Int64: [Waiting]] = [:]
    private var flushing: Set<Int64> = []
    /// The most deliveries one transaction stores.
    static let batchLimit = 500

    init(events: WebhookEventRepository, logger: Logger) {
        self.events = events
        self.logger = logger
    }

    /// Stores the delivery durably; true when it is new, false for a duplicate.
    func ingest(_ delivery: WebhookDelivery, company: Int64) async throws -> Bool {
        try await withCheckedThrowingContinuation { answer in
            waiting[company, default: []].append(Waiting(delivery: delivery, answer: answer))
            if flushing.insert(company).inserted {
                Task { await self.flush(company) }
            }
        }
    }

    private func flush(_ company: Int64) async {
        while let batch = take(company) {
            do {
                let stored = try await events.ingest(batch.map(\.delivery), company: company, logger: logger)
                for (waiting, isNew) in zip(batch, stored) { waiting.answer.resume(returning: isNew) }
            } catch {
                for waiting in batch { waiting.answer.resume(throwing: error) }
            }
        }
    }

    /// The next batch of `company`, or nil (and the company no longer flushing) when none waits.
    private func take(_ company: Int64) -> [Waiting]? {
        guard let queued = waiting[company], !queued.isEmpty else {
            waiting[company] = nil
            flushing.remove(company)
            return nil
        }
        let batch = Array(queued.prefix(Self.batchLimit))
        waiting[company] = Array(queued.dropFirst(batch.count))
        return batch
    }
}
