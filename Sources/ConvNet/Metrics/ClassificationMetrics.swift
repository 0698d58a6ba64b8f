/// A macro and a support-weighted average over classes; `nil` where no class has the figure.
public struct ClassAverage: Sendable, Equatable {
    /// The unweighted mean over the classes that have the figure.
    public var macro: Double?
    /// The mean over those classes weighted by their support (samples of the class).
    public var weighted: Double?

    /// The averages of `values` (nil entries left out) weighted by `support`.
    init(_ values: [Double?], support: [Int]) {
        let defined = zip(values, support).compactMap { v, s in v.map { ($0, Double(s)) } }
        let weights = defined.reduce(0) { $0 + $1.1 }
        macro = defined.isEmpty ? nil : defined.reduce(0) { $0 + $1.0 } / Double(defined.count)
        weighted = weights == 0 ? nil : defined.reduce(0) { $0 + $1.0 * $1.1 } / weights
    }
}

/// The figures of one class, one-vs-rest.
public struct ClassFigures: Sendable, Equatable {
    /// Of the samples predicted as the class, the fraction that are (0 when none is predicted).
    public var precision: Double
    /// Of the samples of the class, the fraction predicted as it (0 when it never occurs).
    public var recall: Double
    /// Harmonic mean of precision and recall (0 when both are 0).
    public var f1: Double
    /// Samples whose true class this is.
    public var support: Int
    /// Area under the ROC curve; `nil` when the labels hold no sample of the class, or nothing else.
    public var rocAUC: Double?
    /// Step-wise average precision; `nil` when the labels hold no sample of the class.
    public var averagePrecision: Double?
}

/// Everything convnet reports about a classifier's scores on a labelled set, each figure as
/// scikit-learn computes it (fractions in [0, 1], not percent).
///
/// Undefined figures follow scikit-learn where it answers and are `nil` where it refuses:
/// - precision of a class never predicted, recall of a class that never occurs, and F1 then, are
///   0 (scikit-learn's `zero_division` default, which warns); they count in the macro average.
/// - ROC AUC of a class with no positive (or no negative) sample is undefined: scikit-learn raises
///   for `multi_class="ovr"`. It is `nil` here, and the macro and weighted ROC AUC are taken over
///   the classes that have one. Average precision of a class that never occurs is `nil` and left
///   out of the averages the same way (scikit-learn's multiclass AP refuses such labels too).
///
/// Cost: one sort per class for its curves, O(n log n · classes).
public struct ClassificationMetrics: Sendable {
    /// Samples scored.
    public var samples: Int
    /// Fraction of samples whose highest-probability class (the first, among ties) is the true one.
    public var accuracy: Double
    /// The k of ``topKAccuracy``.
    public var topK: Int
    /// Fraction of samples whose true class is among the k most probable (``ScoreAccuracy/topK(_:labels:classes:k:)``).
    public var topKAccuracy: Double
    /// Mean negative log probability of the true class.
    public var logLoss: Double
    /// Predicted (highest probability) against true class.
    public var confusion: ConfusionMatrix
    /// Figures per class, in class order.
    public var perClass: [ClassFigures]
    /// Macro (unweighted) precision, recall and F1 over all classes.
    public var macro: ClassAverages
    /// Support-weighted precision, recall and F1.
    public var weighted: ClassAverages
    /// ROC AUC averaged over the classes where it is defined.
    public var rocAUC: ClassAverage
    /// Average precision averaged over the classes where it is defined.
    public var averagePrecision: ClassAverage
    /// Reliability-diagram bins and expected calibration error.
    public var calibration: Calibration
    /// Each class's ROC curve (`nil` where undefined).
    public var rocCurves: [ROCCurve?]
    /// Each class's precision-recall curve (`nil` where the class never occurs).
    public var precisionRecallCurves: [PrecisionRecallCurve?]

    /// The figures of `probabilities` (`[n, classes]`, row-major, each row summing to 1) against
    /// `labels`.
    /// - Throws: ``ConvNetError`` when the sizes disagree, a label is outside `0..<classes`, or a
    ///   score is not finite.
    public init(probabilities: [Double], labels: [Int], classes: Int, topK: Int = 5, calibrationBins: Int = 15) throws {
        guard classes > 0, topK > 0, calibrationBins > 0 else {
            throw ConvNetError(op: "metrics", "classes, top-k and bins must be positive (\(classes), \(topK), \(calibrationBins))")
        }
        guard probabilities.count == labels.count * classes else {
            throw ConvNetError(op: "metrics", "\(probabilities.count) scores for \(labels.count) labels of \(classes) classes")
        }
        guard probabilities.allSatisfy(\.isFinite) else { throw ConvNetError(op: "metrics", "scores hold NaN or infinity") }
        let n = labels.count
        var predictions = [Int](), confidences = [Double]()
        predictions.reserveCapacity(n)
        confidences.reserveCapacity(n)
        for i in 0..<n {
            var best = 0
            for j in 1..<classes where probabilities[i * classes + j] > probabilities[i * classes + best] { best = j }
            predictions.append(best)
            confidences.append(probabilities[i * classes + best])
        }
        let confusion = try ConfusionMatrix(predictions: predictions, labels: labels, classes: classes)
        var rocCurves: [ROCCurve?] = [], prCurves: [PrecisionRecallCurve?] = []
        var column = [Double](repeating: 0, count: n)
        for c in 0..<classes {
            for i in 0..<n { column[i] = probabilities[i * classes + c] }
            let positive = labels.map { $0 == c }
            rocCurves.append(ROCCurve(scores: column, positive: positive))
            prCurves.append(PrecisionRecallCurve(scores: column, positive: positive))
        }
        samples = n
        accuracy = Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(max(n, 1))
        self.topK = topK
        topKAccuracy = ScoreAccuracy.topK(probabilities, labels: labels, classes: classes, k: topK)
        logLoss = ScoreAccuracy.logLoss(probabilities, labels: labels, classes: classes)
        self.confusion = confusion
        perClass = (0..<classes).map { c in
            ClassFigures(precision: confusion.precision(c), recall: confusion.recall(c), f1: confusion.f1(c),
                         support: confusion.support(c), rocAUC: rocCurves[c]?.area,
                         averagePrecision: prCurves[c]?.averagePrecision)
        }
        macro = confusion.macroAverages
        weighted = confusion.weightedAverages
        let support = perClass.map(\.support)
        rocAUC = ClassAverage(perClass.map(\.rocAUC), support: support)
        averagePrecision = ClassAverage(perClass.map(\.averagePrecision), support: support)
        calibration = Calibration(confidences: confidences, correct: zip(predictions, labels).map { $0 == $1 },
                                  bins: calibrationBins)
        self.rocCurves = rocCurves
        precisionRecallCurves = prCurves
    }
}
