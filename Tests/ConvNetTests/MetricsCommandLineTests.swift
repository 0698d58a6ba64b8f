import ConvNet
import Foundation
import Testing

/// `eval --json` and `predict --json` end to end, run from ``CommandLineTests/trainEvalPredict()``
/// on the checkpoint it trains (training once for both keeps the suite short).
extension CommandLineTests {
    /// `eval --json` parses, and its figures are the library's for the same checkpoint and images;
    /// a bad `--focal-gamma` is one error line and a non-zero exit.
    static func checkEvalJSON(checkpoint: String, model: Module, test: ImageDataset) throws {
        let (status, text) = try convnet(["eval", "--checkpoint", checkpoint, "--data", TrainingTests.mnist, "--threads", "2",
                                          "--workers", "2", "--json", "--focal-gamma", "2"])
        try #require(status == 0, "\(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        let result = try evaluate(model, on: DataLoader(test, batchSize: 500, shuffle: false, normalization: .mnist),
                                  keepProbabilities: true, focalGamma: 2)
        let metrics = try ClassificationMetrics(probabilities: result.probabilities.map(Double.init), labels: result.labels, classes: 10)
        func number(_ key: String) -> Double? { json[key] as? Double }
        func pair(_ key: String) -> (Double?, Double?) {
            let p = json[key] as? [String: Double]
            return (p?["macro"], p?["weighted"])
        }
        #expect(json["samples"] as? Int == 10_000)
        #expect(abs((number("loss") ?? .nan) - result.loss) < 1e-5 && abs((number("focal_loss") ?? .nan) - result.focalLoss!) < 1e-5)
        #expect((number("focal_loss") ?? .nan) < (number("loss") ?? .nan), "focal loss down-weights easy samples")
        #expect(abs((number("accuracy") ?? .nan) - metrics.accuracy) < 1e-9 && (0...1).contains(number("accuracy") ?? -1))
        #expect(abs((number("top5_accuracy") ?? .nan) - metrics.topKAccuracy) < 1e-9 && number("top5_accuracy")! >= number("accuracy")!)
        #expect(abs((number("ece") ?? .nan) - metrics.calibration.expectedCalibrationError) < 1e-9)
        let (aucMacro, aucWeighted) = pair("roc_auc"), (apMacro, apWeighted) = pair("average_precision")
        #expect(abs((aucMacro ?? .nan) - metrics.rocAUC.macro!) < 1e-9 && abs((aucWeighted ?? .nan) - metrics.rocAUC.weighted!) < 1e-9)
        #expect(abs((apMacro ?? .nan) - metrics.averagePrecision.macro!) < 1e-9
                && abs((apWeighted ?? .nan) - metrics.averagePrecision.weighted!) < 1e-9)
        #expect(json["confusion_matrix"] as? [[Int]] == metrics.confusion.counts)
        let perClass = try #require(json["per_class"] as? [[String: Any]])
        #expect(perClass.map { $0["name"] as? String } == MNIST.digitNames.map { $0 })
        #expect(perClass.map { $0["support"] as? Int } == metrics.perClass.map(\.support))
        #expect(zip(perClass, metrics.perClass).allSatisfy { json, ours in
            ["precision": ours.precision, "recall": ours.recall, "f1": ours.f1, "roc_auc": ours.rocAUC!,
             "average_precision": ours.averagePrecision!].allSatisfy { abs((json[$0] as? Double ?? .nan) - $1) < 1e-9 }
        })

        for bad in ["abc", "-1", "nan", "1e999", "2x"] {
            let (status, text) = try convnet(["eval", "--checkpoint", checkpoint, "--focal-gamma=\(bad)"])
            #expect(status != 0 && text.hasPrefix("Error: eval: --focal-gamma \(bad): expected a number ≥ 0")
                    && text.split(separator: "\n").count == 1, "--focal-gamma \(bad): \(text)")
        }
    }

    /// `predict --json` is one array, per image its path and the top classes as the library ranks them.
    static func checkPredictJSON(checkpoint: String, images: [String], expected: [[Prediction]]) throws {
        let (status, text) = try convnet(["predict", "--model", "lenet5", "--weights", checkpoint, "--top", "3", "--threads", "2",
                                          "--json"] + images)
        try #require(status == 0, "\(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(text)")
        #expect(json.map { $0["image"] as? String } == images.map { $0 })
        for (entry, want) in zip(json, expected) {
            let top = try #require(entry["top"] as? [[String: Any]])
            #expect(top.map { $0["class"] as? Int } == want.map(\.classIndex) && top.map { $0["label"] as? String } == want.map(\.className))
            #expect(zip(top, want).allSatisfy { abs(($0["probability"] as? Double ?? .nan) - $1.probability) < 1e-6 })
        }
    }
}
