import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Shops and their storefront connection. Credentials are sealed with `secrets` (bound to the shop's id) before
/// they reach the database, and only ever opened by the jobs and the webhook check that need them.
public struct ShopRepository: Sendable {
    let database: Database
    let secrets: SecretBox?

    /// How long the webhook secret a rotation replaced is still accepted.
    public static let secretRotationWindow: Duration = .seconds(3600)

    public init(database: Database, secrets: SecretBox? = nil) {
        self.database = database
        self.secrets = secrets
    }

    /// The context a shop's sealed values are bound to: a sealed value copied onto another shop does not open.
    public static func sealingContext(shop: Int64) -> String { "shop:\(shop)" }

    public func create(name: String, domain: String, settings: ShopSettings = ShopSettings(), company: Int64,
                       logger: Logger) async throws -> Shop {
        let domain = domain.lowercased()
        guard domain.range(of: #"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"#, options: .regularExpression) != nil, domain.count <= 255 else {
            throw AppError.invalid(field: "domain", detail: "'domain' must be a host name such as acme.myshopify.com")
        }
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        return try await Self.mappingErrors(domain: domain) {
            try await database.withCompany(company, logger: logger) { connection in
                let id = try await connection.query("""
                    INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(company), \(name), \(domain)) RETURNING id
                    """, logger: logger).collect()[0].decode(Int64.self)
                guard let shop = try await apply(settings, shop: id, company: company, on: connection, logger: logger) else {
                    throw AppError.conflict("shop was not created")
                }
                return shop
            }
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> Shop? {
        try await database.withCompany(company, logger: logger) { connection in
            try await Self.decode(connection.query("SELECT \(unescaped: Self.columns) FROM stockyard.shops WHERE company_id = \(company) AND id = \(id)",
                                                   logger: logger)).first
        }
    }

    public func list(company: Int64, shop: Int64?, page: PageRequest, logger: Logger) async throws -> Page<Shop> {
        try await database.withCompany(company, logger: logger) { connection in
            page.page(from: try await Self.decode(connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.shops
                WHERE company_id = \(company) AND (\(shop)::bigint IS NULL OR id = \(shop)) AND id > \(page.afterID)
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)), id: \.id)
        }
    }

    /// Applies `settings`; nil when the shop does not exist.
    public func update(id: Int64, settings: ShopSettings, company: Int64, logger: Logger) async throws -> Shop? {
        try await Self.mappingErrors(domain: nil) {
            try await database.withCompany(company, logger: logger) { connection in
                try await apply(settings, shop: id, company: company, on: connection, logger: logger)
            }
        }
    }

    /// The connection a job uses to call the storefront; nil while the shop has no base URL or token.
    public static func connection(shop: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> ShopConnection? {
        guard let row = try await connection.firstRow(ConnectionOfShop(values: [company, shop]), logger: logger) else { return nil }
        let (url, version, token) = try row.decode((String, String, Data).self)
        return ShopConnection(shopID: shop, apiBaseUrl: url, apiVersion: version, accessTokenSealed: token)
    }

    /// Whether the shop is live, and its reconcile interval in seconds.
    public static func reconcileState(shop: Int64, company: Int64, on connection: PostgresConnection,
                                      logger: Logger) async throws -> (live: Bool, interval: Int)? {
        let rows = try await connection.query("""
            SELECT cutover_state = 'live', reconcile_interval_seconds FROM stockyard.shops WHERE company_id = \(company) AND id = \(shop)
            """, logger: logger)
        for try await (live, interval) in rows.decode((Bool, Int).self) { return (live, interval) }
        return nil
    }

    /// Runs the shop's reconcile now (its scheduled run, if pending, is brought forward: one job per shop).
    public func reconcileNow(shop: Int64, company: Int64, logger: Logger) async throws -> Int64 {
        try await database.withCompany(company, logger: logger) { connection in
            guard let state = try await Self.reconcileState(shop: shop, company: company, on: connection, logger: logger) else {
                throw AppError.notFound("shop")
            }
            guard state.live else { throw AppError.conflict("the shop is not live; the reconcile compares published levels") }
            return try await JobQueue.enqueue(on: connection, kind: "inventory.reconcile", payload: .object(["shop_id": .number(Double(shop))]),
                                              options: .init(dedupeKey: "shop:\(shop)"), logger: logger)
        }
    }

    private func apply(_ settings: ShopSettings, shop: Int64, company: Int64, on connection: PostgresConnection,
                       logger: Logger) async throws -> Shop? {
        let checked = try CheckedShopSettings(settings)
        let context = Self.sealingContext(shop: shop)
        let token = try checked.accessToken.map { try seal($0, context: context, field: "access_token") }
        let secret = try checked.webhookSecret.map { try seal($0, context: context, field: "webhook_secret") }
        let window = Double(Self.secretRotationWindow.components.seconds)
        let rows = try await connection.query("""
            UPDATE stockyard.shops SET
                name = coalesce(\(checked.name), name),
                api_base_url = CASE WHEN \(!settings.apiBaseUrl.isAbsent) THEN \(checked.apiBaseUrl) ELSE api_base_url END,
                api_version = coalesce(\(checked.apiVersion), api_version),
                access_token_sealed = CASE WHEN \(!settings.accessToken.isAbsent) THEN \(token)::bytea
                                           ELSE access_token_sealed END,
                previous_webhook_secret_sealed = CASE WHEN \(secret != nil) THEN webhook_secret_sealed
                                                      WHEN \(settings.webhookSecret == .null) THEN NULL
                                                      ELSE previous_webhook_secret_sealed END,
                previous_webhook_secret_expires_at = CASE
                    WHEN \(secret != nil) AND webhook_secret_sealed IS NOT NULL THEN now() + make_interval(secs => \(window))
                    WHEN \(!settings.webhookSecret.isAbsent) THEN NULL
                    ELSE previous_webhook_secret_expires_at END,
                webhook_secret_sealed = CASE WHEN \(!settings.webhookSecret.isAbsent) THEN \(secret)::bytea
                                             ELSE webhook_secret_sealed END,
                inventory_direction = coalesce(\(checked.inventoryDirection?.rawValue), inventory_direction),
                inventory_direction_chosen_at = CASE WHEN \(checked.inventoryDirection != nil) THEN now()
                                                     ELSE inventory_direction_chosen_at END,
                reconcile_interval_seconds = coalesce(\(checked.reconcileIntervalSeconds)::int, reconcile_interval_seconds),
                allow_product_creation = coalesce(\(checked.allowProductCreation), allow_product_creation),
                monitoring_owner = CASE WHEN \(!settings.monitoringOwner.isAbsent) THEN \(checked.monitoringOwner) ELSE monitoring_owner END,
                updated_at = now()
            WHERE company_id = \(company) AND id = \(shop)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try await Self.decode(rows).first
    }

    private func seal(_ plaintext: String, context: String, field: String) throws -> Data {
        guard let secrets else {
            throw AppError.invalid(field: field, detail: "this server has no STOCKYARD_SECRET_KEY, so it cannot store storefront credentials")
        }
        return try secrets.seal(plaintext, boundTo: context)
    }

    static func mappingErrors<T>(domain: String?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.sqlState == "23505" && error.serverMessage?.contains("connected_domain") == true {
            throw AppError.conflict("another shop is already connected to this domain; a webhook must name one shop")
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("a shop with domain '\(domain ?? "")' already exists")
        }
    }

    static let columns = """
        id, name, domain, api_base_url, api_version, access_token_sealed IS NOT NULL, webhook_secret_sealed IS NOT NULL,
        previous_webhook_secret_expires_at, inventory_direction, cutover_state, live_at, reconcile_interval_seconds,
        allow_product_creation, monitoring_owner, created_at, updated_at
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [Shop] {
        var shops: [Shop] = []
        for try await row in rows {
            let columns = row.makeRandomAccess()
            shops.append(Shop(
                id: try columns[0].decode(Int64.self), name: try columns[1].decode(String.self),
                domain: try columns[2].decode(String.self), apiBaseUrl: try columns[3].decode(String?.self),
                apiVersion: try columns[4].decode(String.self), hasAccessToken: try columns[5].decode(Bool.self),
                hasWebhookSecret: try columns[6].decode(Bool.self), previousWebhookSecretExpiresAt: try columns[7].decode(Date?.self),
                inventoryDirection: InventoryDirection(rawValue: try columns[8].decode(String.self)) ?? .warehouseToShop,
                cutoverState: try columns[9].decode(String.self), liveAt: try columns[10].decode(Date?.self),
                reconcileIntervalSeconds: try columns[11].decode(Int.self), allowProductCreation: try columns[12].decode(Bool.self),
                monitoringOwner: try columns[13].decode(String?.self), createdAt: try columns[14].decode(Date.self),
                updatedAt: try columns[15].decode(Date.self)))
        }
        return shops
    }
}

/// `ShopSettings` checked field by field, each failure naming its field; nil means "leave as it is" (or, for the
/// nullable fields, whatever the patch said).
struct CheckedShopSettings {
    var name: String?
    var apiBaseUrl: String?
    var apiVersion: String?
    var accessToken: String?
    var webhookSecret: String?
    var inventoryDirection: InventoryDirection?
    var reconcileIntervalSeconds: Int?
    var allowProductCreation: Bool?
    var monitoringOwner: String?

    init(_ settings: ShopSettings) throws(AppError) {
        for (field, isNull) in [("name", settings.name == .null), ("api_version", settings.apiVersion == .null),
                                ("inventory_direction", settings.inventoryDirection == .null),
                                ("reconcile_interval_seconds", settings.reconcileIntervalSeconds == .null),
                                ("allow_product_creation", settings.allowProductCreation == .null)] where isNull {
            throw .invalid(field: field, detail: "'\(field)' must not be null")
        }
        if case .value(let name) = settings.name { self.name = try TextInput.validate(name, field: "name", maxLength: 200) }
        if case .value(var url) = settings.apiBaseUrl {
            url = url.trimmingWhitespace()
            while url.hasSuffix("/") { url.removeLast() }
            guard url.range(of: #"^https?://[^\s/]+(/[^\s]*)?$"#, options: .regularExpression) != nil, url.unicodeScalars.count <= 500 else {
                throw .invalid(field: "api_base_url", detail: "'api_base_url' must be an http(s) URL such as https://acme.myshopify.com")
            }
            apiBaseUrl = url
        }
        if case .value(let version) = settings.apiVersion {
            guard version.range(of: #"^[0-9]{4}-[0-9]{2}$"#, options: .regularExpression) != nil else {
                throw .invalid(field: "api_version", detail: "'api_version' must look like 2026-07")
            }
            apiVersion = version
        }
        if case .value(let token) = settings.accessToken {
            accessToken = try TextInput.validate(token, field: "access_token", maxLength: 500)
        }
        if case .value(let secret) = settings.webhookSecret {
            webhookSecret = try TextInput.validate(secret, field: "webhook_secret", maxLength: 500)
        }
        if case .value(let direction) = settings.inventoryDirection { inventoryDirection = direction }
        if case .value(let seconds) = settings.reconcileIntervalSeconds {
            guard (60...86_400).contains(seconds) else {
                throw .invalid(field: "reconcile_interval_seconds", detail: "'reconcile_interval_seconds' must be between 60 and 86400")
            }
            reconcileIntervalSeconds = seconds
        }
        if case .value(let allow) = settings.allowProductCreation { allowProductCreation = allow }
        if case .value(let owner) = settings.monitoringOwner {
            monitoringOwner = try TextInput.validate(owner, field: "monitoring_owner", maxLength: 200)
        }
    }
}

extension ShopRepository {
    /// Read by every push (cached plan).
    struct ConnectionOfShop: CachedStatement {
        static let sql = """
            SELECT api_base_url, api_version, access_token_sealed FROM stockyard.shops
            WHERE company_id = $1 AND id = $2 AND api_base_url IS NOT NULL AND access_token_sealed IS NOT NULL
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
