/// What a storefront location is, as the cutover runbook classifies it.
public enum StorefrontLocationKind: String, Sendable, Codable, CaseIterable {
    case online, retail, thirdPartyLogistics = "3pl", pickup, marketplace, reserve
}

/// Whether a storefront location's levels follow the warehouse: undecided after the import, enabled (mapped to a
/// warehouse location), or deliberately excluded. There is no implicit default location.
public enum StorefrontLocationSync: String, Sendable, Codable, CaseIterable {
    case pending, enabled, excluded
}

/// The runbook's classes of drift between what Stockyard would publish and what the storefront holds.
public enum DriftClass: String, Sendable, Codable, CaseIterable {
    case productIdentity = "product_identity"
    case locationMapping = "location_mapping"
    case directionConflict = "direction_conflict"
    case bufferReservation = "buffer_reservation"
    case companyAccess = "company_access"
    case storefrontDelay = "storefront_delay"
}
