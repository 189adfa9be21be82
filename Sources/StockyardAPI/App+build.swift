import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import StockyardCore
import StockyardStore
import StockyardSync

/// What the API is built from: values, so tests build the same application against their own database.
public struct APIDependencies: Sendable {
    public let config: StockyardConfig
    public let database: Database
    public let registry: PrometheusCollectorRegistry
    /// The migrations this build expects the database to have (for `/ready`).
    public let expectedMigrations: [MigrationFile]
    /// Resolved tokens; answers only while a `TokenChangeListener` on it runs.
    public let tokenCache: TokenCache
    /// Seals and opens the shops' storefront credentials (`STOCKYARD_SECRET_KEY`); nil when the key is not set.
    public let secrets: SecretBox?
    /// The job runner's own pool when this process runs one (`serve`), shown beside the API's in `/metrics`.
    public var jobsDatabase: Database?

    public init(config: StockyardConfig, database: Database, registry: PrometheusCollectorRegistry,
                expectedMigrations: [MigrationFile], tokenCache: TokenCache = TokenCache()) {
        self.config = config
        self.database = database
        self.registry = registry
        self.expectedMigrations = expectedMigrations
        self.tokenCache = tokenCache
        self.secrets = config.secretKey.flatMap { try? SecretBox(base64Key: $0) }
    }

    /// The services the API needs besides the HTTP server (the pool itself is the caller's).
    public func services(logger: Logger) -> [any Service] {
        [TokenChangeListener(url: config.databaseURL, cache: tokenCache, logger: logger)]
    }
}

/// The whole API process: the app-role pool and the HTTP server, run by one `ServiceGroup`
/// that shuts down gracefully on SIGTERM/SIGINT (the pool is started before the server and stopped after it).
/// With `worker`, the same process also runs a job runner (`stockyard serve`; `--no-worker` leaves jobs to
/// `stockyard worker` processes).
public func buildApplication(config: StockyardConfig, worker: Bool = true, logger: Logger) throws -> some ApplicationProtocol {
    var dependencies = APIDependencies(
        config: config, database: Database(url: config.databaseURL, poolSize: config.databasePoolSize,
                                           deadlines: StatementDeadlines(config), logger: logger),
        registry: PrometheusCollectorRegistry(),
        expectedMigrations: try Migrator.loadFiles(directory: config.migrationsDirectory))
    var services: [any Service] = [dependencies.database.pool] + dependencies.services(logger: logger)
    if worker {
        let jobs = JobWorker(config: config, handlers: .stockyard(secrets: dependencies.secrets),
                             metrics: JobRunnerMetrics(registry: dependencies.registry), logger: logger)
        dependencies.jobsDatabase = jobs.database
        services += jobs.services
    }
    return buildApplication(dependencies, services: services, logger: logger)
}

public func buildApplication(_ dependencies: APIDependencies, services: [any Service],
                             logger: Logger) -> some ApplicationProtocol {
    Application(
        router: UnwaitedRouter(router: buildRouter(dependencies)),
        configuration: .init(address: .hostname(dependencies.config.httpHost, port: dependencies.config.httpPort),
                             serverName: "stockyard"),
        services: services,
        logger: logger
    )
}

/// Every route, with its middleware. The OpenAPI test reads `routes` from this router.
public func buildRouter(_ dependencies: APIDependencies) -> Router<AppRequestContext> {
    let database = dependencies.database
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        RequestIDMiddleware()
        HTTPMetricsMiddleware(registry: dependencies.registry)
        ProblemMiddleware()
        BodyLimitMiddleware(limit: dependencies.config.maxBodyBytes)
    }
    HealthController(database: database, expectedMigrations: dependencies.expectedMigrations).register(on: router)
    MetricsController(registry: dependencies.registry,
                      pools: [("api", database)] + (dependencies.jobsDatabase.map { [("jobs", $0)] } ?? [])).register(on: router)
    OpenAPIController().register(on: router)
    let events = WebhookEventRepository(database: database)
    let webhookShops = WebhookShopCache(events: events, secrets: dependencies.secrets)
    WebhookController(events: events, shops: webhookShops, logger: Logger(label: "stockyard.webhooks")).register(on: router)

    let authenticator = TokenAuthenticator(tokens: TokenRepository(database: database), cache: dependencies.tokenCache)
    let v1 = router.group("v1").add(middleware: authenticator)
    MeController(companies: CompanyRepository(database: database)).register(on: v1)
    TokenController(tokens: TokenRepository(database: database), cache: dependencies.tokenCache).register(on: v1)
    JobController(jobs: JobRepository(database: database)).register(on: v1)

    // Business writes take an Idempotency-Key. Not the token routes: a replay would have to store the secret. Nor
    // the routes that call the storefront (on `v1`): the key's transaction would stay open across those calls.
    let retryable = router.group("v1").add(middleware: authenticator)
        .add(middleware: IdempotencyMiddleware(keys: IdempotencyKeyRepository(database: database)))
    CutoverController(cutover: CutoverRepository(database: database),
                      preview: CutoverPreview(database: database, secrets: dependencies.secrets))
        .register(on: retryable, storefrontCalls: v1)
    ShopMappingController(shops: ShopRepository(database: database, secrets: dependencies.secrets),
                          locations: StorefrontLocationRepository(database: database),
                          variants: StorefrontVariantRepository(database: database),
                          importer: StorefrontImport(database: database, secrets: dependencies.secrets))
        .register(on: retryable, storefrontCalls: v1)
    ShopController(shops: ShopRepository(database: database, secrets: dependencies.secrets),
                   levels: InventoryLevelRepository(database: database), drift: DriftRepository(database: database),
                   webhookShops: webhookShops).register(on: retryable)
    LocationController(locations: LocationRepository(database: database)).register(on: retryable)
    ProductController(products: ProductRepository(database: database)).register(on: retryable)
    WarehouseController(warehouses: WarehouseRepository(database: database)).register(on: retryable)
    PickingController(pickings: PickingRepository(database: database)).register(on: retryable)
    CheckoutSyncController(checkoutSync: CheckoutSyncRepository(database: database),
                           lines: MoveLineRepository(database: database)).register(on: retryable)
    ProcurementController(procurements: ProcurementRepository(database: database)).register(on: retryable)
    InventoryController(quants: QuantRepository(database: database), moves: MoveRepository(database: database)).register(on: retryable)
    return router
}
