import Logging
import PostgresNIO
import ServiceLifecycle
import StockyardCore
import StockyardStore

/// LISTENs for `stockyard_api_token_changed` on a connection of its own and keeps `TokenCache` honest.
/// While it is not connected the cache is off, so a revocation can never be missed (`NotificationListener` reconnects).
struct TokenChangeListener: Service {
    static let channel = "stockyard_api_token_changed"
    let url: DatabaseURL
    let cache: TokenCache
    let logger: Logger

    func run() async throws {
        let listener = NotificationListener(url: url, channel: Self.channel, logger: logger)
        await cancelWhenGracefulShutdown {
            await listener.run { listening in
                cache.setListening(listening)
            } lost: { error, _ in
                logger.warning("token change listener lost its connection; token cache off until it reconnects",
                               metadata: ["error": "\(String(reflecting: error))"])
            } notification: { notification in
                cache.invalidate(hash: notification.payload)
            }
        }
        cache.setListening(false)
    }
}
