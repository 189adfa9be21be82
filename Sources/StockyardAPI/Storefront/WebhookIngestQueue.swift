import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// Group commit for webhook deliveries: each delivery waits for a durable commit before its 200, but deliveries
/// that arrive while the previous batch is committing go together in the next one, whatever their company (one
/// call, decisions D21, D33): one commit per delivery would cap ingest at about one per WAL flush; batched, the cap
/// is that many batches. One batch is in flight at a time: two were tried, and their smaller batches ingested less.
actor WebhookIngestQueue {
    private struct Waiting {
        let company: Int64
        let delivery: WebhookDelivery
        let answer: CheckedContinuation<Bool, any Error>
    }

    private let events: WebhookEventRepository
    private let logger: Logger
    private var waiting: [Waiting] = []
    private var flushing = false
    /// The most deliveries one transaction stores.
    static let batchLimit = 500

    init(events: WebhookEventRepository, logger: Logger) {
        self.events = events
        self.logger = logger
    }

    /// Stores the delivery durably; true when it is new, false for a duplicate.
    func ingest(_ delivery: WebhookDelivery, company: Int64) async throws -> Bool {
        try await withCheckedThrowingContinuation { answer in
            waiting.append(Waiting(company: company, delivery: delivery, answer: answer))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while let batch = take() {
            if batch.count == 1 {
                await storeAlone(batch[0])
                continue
            }
            do {
                try await store(batch)
            } catch let error as PSQLError where error.sqlState != nil {
                // Postgres refused something in the batch (a body jsonb cannot hold, say): store each delivery alone,
                // so only the one at fault gets the error.
                for one in batch { await storeAlone(one) }
            } catch {
                for one in batch { one.answer.resume(throwing: error) }
            }
        }
    }

    private func storeAlone(_ one: Waiting) async {
        do {
            try await store([one])
        } catch let error as PSQLError where error.sqlState?.hasPrefix("22") == true {
            one.answer.resume(throwing: AppError.invalid(
                field: "body", detail: "the body is JSON that Postgres cannot store: \(error.serverMessage ?? "a data exception")"))
        } catch {
            one.answer.resume(throwing: error)
        }
    }

    /// Stores the batch and answers each delivery; throws (answering none) when the transaction failed.
    private func store(_ batch: [Waiting]) async throws {
        let stored = try await events.ingest(batch.map { ($0.company, $0.delivery) }, logger: logger)
        for (one, isNew) in zip(batch, stored) { one.answer.resume(returning: isNew) }
    }

    /// The next batch, or nil (and no longer flushing) when none waits.
    private func take() -> [Waiting]? {
        guard !waiting.isEmpty else {
            flushing = false
            return nil
        }
        let batch = Array(waiting.prefix(Self.batchLimit))
        waiting.removeFirst(batch.count)
        return batch
    }
}
