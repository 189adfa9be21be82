import Foundation
import StockyardCore

/// Which levels a cutover step covers: the given SKUs and/or product categories; everything when both are nil.
public struct LevelSelection: Sendable, Codable, Equatable {
    public let skus: [String]?
    public let categoryIds: [Int64]?

    public init(skus: [String]?, categoryIds: [Int64]?) {
        self.skus = skus
        self.categoryIds = categoryIds
    }
}

/// A published opening-stock stage and how far it got.
public struct OpeningStockStage: Sendable, Codable, Equatable {
    public let id: Int64
    public let createdAt: Date
    public let selection: LevelSelection
    public let levels: Int
    public let published: Int
    /// Levels whose push is dead (see the job list).
    public let failed: Int
}

/// The checklist as the API shows it, with whether the shop may go live now.
public struct CutoverChecklistReport: Sendable, Codable, Equatable {
    public let shopId: Int64
    public let cutoverState: String
    public let items: [CutoverChecklist.Item]
    public let readyToGoLive: Bool
}
