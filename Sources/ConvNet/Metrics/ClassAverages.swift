/// Precision, recall and F1 averaged over classes, as scikit-learn's
/// `precision_recall_fscore_support(average="macro" | "weighted", zero_division=0)`.
public struct ClassAverages: Sendable, Equatable {
    /// Averaged precision.
    public var precision: Double
    /// Averaged recall.
    public var recall: Double
    /// Averaged per-class F1 (not the F1 of the averaged precision and recall).
    public var f1: Double
}

extension ConfusionMatrix {
    /// The unweighted mean over all classes of precision, recall and F1 (a class without samples
    /// or predictions counts with its 0s, as scikit-learn's zero_division=0 does).
    public var macroAverages: ClassAverages {
        let k = Double(classes)
        return ClassAverages(precision: (0..<classes).reduce(0) { $0 + precision($1) } / k,
                             recall: (0..<classes).reduce(0) { $0 + recall($1) } / k,
                             f1: macroF1)
    }

    /// The mean over classes weighted by support (so classes without samples do not count).
    public var weightedAverages: ClassAverages {
        let n = Double(max(total, 1))
        // support(c) is a stored total: O(classes), not O(classes²).
        func mean(_ f: (Int) -> Double) -> Double { (0..<classes).reduce(0) { $0 + Double(support($1)) * f($1) } / n }
        return ClassAverages(precision: mean(precision), recall: mean(recall), f1: mean(f1))
    }
}
