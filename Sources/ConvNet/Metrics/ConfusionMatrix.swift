import Foundation

/// Counts of (true class, predicted class) pairs, and the per-class figures derived from them.
///
/// Only the pairs that occur are stored, with each class's row and column totals: memory grows
/// with the samples, not with the square of the classes (10,000 classes would be 10⁸ cells), and
/// every per-class figure is O(1).
public struct ConfusionMatrix: Sendable, Equatable {
    /// Number of classes.
    public let classes: Int
    /// The non-zero cells: samples of true class t predicted as p, keyed `t · classes + p`.
    private var cells: [Int: Int] = [:]
    /// Samples of each true class (row sums) and predicted as each class (column sums).
    private var rowTotals: [Int], columnTotals: [Int]
    /// Samples predicted as their true class, per class.
    private var diagonal: [Int]

    /// The matrix of `predictions` against `labels`, over `classes` classes.
    /// - Throws: ``ConvNetError`` if the lists differ in length or hold a class outside `0..<classes`.
    public init(predictions: [Int], labels: [Int], classes: Int) throws {
        try self.init(classes: classes)
        guard predictions.count == labels.count else {
            throw ConvNetError(op: "confusion matrix", "\(predictions.count) predictions for \(labels.count) labels")
        }
        for (p, t) in zip(predictions, labels) { try add(label: t, prediction: p) }
    }

    /// An empty matrix of `classes` classes, filled by ``add(label:prediction:)``.
    /// - Throws: ``ConvNetError`` for fewer than one class.
    public init(classes: Int) throws {
        guard classes > 0 else { throw ConvNetError(op: "confusion matrix", "needs at least one class") }
        self.classes = classes
        (rowTotals, columnTotals, diagonal) = ([Int](repeating: 0, count: classes), [Int](repeating: 0, count: classes),
                                               [Int](repeating: 0, count: classes))
    }

    /// Counts one sample of true class `t` predicted as `p`.
    /// - Throws: ``ConvNetError`` for a class outside `0..<classes`.
    public mutating func add(label t: Int, prediction p: Int) throws {
        guard (0..<classes).contains(p), (0..<classes).contains(t) else {
            throw ConvNetError(op: "confusion matrix", "class \((0..<classes).contains(p) ? t : p) is outside 0..<\(classes)")
        }
        cells[t * classes + p, default: 0] += 1
        rowTotals[t] += 1
        columnTotals[p] += 1
        if t == p { diagonal[t] += 1 }
    }

    /// Samples of true class `t` predicted as `p`.
    public func count(label t: Int, prediction p: Int) -> Int { cells[t * classes + p] ?? 0 }

    /// `counts[t][p]`: samples of true class t predicted as p, as a dense matrix (classes² numbers:
    /// for large class counts use ``count(label:prediction:)`` or ``nonZeroCells``).
    public var counts: [[Int]] {
        var dense = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (key, n) in cells { dense[key / classes][key % classes] = n }
        return dense
    }

    /// The cells that are not zero, as (true, predicted, count), in row-major order.
    public var nonZeroCells: [(label: Int, prediction: Int, count: Int)] {
        cells.keys.sorted().map { ($0 / classes, $0 % classes, cells[$0]!) }
    }

    /// Number of samples.
    public var total: Int { rowTotals.reduce(0, +) }
    /// Percent of samples on the diagonal.
    public var accuracy: Double { 100 * Double(diagonal.reduce(0, +)) / Double(max(total, 1)) }

    /// Samples of true class `c` (its row sum).
    public func support(_ c: Int) -> Int { rowTotals[c] }
    /// Samples predicted as class `c` (its column sum).
    public func predicted(_ c: Int) -> Int { columnTotals[c] }

    /// Of the samples predicted as `c`, the fraction that are `c` (0 when none is predicted as `c`).
    public func precision(_ c: Int) -> Double {
        columnTotals[c] == 0 ? 0 : Double(diagonal[c]) / Double(columnTotals[c])
    }

    /// Of the samples of class `c`, the fraction predicted as `c` (0 when the class has none).
    public func recall(_ c: Int) -> Double {
        rowTotals[c] == 0 ? 0 : Double(diagonal[c]) / Double(rowTotals[c])
    }

    /// Harmonic mean of precision and recall, 2PR/(P + R) (0 when both are 0).
    public func f1(_ c: Int) -> Double {
        let (p, r) = (precision(c), recall(c))
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// The unweighted mean of per-class F1 scores.
    public var macroF1: Double { (0..<classes).reduce(0) { $0 + f1($1) } / Double(classes) }

    /// A table: the matrix (rows true, columns predicted), then precision, recall and F1 per class.
    /// It has classes² cells: beyond ``ClassificationMetrics/detailedClassLimit`` classes,
    /// ``summary(classNames:top:)`` says what it would.
    public func table(classNames: [String]) -> String {
        let names = (0..<classes).map { $0 < classNames.count ? classNames[$0] : "\($0)" }
        let width = max(6, names.map(\.count).max() ?? 0, String(cells.values.max() ?? 0).count)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        let label = "true \\ predicted", first = max(label.count, names.map(\.count).max() ?? 0) + 2
        var lines = [label.padding(toLength: first, withPad: " ", startingAt: 0)
            + names.map(cell).joined(separator: " ") + "   precision  recall      F1"]
        for t in 0..<classes {
            let row = names[t].padding(toLength: first, withPad: " ", startingAt: 0)
                + (0..<classes).map { cell(String(count(label: t, prediction: $0))) }.joined(separator: " ")
            let figures = [precision(t), recall(t), f1(t)].map { String(format: "%8.4f", $0) }.joined(separator: "  ")
            lines.append(row + "   " + figures)
        }
        lines.append(String(format: "accuracy %.2f%%, macro F1 %.4f", accuracy, macroF1))
        return lines.joined(separator: "\n")
    }
}
