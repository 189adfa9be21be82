/// The handlers every runner has. Capabilities add theirs here as they land (inventory push, webhooks, …).
extension JobHandlers {
    public static var standard: JobHandlers {
        var handlers = JobHandlers()
        // Does nothing and succeeds: for checking a deployment's runners and for `ops/bench queue`.
        handlers.register("noop", ClosureJobHandler { _, _ in })
        return handlers
    }
}
