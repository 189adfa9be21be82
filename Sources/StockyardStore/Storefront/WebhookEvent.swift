import Foundation
import StockyardCore

/// A webhook delivery as received: the headers that matter and the raw payload.
public struct WebhookDelivery: Sendable {
    public let shop: Int64
    /// X-Shopify-Event-Id, else X-Shopify-Webhook-Id: the same value on duplicates.
    public let eventKey: String
    public let webhookId: String?
    public let topic: String
    public let apiVersion: String?
    public let triggeredAt: Date?
    /// The raw body, already checked to be a JSON object (stored as jsonb).
    public let body: String

    public init(shop: Int64, eventKey: String, webhookId: String?, topic: String, apiVersion: String?, triggeredAt: Date?,
                body: String) {
        self.shop = shop
        self.eventKey = eventKey
        self.webhookId = webhookId
        self.topic = topic
        self.apiVersion = apiVersion
        self.triggeredAt = triggeredAt
        self.body = body
    }
}

/// A stored event, for its processing job.
public struct WebhookEvent: Sendable {
    public let id: Int64
    public let shop: Int64
    public let topic: String
    public let triggeredAt: Date?
    public let receivedAt: Date
    public let payload: JSONValue
    public let processedAt: Date?
}

/// The shop a webhook's domain names, with its sealed secrets (opened only to check the HMAC).
public struct WebhookShop: Sendable {
    public let company: Int64
    public let shop: Int64
    public let webhookSecretSealed: Data
    public let previousWebhookSecretSealed: Data?
    public let previousWebhookSecretExpiresAt: Date?
}
