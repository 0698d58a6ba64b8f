/// One rank's share of every epoch when several processes train one model (PyTorch's
/// `DistributedSampler`).
///
/// The epoch's order, the same on every rank, is padded (for training) with its own first samples
/// to a multiple of ``ranks``; rank r takes positions r, r + ranks, r + 2·ranks, …. Batches of
/// B / ranks over each rank's share then make up, together, exactly the batches of B over the
/// padded order: batch k of rank r holds positions kB + r, kB + r + ranks, … of the global batch
/// kB ..< (k+1)B.
public struct DataShard: Sendable, Equatable {
    /// This rank, `0 ..< ranks`.
    public let rank: Int
    /// The number of ranks.
    public let ranks: Int
    /// Pad the order to a multiple of ``ranks`` so every rank gets as many samples (training);
    /// without, each sample is seen once and shares differ by at most one (evaluation).
    public let padded: Bool

    /// - Throws: ``ConvNetError`` unless `0 ≤ rank < ranks`.
    public init(rank: Int, ranks: Int, padded: Bool) throws {
        guard ranks >= 1, rank >= 0, rank < ranks else {
            throw ConvNetError(op: "DataShard", "rank \(rank) of \(ranks) ranks")
        }
        (self.rank, self.ranks, self.padded) = (rank, ranks, padded)
    }

    /// The samples this rank gets of an order of `count`.
    public func length(of count: Int) -> Int {
        let whole = count / ranks, rest = count % ranks
        if padded { return whole + (rest > 0 ? 1 : 0) }
        return whole + (rank < rest ? 1 : 0)
    }

    /// This rank's part of `order`.
    public func part(of order: [Int]) -> [Int] {
        guard !order.isEmpty else { return [] }
        let end = padded ? length(of: order.count) * ranks : order.count
        return stride(from: rank, to: end, by: ranks).map { order[$0 % order.count] }
    }
}
