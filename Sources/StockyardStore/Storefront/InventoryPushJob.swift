/// The job that publishes one (storefront location, product) pair's availability (issue 6, item 5). Its runner
/// lives in StockyardSync; the store names the kind too, since quant changes enqueue it (migration 0011) and a
/// standalone adjustment wakes its runners (migrations 0025, 0027).
public enum InventoryPushJob {
    public static let kind = "inventory.push"
}
