import ConvNet
import Foundation
import Testing

/// The metrics against scikit-learn's figures for the same scores (Tools/export_sklearn_metrics.py
/// wrote Fixtures/sklearn-metrics.json): tied scores, a class that never occurs, a class never predicted.
@Suite("metrics equal scikit-learn's")
struct SklearnMetricsTests {
    static var cases: [String: Any] { Fixtures.cases("sklearn-metrics.json") }
    static let tolerance = 1e-6

    struct Case {
        let classes: Int, labels: [Int], probabilities: [Double], json: [String: Any]
        let metrics: ClassificationMetrics

        init(_ name: String) throws {
            json = try #require(SklearnMetricsTests.cases[name] as? [String: Any], "fixture case \(name)")
            classes = try #require(json["classes"] as? Int)
            labels = try #require(json["labels"] as? [Int])
            probabilities = try #require(json["probabilities"] as? [[Double]]).flatMap { $0 }
            metrics = try ClassificationMetrics(probabilities: probabilities, labels: labels, classes: classes, topK: 2)
        }
        func double(_ key: String) throws -> Double { try #require(json[key] as? Double, "\(key)") }
        func doubles(_ key: String) throws -> [Double] { try #require(json[key] as? [Double], "\(key)") }
        func optionals(_ key: String) throws -> [Double?] {
            try #require(json[key] as? [Any], "\(key)").map { $0 as? Double }
        }
        func average(_ key: String) throws -> (macro: Double, weighted: Double) {
            let a = try #require(json[key] as? [String: Double], "\(key)")
            return (try #require(a["macro"]), try #require(a["weighted"]))
        }
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (x?, y?): abs(x - y) <= tolerance
        default: false
        }
    }
    static func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { close($0, $1) } }

    @Test("accuracy, top-k, log loss, confusion matrix, precision/recall/F1/support", arguments: ["all_present", "absent_class"])
    func counts(_ name: String) throws {
        let c = try Case(name), m = c.metrics
        #expect(Self.close(m.accuracy, try c.double("accuracy")))
        #expect(Self.close(m.logLoss, try c.double("log_loss")))
        let topK = try #require(c.json["top_k_accuracy"] as? [String: Double])
        for k in 1...3 {
            let ours = ScoreAccuracy.topK(c.probabilities, labels: c.labels, classes: c.classes, k: k)
            #expect(Self.close(ours, topK["\(k)"]), "top-\(k): \(ours) vs \(topK["\(k)"] ?? .nan)")
        }
        #expect(m.topKAccuracy == ScoreAccuracy.topK(c.probabilities, labels: c.labels, classes: c.classes, k: 2))
        #expect(m.confusion.counts == (try #require(c.json["confusion_matrix"] as? [[Int]])))
        #expect(Self.close(m.perClass.map(\.precision), try c.doubles("precision")))
        #expect(Self.close(m.perClass.map(\.recall), try c.doubles("recall")))
        #expect(Self.close(m.perClass.map(\.f1), try c.doubles("f1")))
        #expect(m.perClass.map(\.support) == (try #require(c.json["support"] as? [Int])))
        for (key, ours) in [("macro", m.macro), ("weighted", m.weighted)] {
            let theirs = try #require(c.json[key] as? [String: Double])
            #expect(Self.close(ours.precision, theirs["precision"]) && Self.close(ours.recall, theirs["recall"])
                    && Self.close(ours.f1, theirs["f1"]), "\(key): \(ours) vs \(theirs)")
        }
    }

