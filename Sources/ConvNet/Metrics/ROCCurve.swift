/// A one-vs-rest receiver operating characteristic curve, as scikit-learn's `roc_curve` returns
/// it with its default `drop_intermediate=True`.
public struct ROCCurve: Sendable, Equatable {
    /// False-positive rate at each threshold, from 0 up to 1.
    public var falsePositiveRate: [Double]
    /// True-positive rate (recall) at each threshold, from 0 up to 1.
    public var truePositiveRate: [Double]
    /// Score thresholds, descending; the first is +∞ (nothing predicted positive).
    public var thresholds: [Double]

    /// The curve of `scores` against `positive`, or `nil` when there are no positives or no
    /// negatives (scikit-learn then warns and returns NaN rates; the rates are undefined).
    ///
    /// Points strictly inside a straight segment are dropped, as scikit-learn does: a point is
    /// kept where the second difference of the false- or true-positive counts is non-zero, plus
    /// the first and last. This changes neither the drawing nor the area.
    public init?(scores: [Double], positive: [Bool]) {
        self.init(counts: ThresholdCounts(scores: scores, positive: positive))
    }

    /// The curve through the operating points of `counts` (nil as ``init(scores:positive:)``).
    init?(counts: ThresholdCounts) {
        guard let tpTotal = counts.truePositives.last, let fpTotal = counts.falsePositives.last,
              tpTotal > 0, fpTotal > 0 else { return nil }
        var kept = Array(counts.thresholds.indices)
        let (tps, fps) = (counts.truePositives, counts.falsePositives)
        if tps.count > 2 {
            kept = kept.filter { i in
                i == 0 || i == tps.count - 1
                    || fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0
            }
        }
        falsePositiveRate = [0] + kept.map { fps[$0] / fpTotal }
        truePositiveRate = [0] + kept.map { tps[$0] / tpTotal }
        thresholds = [.infinity] + kept.map { counts.thresholds[$0] }
    }

    /// The area under the curve by the trapezoid rule (scikit-learn's `auc(fpr, tpr)`), which is
    /// the probability that a random positive scores above a random negative, ties counting half.
    public var area: Double {
        var sum = 0.0
        for i in 1..<falsePositiveRate.count {
            sum += (falsePositiveRate[i] - falsePositiveRate[i - 1]) * (truePositiveRate[i] + truePositiveRate[i - 1]) / 2
        }
        return sum
    }
}
