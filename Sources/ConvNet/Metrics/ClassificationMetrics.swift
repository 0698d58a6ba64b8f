import Foundation

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
    /// Area under the ROC curve; `nil` when the labels hold no sample of the class, or nothing
    /// else, or when the scores were too many to keep (``ClassificationMetrics/rankingComputed``).
    public var rocAUC: Double?
    /// Step-wise average precision; `nil` when the labels hold no sample of the class (or as `rocAUC`).
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
/// Many classes: memory and output stay linear in samples + classes. The confusion matrix keeps
/// only the cells that occur; ROC AUC and average precision, which need every score of every
/// class, are computed while samples × classes is at most ``maximumScoreCells`` (and fits in
/// memory) and are otherwise left out with a note; curves are kept for at most
/// ``curveClassLimit`` classes. Everything else stays exact at any class count.
///
/// Cost: one sort per class for its ROC AUC and AP, O(n log n · classes).
public struct ClassificationMetrics: Sendable {
    /// Up to this many classes (CIFAR-100's 100) the confusion matrix is printed, written to JSON
    /// and drawn cell by cell; beyond, it is summarised (its most frequent confusions, a per-class
    /// table, a heat map drawn as one image).
    public static let detailedClassLimit = 100
    /// The confusions listed in place of a matrix beyond ``detailedClassLimit`` classes.
    public static let topConfusionCount = 20
    /// The most scores (samples × classes) kept for ROC AUC and average precision: 2²⁴, 64 MB of
    /// Float (e.g. 10,000 images × 1,000 classes, or CIFAR-100's test set 16 times over).
    public static let maximumScoreCells = 1 << 24
    /// Curves are kept for every class up to this many classes, else for the 5 with the lowest
    /// and the 5 with the highest ROC AUC.
    public static let curveClassLimit = 10

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
    /// The ROC curves kept (see ``curveClassLimit``), by class; a kept class without one has
    /// no ROC curve (no positive or no negative sample).
    public var rocCurves: [Int: ROCCurve]
    /// The precision-recall curves kept, by class (none for a class that never occurs).
    public var precisionRecallCurves: [Int: PrecisionRecallCurve]
    /// False when the scores were more than ``maximumScoreCells`` (or than memory holds): ROC AUC,
    /// average precision and the curves were then not computed.
    public var rankingComputed: Bool
    /// What was summarised or left out and why, for the user.
    public var notes: [String]

    /// The figures of `probabilities` (`[n, classes]`, row-major, each row summing to 1) against
    /// `labels`.
    /// - Throws: ``ConvNetError`` when the sizes disagree, a label is outside `0..<classes`, or a
    ///   score is not finite.
    public init(probabilities: [Double], labels: [Int], classes: Int, topK: Int = 5, calibrationBins: Int = 15) throws {
        var tallies = try Tallies(classes: classes, topK: topK, calibrationBins: calibrationBins)
        guard probabilities.count == labels.count * classes else {
            throw ConvNetError(op: "metrics", "\(probabilities.count) scores for \(labels.count) labels of \(classes) classes")
        }
        guard probabilities.allSatisfy(\.isFinite) else { throw ConvNetError(op: "metrics", "scores hold NaN or infinity") }
        try probabilities.withUnsafeBufferPointer { p in
            for (i, y) in labels.enumerated() { try tallies.add(row: UnsafeBufferPointer(rebasing: p[(i * classes)..<((i + 1) * classes)]), label: y) }
        }
        self.init(tallies, scores: { c in (0..<labels.count).map { probabilities[$0 * classes + c] } })
    }

