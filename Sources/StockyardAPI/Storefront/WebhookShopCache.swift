import Foundation
import Logging
import StockyardCore
import StockyardStore
import Synchronization

/// The shop a webhook domain names and its opened secrets, kept for one second: a burst of deliveries costs one
/// lookup and one unsealing per shop per second instead of one each. Unknown domains are remembered too, so a flood
/// of forgeries does not reach Postgres. A shop created or changed through this process is forgotten at once (a new
/// secret or a new shop answers on the next delivery); one changed by another process takes effect within the second.
final class WebhookShopCache: Sendable {
    struct Entry: Sendable {
        let shop: WebhookShop?
        /// The current secret, and the previous one while its rotation window lasts.
        let secrets: [String]
        let expires: ContinuousClock.Instant
    }

    static let lifetime: Duration = .seconds(1)
    private let entries = Mutex<[String: Entry]>([:])
    private let events: WebhookEventRepository
    private let box: SecretBox?

    init(events: WebhookEventRepository, secrets: SecretBox?) {
        self.events = events
        self.box = secrets
    }

    func lookup(_ domain: String, logger: Logger) async throws -> Entry {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[domain] }), entry.expires > now { return entry }
        let shop = try await events.shop(forDomain: domain, logger: logger)
        let entry = Entry(shop: shop, secrets: shop.map(open) ?? [], expires: now + Self.lifetime)
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }   // bounded, whatever domains are sent
            entries[domain] = entry
        }
        return entry
    }

    /// Forgets every shop: after a shop is created or its settings change. Shop writes are rare, so dropping all
    /// is simpler than tracking which domain changed, and costs one lookup per active shop.
    func forgetAll() {
        entries.withLock { $0.removeAll() }
    }

    /// A secret that does not open (another key) is left out, so the delivery is refused rather than failing.
    private func open(_ shop: WebhookShop) -> [String] {
        guard let box else { return [] }
        let context = ShopRepository.sealingContext(shop: shop.shop)
        var opened = [(try? box.open(shop.webhookSecretSealed, boundTo: context))].compactMap { $0 }
        if let previous = shop.previousWebhookSecretSealed, let expires = shop.previousWebhookSecretExpiresAt, expires > Date(),
           let secret = try? box.open(previous, boundTo: context) {
            opened.append(secret)
        }
        return opened
    }
}
