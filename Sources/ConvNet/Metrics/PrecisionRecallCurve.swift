/// A one-vs-rest precision-recall curve, as scikit-learn's `precision_recall_curve` returns it:
/// one point per distinct score, in order of increasing threshold, then the point (recall 0,
/// precision 1) that has no threshold.
public struct PrecisionRecallCurve: Sendable, Equatable {
    /// Precision at each threshold, then 1. A threshold above which nothing is predicted has
    /// precision 0 (scikit-learn's choice for 0/0).
    public var precision: [Double]
    /// Recall at each threshold (decreasing), then 0.
    public var recall: [Double]
    /// The distinct scores, ascending (one fewer than the points).
    public var thresholds: [Double]

    /// The curve of `scores` against `positive`, or `nil` when there are no positives (recall is
    /// undefined; scikit-learn warns and sets it to 1).
    public init?(scores: [Double], positive: [Bool]) {
        self.init(counts: ThresholdCounts(scores: scores, positive: positive))
    }

    /// The curve through the operating points of `counts` (nil as ``init(scores:positive:)``).
    init?(counts: ThresholdCounts) {
        guard let tpTotal = counts.truePositives.last, tpTotal > 0 else { return nil }
        let points = zip(counts.truePositives, counts.falsePositives)
        precision = points.map { tp, fp in tp + fp == 0 ? 0 : tp / (tp + fp) }.reversed() + [1]
        recall = counts.truePositives.map { $0 / tpTotal }.reversed() + [0]
        thresholds = counts.thresholds.reversed()
    }

    /// Average precision, the step-wise area AP = Σₙ (Rₙ − Rₙ₋₁) Pₙ over the thresholds
    /// (scikit-learn's `average_precision_score`; no interpolation, not the trapezoid rule).
    public var averagePrecision: Double {
        var sum = 0.0
        // Points run from high recall to low; each recall step is weighted by the precision at
        // the threshold where it was reached.
        for i in 0..<(recall.count - 1) { sum += (recall[i] - recall[i + 1]) * precision[i] }
        return max(0, sum)
    }
}
