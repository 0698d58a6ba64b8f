import Foundation

/// Gathers ``ClassificationMetrics`` batch by batch, so that an evaluation never holds every
/// sample's scores unless ROC AUC and average precision need them and they fit: the scores are
/// kept while samples × classes is at most ``ClassificationMetrics/maximumScoreCells`` and
/// memory allows (``MemoryBudget``), and dropped, with a note, once they are not. The figures
/// equal those of ``ClassificationMetrics/init(probabilities:labels:classes:topK:calibrationBins:)``
/// on the same scores.
public struct MetricsAccumulator: Sendable {
    private var tallies: Tallies
    /// Every sample's scores, row-major, while kept.
    private var scores: [Float]? = []
    private var droppedBecause: String?

    /// An empty accumulator for `classes` classes.
    /// - Parameter expectedSamples: how many samples will come, when known: room for their scores
    ///   is then set aside at once (or, when they could not be kept, none is kept from the start).
    /// - Throws: ``ConvNetError`` unless `classes`, `topK` and `calibrationBins` are positive.
    public init(classes: Int, topK: Int = 5, calibrationBins: Int = 15, expectedSamples: Int? = nil) throws {
        tallies = try Tallies(classes: classes, topK: topK, calibrationBins: calibrationBins)
        if let expectedSamples, expectedSamples > 0 {
            let cells = MemoryBudget.product([expectedSamples, classes]) ?? .max
            if let reason = Self.reasonNotToKeep(cells) {
                (scores, droppedBecause) = (nil, reason)
            } else {
                scores!.reserveCapacity(cells)
            }
        }
    }

    /// Why `cells` scores cannot be kept, or nil when they can.
    private static func reasonNotToKeep(_ cells: Int) -> String? {
        if cells > ClassificationMetrics.maximumScoreCells {
            return "more than the \(ClassificationMetrics.maximumScoreCells) scores (samples × classes) kept for them"
        }
        // Room for the scores and for growing them (an array grows by copying).
        let bytes = MemoryBudget.product([cells, 2 * MemoryLayout<Float>.size]) ?? .max
        if (try? MemoryBudget.require(bytes, op: "metrics", what: "scores")) == nil {
            return "more scores than memory holds (\(MemoryBudget.tightestLimit()))"
        }
        return nil
    }

    /// Samples added so far.
    public var samples: Int { tallies.labels.count }

    /// Adds a batch: `probabilities` `[labels.count, classes]`, row-major.
    /// - Throws: ``ConvNetError`` when the sizes disagree, a label is outside the classes, or a
    ///   score is not finite.
    public mutating func add(probabilities: [Float], labels: [Int]) throws {
        let classes = tallies.classes
        guard probabilities.count == labels.count * classes else {
            throw ConvNetError(op: "metrics", "\(probabilities.count) scores for \(labels.count) labels of \(classes) classes")
        }
        guard probabilities.allSatisfy(\.isFinite) else { throw ConvNetError(op: "metrics", "scores hold NaN or infinity") }
        try probabilities.withUnsafeBufferPointer { p in
            for (i, y) in labels.enumerated() { try tallies.add(row: UnsafeBufferPointer(rebasing: p[(i * classes)..<((i + 1) * classes)]), label: y) }
        }
        keep(probabilities)
    }

    /// Keeps a batch's scores, or drops them all once they are too many.
    private mutating func keep(_ batch: [Float]) {
        // No second reference to the scores is taken: appending would then copy them all.
        guard let (count, capacity) = scores.map({ ($0.count, $0.capacity) }) else { return }
        let cells = count + batch.count
        // Within the room set aside, nothing to check; past it, the array would grow.
        if cells > capacity, let reason = Self.reasonNotToKeep(cells) {
            (scores, droppedBecause) = (nil, reason)
            return
        }
        scores! += batch
    }

    /// The figures of everything added.
    public func metrics() -> ClassificationMetrics {
        let (classes, n) = (tallies.classes, tallies.labels.count)
        var notes: [String] = []
        if let droppedBecause {
            notes.append("ROC AUC and average precision are not computed: \(n) images × \(classes) classes is \(droppedBecause); they need every score of every class")
        }
        guard let scores else { return ClassificationMetrics(tallies, scores: nil, notes: notes) }
        return ClassificationMetrics(tallies, scores: { c in (0..<n).map { Double(scores[$0 * classes + c]) } }, notes: notes)
    }
}
