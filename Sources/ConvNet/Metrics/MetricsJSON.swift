import Foundation

extension ClassificationMetrics {
    /// The figures as a JSON-ready object (JSONSerialization's types, `NSNull` for undefined
    /// figures), rates as fractions in [0, 1]: `samples`, `accuracy`, `top5_accuracy` (k as
    /// computed), `log_loss`, `precision`/`recall`/`f1`/`roc_auc`/`average_precision` each as
    /// `{"macro", "weighted"}`, `ece`, `reliability` (the bins), `confusion_matrix` (rows = true
    /// class) and `per_class` (in class order, named from `classNames`, else by index).
    public func jsonObject(classNames: [String]) -> [String: Any] {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        func pair(_ macro: Double?, _ weighted: Double?) -> [String: Any] { ["macro": value(macro), "weighted": value(weighted)] }
        return [
            "samples": samples,
            "accuracy": accuracy,
            "top\(topK)_accuracy": topKAccuracy,
            "log_loss": logLoss,
            "precision": pair(macro.precision, weighted.precision),
            "recall": pair(macro.recall, weighted.recall),
            "f1": pair(macro.f1, weighted.f1),
            "roc_auc": pair(rocAUC.macro, rocAUC.weighted),
            "average_precision": pair(averagePrecision.macro, averagePrecision.weighted),
            "ece": calibration.expectedCalibrationError,
            "reliability": calibration.bins.map {
                ["lower": $0.lower, "upper": $0.upper, "count": $0.count, "accuracy": $0.accuracy, "confidence": $0.confidence]
            },
            "confusion_matrix": confusion.counts,
            "per_class": perClass.enumerated().map { c, f -> [String: Any] in
                ["name": c < classNames.count ? classNames[c] : "\(c)", "precision": f.precision, "recall": f.recall,
                 "f1": f.f1, "support": f.support, "roc_auc": value(f.rocAUC), "average_precision": value(f.averagePrecision)]
            },
        ]
    }

    /// Per-class figures as a table: support, precision, recall, F1, ROC AUC and AP ("–" where
    /// undefined), then the macro and weighted averages.
    public func table(classNames: [String]) -> String {
        let names = (0..<perClass.count).map { $0 < classNames.count ? classNames[$0] : "\($0)" } + ["macro avg", "weighted avg"]
        let width = max(12, names.map(\.count).max() ?? 0) + 2
        func figure(_ x: Double?) -> String { x.map { String(format: "%9.4f", $0) } ?? "        –" }
        var lines = ["class".padding(toLength: width, withPad: " ", startingAt: 0)
            + "  support  precision     recall         F1    ROC AUC         AP"]
        func row(_ name: String, _ support: Int, _ p: Double?, _ r: Double?, _ f: Double?, _ auc: Double?, _ ap: Double?) {
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "%9d", support)
                         + [p, r, f, auc, ap].map { "  " + figure($0) }.joined())
        }
        for (c, f) in perClass.enumerated() {
            row(names[c], f.support, f.precision, f.recall, f.f1, f.rocAUC, f.averagePrecision)
        }
        row("macro avg", samples, macro.precision, macro.recall, macro.f1, rocAUC.macro, averagePrecision.macro)
        row("weighted avg", samples, weighted.precision, weighted.recall, weighted.f1, rocAUC.weighted, averagePrecision.weighted)
        return lines.joined(separator: "\n")
    }
}
