import Foundation

/// Figures of a score matrix (`[n, classes]` probabilities, row-major) against the true labels
/// that need no sorting: top-k accuracy and log loss.
public enum ScoreAccuracy {
    /// Fraction of samples whose true class is among the `k` highest-scoring classes, as
    /// scikit-learn's `top_k_accuracy_score`: among equal scores the higher class index ranks
    /// first (its stable ascending sort, reversed). k ≥ classes gives 1.
    public static func topK(_ probabilities: [Double], labels: [Int], classes: Int, k: Int) -> Double {
        var hits = 0
        for (i, y) in labels.enumerated() {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            let s = row[row.startIndex + y]
            var ahead = 0
            for (j, v) in zip(0..., row) where v > s || (v == s && j > y) { ahead += 1 }
            if ahead < k { hits += 1 }
        }
        return Double(hits) / Double(max(labels.count, 1))
    }

    /// Mean negative log probability of the true class (scikit-learn's `log_loss`), probabilities
    /// clipped to [ε, 1 − ε] with ε the Double epsilon so that a 0 gives a large finite loss.
    public static func logLoss(_ probabilities: [Double], labels: [Int], classes: Int) -> Double {
        let eps = Double.ulpOfOne
        var sum = 0.0
        for (i, y) in labels.enumerated() {
            sum -= log(min(max(probabilities[i * classes + y], eps), 1 - eps))
        }
        return sum / Double(max(labels.count, 1))
    }
}
