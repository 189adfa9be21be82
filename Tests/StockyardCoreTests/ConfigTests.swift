import StockyardCore
import Testing

@Suite struct ConfigTests {
    @Test func parsesPostgresURLs() throws {
        let url = try DatabaseURL(parsing: "postgres://app:s%40cret@db.internal:6543/stock_yard?sslmode=disable")
        #expect(url == DatabaseURL(host: "db.internal", port: 6543, username: "app", password: "s@cret", database: "stock_yard"))
        #expect(url.description == "postgres://app:***@db.internal:6543/stock_yard")
        let defaults = try DatabaseURL(parsing: "postgresql://app@localhost/db")
        #expect(defaults.port == 5432 && defaults.password == nil)
        let socket = try DatabaseURL(parsing: "postgres://app:pw@%2Fvar%2Frun%2Fpostgresql:5432/db")
        #expect(socket.host == "/var/run/postgresql")
    }

    @Test(arguments: ["mysql://a@b/c", "postgres://a@b", "postgres://@b/c", "postgres://a@b:notaport/c", "postgres://a@b:0/c", "nonsense"])
    func refusesBadURLs(_ text: String) {
        #expect(throws: ConfigError.self) { try DatabaseURL(parsing: text) }
    }

    @Test func environmentOverridesDefaults() throws {
        let config = try StockyardConfig(environment: [
            "STOCKYARD_DATABASE_URL": "postgres://u:p@h:1/d",
            "STOCKYARD_HTTP_PORT": "9090",
            "STOCKYARD_MAX_BODY_BYTES": "2048",
            "STOCKYARD_LOG_FORMAT": "JSON",
            "STOCKYARD_LOG_LEVEL": "Debug",
            "STOCKYARD_HTTP_HOST": "  ",
        ])
        #expect(config.databaseURL.host == "h")
        #expect(config.httpPort == 9090)
        #expect(config.maxBodyBytes == 2048)
        #expect(config.logFormat == .json)
        #expect(config.logLevel == "debug")
        #expect(config.httpHost == StockyardConfig.defaults.httpHost)   // blank means unset
        #expect(config.ownerDatabaseURL == StockyardConfig.defaults.ownerDatabaseURL)
        #expect(try StockyardConfig(environment: [:]) == StockyardConfig.defaults)
        #expect(StockyardConfig.defaults.maxBodyBytes == 1_048_576)
    }

    @Test func anInvalidSettingIsAnErrorThatNamesIt() {
        #expect(throws: ConfigError.invalid(key: "STOCKYARD_HTTP_PORT", value: "eighty", reason: "expected an integer in 0...65535")) {
            try StockyardConfig(environment: ["STOCKYARD_HTTP_PORT": "eighty"])
        }
        do {
            _ = try StockyardConfig(environment: ["STOCKYARD_OWNER_DATABASE_URL": "postgres://u:hunter2@h"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("STOCKYARD_OWNER_DATABASE_URL="))
            #expect(!error.description.contains("hunter2"), "the password must not be echoed")
        }
    }

    @Test func redactedConfigHidesPasswords() {
        let values = StockyardConfig.defaults.redacted
        #expect(values["STOCKYARD_DATABASE_URL"] == "postgres://stockyard_app:***@127.0.0.1:54329/stockyard")
        #expect(!values.values.contains { $0.contains("stockyard_app@") && $0.contains(":stockyard_app") })
    }
}
