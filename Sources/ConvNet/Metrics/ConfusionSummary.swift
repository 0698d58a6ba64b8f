import Foundation

/// One off-diagonal cell of a confusion matrix: how often one class was taken for another.
public struct Confusion: Sendable, Equatable {
    /// The true class.
    public var label: Int
    /// The class predicted instead.
    public var prediction: Int
    /// Samples of `label` predicted as `prediction`.
    public var count: Int
}

extension ConfusionMatrix {
    /// The `k` largest off-diagonal cells, most frequent first (ties: lower true class, then
    /// lower predicted class, first). O(non-zero cells), whatever the number of classes.
    public func topConfusions(_ k: Int) -> [Confusion] {
        nonZeroCells.filter { $0.label != $0.prediction }
            .sorted { ($1.count, $0.label, $0.prediction) < ($0.count, $1.label, $1.prediction) }
            .prefix(max(k, 0)).map { Confusion(label: $0.label, prediction: $0.prediction, count: $0.count) }
    }

    /// What stands for the matrix beyond ``ClassificationMetrics/detailedClassLimit`` classes:
    /// the `top` most frequent confusions, each with its share of the true class, as lines.
    public func summary(classNames: [String], top: Int = ClassificationMetrics.topConfusionCount) -> String {
        func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : "\(c)" }
        let confusions = topConfusions(top)
        var lines = ["confusion matrix: \(classes) classes, more than \(ClassificationMetrics.detailedClassLimit): "
                     + "the \(confusions.count) most frequent confusions instead of \(classes)×\(classes) cells"]
        if confusions.isEmpty { lines.append("  (no image was misclassified)") }
        let width = confusions.map { name($0.label).count }.max() ?? 0
        for c in confusions {
            let share = 100 * Double(c.count) / Double(max(support(c.label), 1))
            lines.append("  " + name(c.label).padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: " → %@: %d (%.1f%% of its images)", name(c.prediction), c.count, share))
        }
        lines.append(String(format: "accuracy %.2f%%, macro F1 %.4f", accuracy, macroF1))
        return lines.joined(separator: "\n")
    }
}
