import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StockyardCore
import StockyardStore

/// `POST /v1/webhooks/shopify` (DESIGN §6, issue 6 item 6). No bearer token: the HMAC is the credential. The body
/// is bounded before anything else, the signature is checked before it is parsed, the shop comes from the domain
/// header, the event is stored once per event id with its processing job, and the answer is 200 at once.
struct WebhookController {
    let shops: WebhookShopCache
    let queue: WebhookIngestQueue

    init(events: WebhookEventRepository, shops: WebhookShopCache, logger: Logger) {
        self.shops = shops
        self.queue = WebhookIngestQueue(events: events, logger: logger)
    }

    /// `{"status":"accepted"}`, or `duplicate` (stored before: no second effect). The two bodies are made once: run
    /// through the JSON encoder on every delivery, they cost more of the ingest's CPU than parsing the delivery.
    enum Accepted: ResponseGenerator {
        case accepted, duplicate

        private static let bodies = (accepted: ByteBuffer(string: #"{"status":"accepted"}"#),
                                     duplicate: ByteBuffer(string: #"{"status":"duplicate"}"#))

        func response(from request: Request, context: some RequestContext) -> Response {
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: self == .accepted ? Self.bodies.accepted : Self.bodies.duplicate))
        }
    }

    func register(on router: Router<AppRequestContext>) {
        router.post("v1/webhooks/shopify", use: receive)
    }

    func receive(request: Request, context: AppRequestContext) async throws -> Accepted {
        let headers = request.headers
        func header(_ name: String) -> String? {
            HTTPField.Name(name).flatMap { headers[$0] }?.trimmingWhitespace().nilIfEmpty
        }
        guard let signature = header("X-Shopify-Hmac-Sha256") else { throw AppError.unauthorized("X-Shopify-Hmac-Sha256 is missing") }
        guard let domain = header("X-Shopify-Shop-Domain")?.lowercased() else {
            throw AppError.unauthorized("X-Shopify-Shop-Domain is missing")
        }
        // BodyLimitMiddleware has already refused an oversize body (413) and buffered this one.
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        // An unknown domain and a wrong signature answer alike, so the endpoint does not tell which domains exist.
        let refused = AppError.unauthorized("the webhook's signature does not verify for its shop")
        let known = try await shops.lookup(domain, logger: context.logger)
        guard let shop = known.shop, WebhookSignature.isValid(body.readableBytesView, header: signature, secrets: known.secrets) else {
            throw refused
        }

        guard (try? JSONSerialization.jsonObject(with: Data(buffer: body))) is [String: Any] else {
            throw AppError.malformed("the webhook body is not a JSON object")
        }
        guard let topic = header("X-Shopify-Topic") else { throw AppError.invalid(field: "X-Shopify-Topic", detail: "X-Shopify-Topic is missing") }
        let webhookID = header("X-Shopify-Webhook-Id")
        guard let key = header("X-Shopify-Event-Id") ?? webhookID else {
            throw AppError.invalid(field: "X-Shopify-Event-Id", detail: "X-Shopify-Event-Id (or X-Shopify-Webhook-Id) is missing")
        }
        let triggeredAt = try header("X-Shopify-Triggered-At").map { text throws(AppError) in
            guard let date = Self.parseDate(text) else {
                throw .invalid(field: "X-Shopify-Triggered-At", detail: "X-Shopify-Triggered-At must be an RFC 3339 date-time")
            }
            return date
        }
        let delivery = WebhookDelivery(shop: shop.shop, eventKey: String(key.prefix(200)), webhookId: webhookID.map { String($0.prefix(200)) },
                                       topic: String(topic.prefix(100)), apiVersion: header("X-Shopify-API-Version").map { String($0.prefix(20)) },
                                       triggeredAt: triggeredAt, body: String(buffer: body))
        let stored = try await queue.ingest(delivery, company: shop.company)
        return stored ? .accepted : .duplicate
    }

    static func parseDate(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
