/// Counts of (true class, predicted class) pairs, and the per-class figures derived from them.
public struct ConfusionMatrix: Sendable, Equatable {
    /// `counts[t][p]`: samples of true class t predicted as p.
    public private(set) var counts: [[Int]]

    /// The matrix of `predictions` against `labels`, over `classes` classes.
    /// - Throws: ``ConvNetError`` if the lists differ in length or hold a class outside `0..<classes`.
    public init(predictions: [Int], labels: [Int], classes: Int) throws {
        guard classes > 0 else { throw ConvNetError(op: "confusion matrix", "needs at least one class") }
        guard predictions.count == labels.count else {
            throw ConvNetError(op: "confusion matrix", "\(predictions.count) predictions for \(labels.count) labels")
        }
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predictions, labels) {
            guard (0..<classes).contains(p), (0..<classes).contains(t) else {
                throw ConvNetError(op: "confusion matrix", "class \((0..<classes).contains(p) ? t : p) is outside 0..<\(classes)")
            }
            counts[t][p] += 1
        }
    }

    /// Number of classes.
    public var classes: Int { counts.count }
    /// Number of samples.
    public var total: Int { counts.joined().reduce(0, +) }
    /// Percent of samples on the diagonal.
    public var accuracy: Double { 100 * Double((0..<classes).reduce(0) { $0 + counts[$1][$1] }) / Double(max(total, 1)) }

    /// Of the samples predicted as `c`, the fraction that are `c` (0 when none is predicted as `c`).
    public func precision(_ c: Int) -> Double {
        let predicted = (0..<classes).reduce(0) { $0 + counts[$1][c] }
        return predicted == 0 ? 0 : Double(counts[c][c]) / Double(predicted)
    }

    /// Of the samples of class `c`, the fraction predicted as `c` (0 when the class has none).
    public func recall(_ c: Int) -> Double {
        let actual = counts[c].reduce(0, +)
        return actual == 0 ? 0 : Double(counts[c][c]) / Double(actual)
    }

    /// Harmonic mean of precision and recall, 2PR/(P + R) (0 when both are 0).
    public func f1(_ c: Int) -> Double {
        let (p, r) = (precision(c), recall(c))
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// The unweighted mean of per-class F1 scores.
    public var macroF1: Double { (0..<classes).reduce(0) { $0 + f1($1) } / Double(classes) }

    /// A table: the matrix (rows true, columns predicted), then precision, recall and F1 per class.
    public func table(classNames: [String]) -> String {
        let names = (0..<classes).map { $0 < classNames.count ? classNames[$0] : "\($0)" }
        let width = max(6, names.map(\.count).max() ?? 0, String(counts.joined().max() ?? 0).count)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        let label = "true \\ predicted", first = max(label.count, names.map(\.count).max() ?? 0) + 2
        var lines = [label.padding(toLength: first, withPad: " ", startingAt: 0)
            + names.map(cell).joined(separator: " ") + "   precision  recall      F1"]
        for t in 0..<classes {
            let row = names[t].padding(toLength: first, withPad: " ", startingAt: 0)
                + counts[t].map { cell(String($0)) }.joined(separator: " ")
            let figures = [precision(t), recall(t), f1(t)].map { String(format: "%8.4f", $0) }.joined(separator: "  ")
            lines.append(row + "   " + figures)
        }
        lines.append(String(format: "accuracy %.2f%%, macro F1 %.4f", accuracy, macroF1))
        return lines.joined(separator: "\n")
    }
}
