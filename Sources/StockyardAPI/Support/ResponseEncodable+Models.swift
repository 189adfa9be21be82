import Hummingbird
import StockyardCore
import StockyardStore
import StockyardSync

// Domain and store types are returned from handlers as they are.
extension Page: ResponseEncodable {}
extension TokenInfo: ResponseEncodable {}
extension IssuedToken: ResponseEncodable {}
extension Company: ResponseEncodable {}
extension Location: ResponseEncodable {}
extension Product: ResponseEncodable {}
extension ProductCategory: ResponseEncodable {}
extension Quant: ResponseEncodable {}
extension StockMove: ResponseEncodable {}
extension AdjustmentResult: ResponseEncodable {}
extension Warehouse: ResponseEncodable {}
extension PickingType: ResponseEncodable {}
extension Picking: ResponseEncodable {}
extension PickingRepository.ValidationResult: ResponseEncodable {}
extension ProcurementRepository.Result: ResponseEncodable {}
extension SyncJob: ResponseEncodable {}
extension JobStats: ResponseEncodable {}
extension CheckoutSyncView: ResponseEncodable {}
extension MoveLine: ResponseEncodable {}
extension Shop: ResponseEncodable {}
extension StorefrontLocation: ResponseEncodable {}
extension StorefrontVariant: ResponseEncodable {}
extension VariantImportSummary: ResponseEncodable {}
extension CutoverChecklistReport: ResponseEncodable {}
extension OpeningStockStage: ResponseEncodable {}
extension CutoverPreview.Report: ResponseEncodable {}