    @Test("ROC and PR curves, ROC AUC, average precision, their averages", arguments: ["all_present", "absent_class"])
    func ranking(_ name: String) throws {
        let c = try Case(name), m = c.metrics
        let auc = try c.optionals("roc_auc"), ap = try c.optionals("average_precision")
        #expect(zip(m.perClass.map(\.rocAUC), auc).allSatisfy { Self.close($0, $1) }, "\(m.perClass.map(\.rocAUC)) vs \(auc)")
        #expect(zip(m.perClass.map(\.averagePrecision), ap).allSatisfy { Self.close($0, $1) })
        let (aucMacro, aucWeighted) = try c.average("roc_auc_average")
        let (apMacro, apWeighted) = try c.average("average_precision_average")
        #expect(Self.close(m.rocAUC.macro, aucMacro) && Self.close(m.rocAUC.weighted, aucWeighted), "\(m.rocAUC)")
        #expect(Self.close(m.averagePrecision.macro, apMacro) && Self.close(m.averagePrecision.weighted, apWeighted))
        let curves = try #require(c.json["curves"] as? [Any])
        for k in 0..<c.classes {
            guard let curve = curves[k] as? [String: [Double]] else {
                #expect(m.rocCurves[k] == nil && m.precisionRecallCurves[k] == nil, "class \(k) has no curve in scikit-learn")
                continue
            }
            let roc = try #require(m.rocCurves[k]), pr = try #require(m.precisionRecallCurves[k])
            #expect(Self.close(roc.falsePositiveRate, curve["fpr"]!) && Self.close(roc.truePositiveRate, curve["tpr"]!),
                    "class \(k): \(roc.falsePositiveRate.count) points vs \(curve["fpr"]!.count)")
            #expect(roc.thresholds.first == .infinity && Self.close(Array(roc.thresholds.dropFirst()), curve["roc_thresholds_after_inf"]!))
            #expect(Self.close(pr.precision, curve["precision"]!) && Self.close(pr.recall, curve["recall"]!)
                    && Self.close(pr.thresholds, curve["pr_thresholds"]!), "class \(k)")
            // One operating point per distinct score: ties do not add points.
            #expect(pr.thresholds.count == Set((0..<c.labels.count).map { c.probabilities[$0 * c.classes + k] }).count)
        }
    }

    @Test("expected calibration error and reliability bins (15 equal-width bins of the top probability)",
          arguments: ["all_present", "absent_class"])
    func calibration(_ name: String) throws {
        let c = try Case(name), m = c.metrics
        #expect(Self.close(m.calibration.expectedCalibrationError, try c.double("ece")))
        let bins = try #require(c.json["reliability"] as? [[String: Double]])
        #expect(m.calibration.bins.count == bins.count && bins.count == 15)
        for (ours, theirs) in zip(m.calibration.bins, bins) {
            #expect(Double(ours.count) == theirs["count"] && Self.close(ours.accuracy, theirs["accuracy"])
                    && Self.close(ours.confidence, theirs["confidence"]))
        }
        #expect(m.calibration.bins.map(\.count).reduce(0, +) == c.labels.count)
    }

    @Test("the absent class is null and out of the averages; the never-predicted class scores 0")
    func edges() throws {
        let c = try Case("absent_class"), m = c.metrics
        #expect(m.perClass[3].support == 0 && m.perClass[3].rocAUC == nil && m.perClass[3].averagePrecision == nil)
        #expect(m.perClass[4].precision == 0 && m.perClass[4].f1 == 0 && m.perClass[4].rocAUC != nil)
        let defined = m.perClass.compactMap(\.rocAUC)
        #expect(defined.count == 4 && abs(m.rocAUC.macro! - defined.reduce(0, +) / 4) < 1e-12)
        #expect(throws: ConvNetError.self) { try ClassificationMetrics(probabilities: [0.5, 0.5], labels: [0, 1], classes: 2) }
        #expect(throws: ConvNetError.self) { try ClassificationMetrics(probabilities: [.nan, 1], labels: [0], classes: 2) }
        #expect(throws: ConvNetError.self) { try ClassificationMetrics(probabilities: [0, 1], labels: [2], classes: 2) }
    }
}

extension SklearnMetricsTests {
    @Test("10,000 samples of 10 classes (an MNIST test split) take a small fraction of a second")
    func cost() throws {
        var generator = SystemRandomNumberGenerator()
        let (n, classes) = (10_000, 10)
        var probabilities = [Double](), labels = [Int]()
        for _ in 0..<n {
            let row = (0..<classes).map { _ in Double.random(in: 0..<1, using: &generator) }
            let sum = row.reduce(0, +)
            probabilities += row.map { $0 / sum }
            labels.append(Int.random(in: 0..<classes, using: &generator))
        }
        let clock = ContinuousClock()
        var metrics: ClassificationMetrics?
        let elapsed = try clock.measure { metrics = try ClassificationMetrics(probabilities: probabilities, labels: labels, classes: classes) }
        print("metrics of \(n) × \(classes) scores: \(elapsed)")
        #expect(metrics?.samples == n && metrics?.rocAUC.macro != nil)
        // A LeNet-5 forward pass over these 10,000 images takes seconds on two cores.
        #expect(elapsed < .milliseconds(500), "\(elapsed)")
    }
}
