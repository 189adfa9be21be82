import Logging
import ServiceLifecycle
import StockyardCore
import StockyardStore
import StockyardSync

/// A job runner on a pool of its own (`STOCKYARD_JOB_POOL_SIZE`), as `serve` and `worker` run it. Apart from the
/// API's pool, so that requests waiting in the database (commits queued behind a slow disk flush, a row lock) cannot
/// take every connection from the sync workers, nor a backlog of jobs every connection from the requests
/// (decisions D30).
struct JobWorker {
    let database: Database
    let runner: JobRunner

    init(config: StockyardConfig, handlers: JobHandlers, metrics: JobRunnerMetrics?, logger: Logger) {
        database = Database(url: config.databaseURL, poolSize: config.jobs.poolSize, deadlines: StatementDeadlines(config),
                            logger: logger)
        runner = JobRunner(settings: .init(config.jobs), database: database, listenURL: config.databaseURL,
                           handlers: handlers, metrics: metrics, logger: logger)
    }

    /// The pool first, so that it starts before the runner and stops after it.
    var services: [any Service] { [database.pool, runner] }
}
