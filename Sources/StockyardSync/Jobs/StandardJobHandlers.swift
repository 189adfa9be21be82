import StockyardCore

/// The handlers every runner has. Capabilities add theirs here as they land.
extension JobHandlers {
    public static var standard: JobHandlers {
        var handlers = JobHandlers()
        // Does nothing and succeeds: for checking a deployment's runners and for `ops/bench queue`.
        handlers.register("noop", ClosureJobHandler { _, _ in })
        // Sleeps `payload.seconds` (at most 300), then succeeds: for recovery drills (kill a worker mid-job and
        // watch the job run again once its lease expires).
        handlers.register("drill.sleep", ClosureJobHandler { job, _ in
            guard case .number(let seconds)? = job.payload["seconds"], (0...300).contains(seconds) else {
                throw JobFailure.permanent("drill.sleep needs a payload {\"seconds\": 0…300}")
            }
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        })
        return handlers
    }

    /// Everything `serve` and `worker` run: the standard handlers and the storefront sync.
    public static func stockyard(secrets: SecretBox?, client: StorefrontClient = StorefrontClient()) -> JobHandlers {
        var handlers = standard
        handlers.register(InventoryPushHandler.kind, InventoryPushHandler(client: client, secrets: secrets))
        handlers.register(WebhookEventHandler.kind, WebhookEventHandler())
        handlers.register(InventoryReconcileHandler.kind, InventoryReconcileHandler(client: client, secrets: secrets))
        return handlers
    }
}
