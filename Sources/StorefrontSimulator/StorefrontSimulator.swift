/// A local stand-in for the Shopify Admin API subset Stockyard speaks, and its signed webhooks, for tests,
/// demos and benchmarks (`../shared/acceptance/storefront_protocol.md`). The storefronts issue fills this target.
enum StorefrontSimulator {}
