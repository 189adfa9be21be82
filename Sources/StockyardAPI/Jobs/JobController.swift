import Hummingbird
import StockyardCore
import StockyardStore

/// `/v1/jobs`: the operators' view of the company's sync jobs: list, read, retry a dead one, cancel a waiting one,
/// and the figures (`reporting.sync_job_health` gives the same to psql users).
struct JobController {
    let jobs: JobRepository

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("jobs", use: list)
        group.get("jobs/stats", use: stats)
        group.get("jobs/:id", use: get)
        group.post("jobs/:id/retry", use: retry)
        group.post("jobs/:id/cancel", use: cancel)
    }

    func list(request: Request, context: AppRequestContext) async throws -> Page<SyncJob> {
        let principal = try context.require(.syncRead)
        let query = request.uri.queryParameters
        let page = try PageRequest(limit: query.get("limit"), cursor: query.get("cursor"))
        var filter = JobFilter(kind: query.get("kind"))
        if let state = query.get("state") {
            guard let parsed = JobState(rawValue: state) else {
                throw AppError.invalid(field: "state", detail: "'state' must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = parsed
        }
        return try await jobs.list(company: principal.companyID, filter: filter, page: page, logger: context.logger)
    }

    func stats(request: Request, context: AppRequestContext) async throws -> JobStats {
        let principal = try context.require(.syncRead)
        return try await jobs.stats(company: principal.companyID, logger: context.logger)
    }

    func get(request: Request, context: AppRequestContext) async throws -> SyncJob {
        let principal = try context.require(.syncRead)
        let id = try context.parameters.requireID(resource: "job")
        guard let job = try await jobs.get(id: id, company: principal.companyID, logger: context.logger) else { throw AppError.notFound("job") }
        return job
    }

    func retry(request: Request, context: AppRequestContext) async throws -> SyncJob {
        let principal = try context.require(.syncWrite)
        let id = try context.parameters.requireID(resource: "job")
        guard let job = try await jobs.retry(id: id, company: principal.companyID, logger: context.logger) else { throw AppError.notFound("job") }
        return job
    }

    func cancel(request: Request, context: AppRequestContext) async throws -> SyncJob {
        let principal = try context.require(.syncWrite)
        let id = try context.parameters.requireID(resource: "job")
        guard let job = try await jobs.cancel(id: id, company: principal.companyID, logger: context.logger) else { throw AppError.notFound("job") }
        return job
    }
}
