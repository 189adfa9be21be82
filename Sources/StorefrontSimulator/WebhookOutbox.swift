import AsyncHTTPClient
import Foundation
import NIOCore
import StockyardCore
import Synchronization

/// Delivers the simulator's webhooks the way Shopify does (../shared/acceptance/storefront_protocol.md): a POST of
/// the JSON body with the X-Shopify-* headers and a base64 HMAC-SHA256 of the raw body, 5 s in all; any non-2xx is a
/// failure, retried 8 times with backoff, after which the shop's subscription is deleted (no later event is sent
/// until a webhook URL is set again). The shop's fault switches add duplicate deliveries, out-of-order delivery, and
/// attempts that fail (sent with a wrong signature, so the receiver refuses them).
final class WebhookOutbox: Sendable {
    struct Webhook: Sendable {
        let url: String
        let apiVersion: String
        let domain: String
        let secret: String
        let topic: String
        let body: Data
        let webhookID: String
        let eventID: String
        let triggeredAt: String
    }

    struct Stats: Sendable, Codable, Equatable {
        var delivered = 0
        var failedAttempts = 0
        var abandoned = 0
    }

    /// Retries after the first attempt.
    static let retries = 8
    private let http: HTTPClient
    private let state = Mutex<State>(State())
    /// Boxed for the same reason as the simulator's level observer.
    private let abandoned = Mutex<AbandonHandler?>(nil)

    private struct AbandonHandler {
        let handle: @Sendable (String) -> Void
    }

    private struct State {
        var stats: [String: Stats] = [:]
        /// Per shop, a webhook held back so that the next one overtakes it (out-of-order switch).
        var held: [String: Webhook] = [:]
        /// Per shop, how many more attempts to spoil (failing-endpoint switch).
        var failing: [String: Int] = [:]
        var inFlight = 0
    }

    init(http: HTTPClient = .shared) { self.http = http }

    func stats(_ domain: String) -> Stats { state.withLock { $0.stats[domain] ?? Stats() } }

    /// Deliveries not yet finished (retries included), across shops.
    var inFlight: Int { state.withLock { $0.inFlight } }

    func failNextAttempts(_ count: Int, domain: String) { state.withLock { $0.failing[domain] = count } }

    /// Calls `handler` with the shop's domain when one of its deliveries has failed every retry.
    func onDeliveryAbandoned(_ handler: @escaping @Sendable (String) -> Void) {
        abandoned.withLock { $0 = AbandonHandler(handle: handler) }
    }

    /// Sends `webhook` in the background, applying the shop's ordering and duplicate switches.
    func send(_ webhook: Webhook, duplicate: Bool, outOfOrder: Bool, retryBase: Duration) {
        let order: [Webhook] = state.withLock { state in
            guard outOfOrder else { return [webhook] }
            if let held = state.held.removeValue(forKey: webhook.domain) { return [webhook, held] }
            state.held[webhook.domain] = webhook
            return []
        }
        if outOfOrder && order.isEmpty {
            // Nothing overtook it in time: send it anyway.
            Task {
                try? await Task.sleep(for: .milliseconds(300))
                let held: Webhook? = self.state.withLock { state in
                    guard state.held[webhook.domain]?.webhookID == webhook.webhookID else { return nil }
                    return state.held.removeValue(forKey: webhook.domain)
                }
                if let held { self.start(held, copies: duplicate ? 2 : 1, retryBase: retryBase) }
            }
        }
        for item in order { start(item, copies: duplicate ? 2 : 1, retryBase: retryBase) }
    }

    private func start(_ webhook: Webhook, copies: Int, retryBase: Duration) {
        state.withLock { $0.inFlight += copies }
        for _ in 0..<copies {
            Task {
                await self.deliver(webhook, retryBase: retryBase)
                self.state.withLock { $0.inFlight -= 1 }
            }
        }
    }

    private func deliver(_ webhook: Webhook, retryBase: Duration) async {
        for attempt in 0...Self.retries {
            if attempt > 0 { try? await Task.sleep(for: retryBase * (1 << min(attempt - 1, 6))) }
            let spoiled = state.withLock { state in
                guard let left = state.failing[webhook.domain], left > 0 else { return false }
                state.failing[webhook.domain] = left - 1
                return true
            }
            if await post(webhook, spoiled: spoiled) {
                state.withLock { $0.stats[webhook.domain, default: Stats()].delivered += 1 }
                return
            }
            state.withLock { $0.stats[webhook.domain, default: Stats()].failedAttempts += 1 }
        }
        state.withLock { $0.stats[webhook.domain, default: Stats()].abandoned += 1 }
        abandoned.withLock { $0 }?.handle(webhook.domain)
    }

    private func post(_ webhook: Webhook, spoiled: Bool) async -> Bool {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Shopify-Topic", value: webhook.topic)
        request.headers.add(name: "X-Shopify-Hmac-Sha256",
                            value: WebhookSignature.sign(webhook.body, secret: spoiled ? webhook.secret + "-spoiled" : webhook.secret))
        request.headers.add(name: "X-Shopify-Shop-Domain", value: webhook.domain)
        request.headers.add(name: "X-Shopify-API-Version", value: webhook.apiVersion)
        request.headers.add(name: "X-Shopify-Webhook-Id", value: webhook.webhookID)
        request.headers.add(name: "X-Shopify-Event-Id", value: webhook.eventID)
        request.headers.add(name: "X-Shopify-Triggered-At", value: webhook.triggeredAt)
        request.body = .bytes(ByteBuffer(data: webhook.body))
        do {
            let response = try await http.execute(request, timeout: .seconds(5))
            _ = try? await response.body.collect(upTo: 1 << 16)
            return (200..<300).contains(response.status.code)
        } catch {
            return false
        }
    }
}
