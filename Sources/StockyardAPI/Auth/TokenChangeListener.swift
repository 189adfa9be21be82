import Logging
import PostgresNIO
import ServiceLifecycle
import StockyardCore
import StockyardStore

/// LISTENs for `stockyard_api_token_changed` on a connection of its own and keeps `TokenCache` honest.
/// While it is not connected the cache is off, so a revocation can never be missed; it reconnects with backoff.
struct TokenChangeListener: Service {
    static let channel = "stockyard_api_token_changed"
    let url: DatabaseURL
    let cache: TokenCache
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await DedicatedConnection.with(url, logger: logger) { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            cache.setListening(true)
                            failures = 0
                            for try await notification in notifications { cache.invalidate(hash: notification.payload) }
                        }
                    }
                } catch where Task.isCancelled {
                    break
                } catch {
                    failures += 1
                    logger.warning("token change listener lost its connection; token cache off until it reconnects",
                                   metadata: ["error": "\(String(reflecting: error))"])
                }
                cache.setListening(false)
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
        cache.setListening(false)
    }
}