    /// The figures of what `tallies` gathered; `scores(c)` gives class c's score of every sample
    /// (nil: not kept).
    init(_ tallies: Tallies, scores: ((Int) -> [Double])?, notes: [String] = []) {
        let classes = tallies.classes, labels = tallies.labels, n = labels.count
        let confusion = tallies.confusion
        var aucs = [Double?](repeating: nil, count: classes), aps = [Double?](repeating: nil, count: classes)
        var rocCurves: [Int: ROCCurve] = [:], prCurves: [Int: PrecisionRecallCurve] = [:]
        if let scores {
            func curves(_ c: Int) -> (ROCCurve?, PrecisionRecallCurve?) {
                let counts = ThresholdCounts(scores: scores(c), positive: labels.map { $0 == c })
                return (ROCCurve(counts: counts), PrecisionRecallCurve(counts: counts))
            }
            for c in 0..<classes {
                let (roc, pr) = curves(c)
                (aucs[c], aps[c]) = (roc?.area, pr?.averagePrecision)
                if classes <= Self.curveClassLimit { (rocCurves[c], prCurves[c]) = (roc, pr) }
            }
            if classes > Self.curveClassLimit {
                // The 5 lowest and the 5 highest ROC AUCs (ties by class), curves computed again.
                let ranked = (0..<classes).filter { aucs[$0] != nil }.sorted { (aucs[$0]!, $0) < (aucs[$1]!, $1) }
                for c in Set(ranked.prefix(Self.curveClassLimit / 2) + ranked.suffix(Self.curveClassLimit / 2)) {
                    (rocCurves[c], prCurves[c]) = curves(c)
                }
            }
        }
        samples = n
        accuracy = Double((0..<classes).reduce(0) { $0 + confusion.count(label: $1, prediction: $1) }) / Double(max(n, 1))
        topK = tallies.topK
        topKAccuracy = Double(tallies.topKHits) / Double(max(n, 1))
        logLoss = tallies.logLossSum / Double(max(n, 1))
        self.confusion = confusion
        perClass = (0..<classes).map { c in
            ClassFigures(precision: confusion.precision(c), recall: confusion.recall(c), f1: confusion.f1(c),
                         support: confusion.support(c), rocAUC: aucs[c], averagePrecision: aps[c])
        }
        macro = confusion.macroAverages
        weighted = confusion.weightedAverages
        let support = perClass.map(\.support)
        rocAUC = ClassAverage(aucs, support: support)
        averagePrecision = ClassAverage(aps, support: support)
        calibration = Calibration(confidences: tallies.confidences, correct: zip(tallies.predictions, labels).map { $0 == $1 },
                                  bins: tallies.calibrationBins)
        self.rocCurves = rocCurves
        precisionRecallCurves = prCurves
        rankingComputed = scores != nil
        self.notes = notes
        if classes > Self.detailedClassLimit {
            self.notes.append("\(classes) classes, more than \(Self.detailedClassLimit): the confusion matrix is summarised by its \(Self.topConfusionCount) most frequent confusions")
        }
    }
}

/// What the figures are made of, gathered one sample's scores at a time (O(1) per class each):
/// predictions, confidences, top-k hits, the log loss and the confusion counts.
struct Tallies: Sendable {
    let classes: Int, topK: Int, calibrationBins: Int
    var labels: [Int] = [], predictions: [Int] = [], confidences: [Double] = []
    var topKHits = 0, logLossSum = 0.0
    var confusion: ConfusionMatrix

    init(classes: Int, topK: Int, calibrationBins: Int) throws {
        guard classes > 0, topK > 0, calibrationBins > 0 else {
            throw ConvNetError(op: "metrics", "classes, top-k and bins must be positive (\(classes), \(topK), \(calibrationBins))")
        }
        (self.classes, self.topK, self.calibrationBins) = (classes, topK, calibrationBins)
        confusion = try ConfusionMatrix(classes: classes)
    }

    /// One sample: its `classes` scores and its true class.
    mutating func add<Score: BinaryFloatingPoint>(row: UnsafeBufferPointer<Score>, label y: Int) throws {
        guard (0..<classes).contains(y) else {
            throw ConvNetError(op: "metrics", "label \(y) is outside 0..<\(classes)")
        }
        var best = 0
        for j in 1..<classes where row[j] > row[best] { best = j }
        predictions.append(best)
        labels.append(y)
        confidences.append(Double(row[best]))
        try confusion.add(label: y, prediction: best)
        // scikit-learn's top_k_accuracy_score: among equal scores the higher class ranks first.
        let s = row[y]
        var ahead = 0
        for j in 0..<classes where row[j] > s || (row[j] == s && j > y) { ahead += 1 }
        if ahead < topK { topKHits += 1 }
        logLossSum -= log(min(max(Double(s), Double.ulpOfOne), 1 - Double.ulpOfOne))
    }
}
