import Foundation

extension ClassificationMetrics {
    /// The figures as a JSON-ready object (JSONSerialization's types, `NSNull` for undefined
    /// figures), rates as fractions in [0, 1]: `samples`, `classes`, `accuracy`, `top5_accuracy`
    /// (k as computed), `log_loss`, `precision`/`recall`/`f1`/`roc_auc`/`average_precision` each as
    /// `{"macro", "weighted"}`, `ece`, `reliability` (the bins), `per_class` (in class order, named
    /// from `classNames`, else by index), `notes` when something was summarised or left out, and
    /// the confusion matrix: up to ``detailedClassLimit`` classes `confusion_matrix` (rows = true
    /// class); beyond, `confusion_cells` (every non-zero cell as `[true, predicted, count]`, at most
    /// one per sample) and `top_confusions` (the ``topConfusionCount`` largest off-diagonal cells),
    /// so that the object grows with samples and classes, never with classes².
    public func jsonObject(classNames: [String]) -> [String: Any] {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        func pair(_ macro: Double?, _ weighted: Double?) -> [String: Any] { ["macro": value(macro), "weighted": value(weighted)] }
        func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : "\(c)" }
        var object: [String: Any] = [
            "samples": samples,
            "classes": confusion.classes,
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
            "per_class": perClass.enumerated().map { c, f -> [String: Any] in
                ["name": name(c), "precision": f.precision, "recall": f.recall,
                 "f1": f.f1, "support": f.support, "roc_auc": value(f.rocAUC), "average_precision": value(f.averagePrecision)]
            },
        ]
        if !notes.isEmpty { object["notes"] = notes }
        if confusion.classes <= Self.detailedClassLimit {
            object["confusion_matrix"] = confusion.counts
        } else {
            object["confusion_cells"] = confusion.nonZeroCells.map { [$0.label, $0.prediction, $0.count] }
            object["top_confusions"] = confusion.topConfusions(Self.topConfusionCount).map {
                ["true": $0.label, "predicted": $0.prediction, "count": $0.count, "true_name": name($0.label),
                 "predicted_name": name($0.prediction)] as [String: Any]
            }
        }
        return object
    }

    /// `object` (from ``jsonObject(classNames:)``, with anything added) as one line of JSON
    /// handed to `write` in pieces; with `fullMatrix`, also `confusion_matrix` whatever the
    /// number of classes, written a row at a time (classes² numbers are never held at once).
    public static func writeJSON(_ object: [String: Any], confusion: ConfusionMatrix, fullMatrix: Bool,
                                 to write: (String) -> Void) throws {
        var object = object
        let streamed = fullMatrix && object["confusion_matrix"] == nil
        if streamed { object["confusion_matrix"] = [Int]() }  // a placeholder, to keep the key order
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        guard streamed, let placeholder = text.range(of: "\"confusion_matrix\":[]") else { return write(text) }
        write(String(text[..<placeholder.lowerBound]) + "\"confusion_matrix\":[")
        var cells = confusion.nonZeroCells[...]
        for t in 0..<confusion.classes {
            var row = [Int](repeating: 0, count: confusion.classes)
            while let cell = cells.first, cell.label == t { row[cell.prediction] = cell.count; cells = cells.dropFirst() }
            write((t == 0 ? "[" : ",[") + row.map(String.init).joined(separator: ",") + "]")
        }
        write("]" + text[placeholder.upperBound...])
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
