/// True and false positives at every distinct score of a one-vs-rest problem: the points that
/// ROC and precision-recall curves are drawn through (scikit-learn's `_binary_clf_curve`).
///
/// Scores are sorted once, high to low (O(n log n)); samples with equal scores are one operating
/// point, so tied scores never produce an order-dependent staircase.
struct ThresholdCounts {
    /// Cumulative true positives at each distinct score, highest score first.
    var truePositives: [Double]
    /// Cumulative false positives at each distinct score, highest score first.
    var falsePositives: [Double]
    /// The distinct scores, descending: predicting positive means score ≥ threshold.
    var thresholds: [Double]

    /// Counts for `scores` against `positive` (whether each sample belongs to the class).
    init(scores: [Double], positive: [Bool]) {
        precondition(scores.count == positive.count, "one label per score")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        truePositives = []
        falsePositives = []
        thresholds = []
        var tp = 0.0, fp = 0.0
        for (rank, i) in order.enumerated() {
            if positive[i] { tp += 1 } else { fp += 1 }
            // The last sample of a run of equal scores closes one operating point.
            if rank == order.count - 1 || scores[order[rank + 1]] != scores[i] {
                truePositives.append(tp)
                falsePositives.append(fp)
                thresholds.append(scores[i])
            }
        }
    }
}
