/// How well a classifier's confidence matches its accuracy: the reliability-diagram bins and the
/// expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural Networks").
///
/// Confidence is the largest class probability of a sample, its prediction that class. Bin i of
/// `bins` equal-width bins holds confidences in (i/bins, (i+1)/bins] (a confidence of exactly 0
/// goes in the first bin). ECE = Σᵢ (nᵢ / n) · |accuracyᵢ − confidenceᵢ|, the mean gap between
/// accuracy and mean confidence, weighted by the fraction of samples in the bin.
public struct Calibration: Sendable, Equatable {
    /// One bar of the reliability diagram.
    public struct Bin: Sendable, Equatable {
        /// Lower and upper confidence edges, (lower, upper].
        public var lower: Double, upper: Double
        /// Samples whose confidence falls in the bin.
        public var count: Int
        /// Fraction of those samples predicted correctly (0 for an empty bin).
        public var accuracy: Double
        /// Their mean confidence (0 for an empty bin).
        public var confidence: Double
    }

    /// The bins, lowest confidence first.
    public var bins: [Bin]
    /// Expected calibration error, a fraction in [0, 1].
    public var expectedCalibrationError: Double

    /// Binning of `confidences` (each sample's largest probability) and whether each sample's
    /// prediction was `correct`, into `bins` equal-width bins.
    public init(confidences: [Double], correct: [Bool], bins binCount: Int = 15) {
        precondition(binCount > 0 && confidences.count == correct.count, "one outcome per confidence, at least one bin")
        var count = [Int](repeating: 0, count: binCount)
        var hits = [Double](repeating: 0, count: binCount), sums = [Double](repeating: 0, count: binCount)
        for (c, ok) in zip(confidences, correct) {
            // (i/B, (i+1)/B] → i: the ceiling of c·B, less one, kept inside the range (a
            // confidence outside [0, 1], or NaN, lands in an end bin instead of trapping).
            let scaled = (c.isNaN ? 0 : min(max(c, 0), 1)) * Double(binCount)
            let i = min(binCount - 1, max(0, Int(scaled.rounded(.up)) - 1))
            count[i] += 1
            sums[i] += c
            if ok { hits[i] += 1 }
        }
        let n = Double(max(confidences.count, 1))
        bins = (0..<binCount).map { i in
            let k = Double(count[i])
            return Bin(lower: Double(i) / Double(binCount), upper: Double(i + 1) / Double(binCount), count: count[i],
                       accuracy: count[i] == 0 ? 0 : hits[i] / k, confidence: count[i] == 0 ? 0 : sums[i] / k)
        }
        expectedCalibrationError = bins.reduce(0) { $0 + Double($1.count) / n * abs($1.accuracy - $1.confidence) }
    }
}
