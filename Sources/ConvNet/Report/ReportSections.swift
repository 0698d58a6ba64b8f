import Foundation

/// The sections of a ``TrainingReport`` page, each a piece of HTML with its heading.
extension TrainingReport {
    /// A section: its heading, then `body`.
    static func section(_ title: String, _ body: String) -> String {
        "<section><h2>\(SVG.escape(title))</h2>\(body)</section>"
    }

    /// Loss, accuracy and the schedule's learning rate against the epoch.
    static func curves(_ history: [EpochMetrics], options: TrainingOptions, trainCount: Int) -> String {
        let epochs = history.map { Double($0.epoch) }
        func series(_ name: String, _ values: [Double], dashed: Bool = false) -> LineChart.Series {
            LineChart.Series(name: name, points: Array(zip(epochs, values)).map { (x: $0.0, y: $0.1) }, dashed: dashed)
        }
        let loss = LineChart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy",
                             series: [series("train", history.map(\.trainLoss)), series("test", history.map(\.testLoss), dashed: true)])
        let accuracy = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "percent",
                                 series: [series("train", history.map(\.trainAccuracy)), series("test", history.map(\.testAccuracy), dashed: true)])
        // The rate each epoch started with, from the run's schedule.
        let perEpoch = max(1, (min(options.trainLimit ?? trainCount, trainCount) + options.batchSize - 1) / options.batchSize)
        let total = perEpoch * max(options.epochs, 1)
        let rates = history.map { m in
            Double(options.learningRateSchedule.rate(base: options.learningRate, step: (m.epoch - 1) * perEpoch, totalSteps: total,
                                                     stepsPerEpoch: perEpoch))
        }
        let rate = LineChart(title: "Learning rate (at each epoch's start)", xLabel: "epoch", yLabel: "rate",
                             series: [series(options.schedule.rawValue, rates)])
        return section("Training", "<div class=\"row\">\(loss.svg)\(accuracy.svg)\(rate.svg)</div>")
    }

    /// The confusion matrix: up to ``ClassificationMetrics/detailedClassLimit`` classes a heat map
    /// of cells with their counts and the matrix as a table; beyond, the heat map as one PNG image
    /// and the most frequent confusions, so that the page grows with the classes, not their square.
    /// Then the per-class table (precision, recall, F1, ROC AUC, AP).
    static func confusion(_ metrics: ClassificationMetrics, classNames: [String]) throws -> String {
        let matrix = metrics.confusion
        let map = HeatMap(title: "Confusion matrix (rows: true class)", rowLabel: "true", columnLabel: "predicted",
                          labels: classNames, confusion: matrix)
        let perClass = "<pre>\(SVG.escape(metrics.table(classNames: classNames)))</pre>"
        if matrix.classes <= ClassificationMetrics.detailedClassLimit {
            return section("Confusion matrix", map.svg + "<pre>\(SVG.escape(matrix.table(classNames: classNames)))</pre>" + perClass)
        }
        return section("Confusion matrix", try map.image + "<pre>\(SVG.escape(matrix.summary(classNames: classNames)))</pre>" + perClass)
    }

    /// One-vs-rest ROC and precision-recall curves, with each class's AUC / AP in the legend (the
    /// classes whose curves the metrics kept: all up to 10, else the 5 lowest and 5 highest).
    static func curves(_ metrics: ClassificationMetrics, classNames: [String]) -> String {
        guard metrics.rankingComputed else {
            return section("ROC and precision–recall", "<p>Not computed: \(SVG.escape(metrics.notes.first ?? "too many scores"))</p>")
        }
        let shown = Set(metrics.rocCurves.keys).union(metrics.precisionRecallCurves.keys).sorted {
            (metrics.perClass[$0].rocAUC ?? -1, $0) < (metrics.perClass[$1].rocAUC ?? -1, $1)
        }
        var note = ""
        if classNames.count > ClassificationMetrics.curveClassLimit {
            note = "<p>\(classNames.count) classes: the 5 with the lowest and the 5 with the highest ROC AUC are drawn.</p>"
        }
        func figure(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }
        let roc = LineChart(title: "ROC, one class against the rest (macro AUC \(figure(metrics.rocAUC.macro)))",
                            xLabel: "false positive rate", yLabel: "true positive rate",
                            series: shown.compactMap { c in
                                metrics.rocCurves[c].map { curve in
                                    LineChart.Series(name: "\(classNames[c]) (AUC \(figure(curve.area)))",
                                                     points: zip(curve.falsePositiveRate, curve.truePositiveRate).map { (x: $0, y: $1) })
                                }
                            }, yRange: 0...1, xRange: 0...1, width: 540, height: 400, legend: .bottomRight)
        let pr = LineChart(title: "Precision–recall (macro AP \(figure(metrics.averagePrecision.macro)))",
                           xLabel: "recall", yLabel: "precision",
                           series: shown.compactMap { c in
                               metrics.precisionRecallCurves[c].map { curve in
                                   LineChart.Series(name: "\(classNames[c]) (AP \(figure(curve.averagePrecision)))",
                                                    points: zip(curve.recall, curve.precision).map { (x: $0, y: $1) })
                               }
                           }, yRange: 0...1, xRange: 0...1, width: 540, height: 400, steps: true, legend: .bottomLeft)
        return section("ROC and precision–recall", note + "<div class=\"row\">\(roc.svg)\(pr.svg)</div>")
    }

    /// The reliability diagram: accuracy against confidence per bin, beside the diagonal.
    static func reliability(_ calibration: Calibration) -> String {
        let filled = calibration.bins.filter { $0.count > 0 }
        let chart = LineChart(title: String(format: "Reliability (ECE %.4f, %d bins)", calibration.expectedCalibrationError, calibration.bins.count),
                              xLabel: "confidence (top probability)", yLabel: "accuracy",
                              series: [LineChart.Series(name: "model", points: filled.map { (x: $0.confidence, y: $0.accuracy) }),
                                       LineChart.Series(name: "perfectly calibrated", points: [(x: 0, y: 0), (x: 1, y: 1)], dashed: true)],
                              yRange: 0...1, xRange: 0...1, width: 420, height: 360, legend: .bottomRight)
        let rows = filled.map { b in
            String(format: "<tr><td>(%.3f, %.3f]</td><td>%d</td><td>%.4f</td><td>%.4f</td></tr>", b.lower, b.upper, b.count, b.confidence, b.accuracy)
        }.joined()
        return section("Calibration", "<div class=\"row\">\(chart.svg)<table><tr><th>bin</th><th>images</th><th>confidence</th><th>accuracy</th></tr>\(rows)</table></div>")
    }

    /// The wrong predictions made with the highest probability, as pictures with both labels.
    static func wrongPredictions(_ evaluation: EvaluationResult, _ test: ImageDataset, classNames: [String], count: Int) throws -> String {
        let predictions = evaluation.predictions
        // The probability of image i's predicted class (its highest, which evaluate() kept).
        func confidence(_ i: Int) -> Float { evaluation.confidences[i] }
        let wrong = (0..<test.count).filter { predictions[$0] != test.labels[$0] }.sorted { confidence($0) > confidence($1) }
            .prefix(count)
        guard !wrong.isEmpty else { return section("Most confidently wrong", "<p>No image was misclassified.</p>") }
        let figures = try wrong.map { i -> String in
            let image = try test.image(at: i)
            let src = try ReportImages.dataURI(ReportImages.upscaled(image, by: zoom(image.width, minimum: 64)))
            let p = confidence(i)
            return "<figure><img src=\"\(src)\" alt=\"image \(i)\"><figcaption>#\(i): \(SVG.escape(classNames[test.labels[i]])) → "
                + "<b>\(SVG.escape(classNames[predictions[i]]))</b> \(String(format: "%.1f", 100 * p))%</figcaption></figure>"
        }
        return section("Most confidently wrong", "<p>True class → predicted class, with the predicted probability.</p><div class=\"tiles\">\(figures.joined())</div>")
    }

    /// The first convolution's filters as tiles (``FilterGrid``, as TensorBoard shows them), or nil
    /// for a model without one.
    static func filters(_ model: Module) throws -> String? {
        guard let (name, weight) = FilterGrid.firstConvolution(of: model) else { return nil }
        let (out, channels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let grid = try FilterGrid.image(of: weight, scale: max(1, 40 / max(kh, kw)))
        let layout = channels == 3 ? "as RGB" : channels == 1 ? "gray" : "one tile per input channel"
        return section("First-layer filters", "<p>\(out) filters of <code>\(SVG.escape(name))</code> (\(channels)×\(kh)×\(kw), \(layout)); each tile scaled to its own range, as torchvision's <code>make_grid(normalize=True, scale_each=True)</code>.</p>"
                       + "<img src=\"\(try ReportImages.dataURI(grid))\" alt=\"filters\">")
    }

    /// The outputs of each convolution stage for one image, up to 8 channels each.
    static func featureMaps(_ model: Module, image: Image, tensor: Tensor, inputShape: [Int]) throws -> String {
        func hasConvolution(_ m: Module) -> Bool { m is Conv2d || m.children.contains { hasConvolution($0.module) } }
        var stages = model.children.filter { hasConvolution($0.module) }
        if stages.count == 1, let only = stages.first { stages = only.module.children.filter { $0.module is Conv2d }.map { (only.name + "." + $0.name, $0.module) } }
        let tracer = ModuleTracer(capturing: stages.map(\.module))
        _ = try withNoGrad { try tracer.tracing { try model(tensor) } }
        var rows = "<figure><img src=\"\(try ReportImages.dataURI(ReportImages.upscaled(image, by: zoom(image.width, minimum: 96))))\" alt=\"input\"><figcaption>input</figcaption></figure>"
        for (name, module) in stages {
            guard let out = tracer.output(of: module), out.rank == 4 else { continue }
            let (c, h, w) = (out.shape[1], out.shape[2], out.shape[3])
            let values = out.scalars
            let tiles = try (0..<min(c, 8)).map { k in
                try ReportImages.upscaled(ReportImages.gray(values[(k * h * w)..<((k + 1) * h * w)], height: h, width: w), by: zoom(w, minimum: 48))
            }
            rows += "<figure><img src=\"\(try ReportImages.dataURI(ReportImages.grid(tiles, columns: 4)))\" alt=\"\(SVG.escape(name))\">"
                + "<figcaption><code>\(SVG.escape(name))</code>: \(min(c, 8)) of \(c) channels, \(h)×\(w)</figcaption></figure>"
        }
        return section("Feature maps", "<p>Each map scaled to its own range (black = its minimum, white = its maximum).</p><div class=\"tiles\">\(rows)</div>")
    }

    /// Grad-CAM heat maps of the predicted class over the first `count` images.
    static func gradCAMs(_ model: Module, _ test: ImageDataset, _ n: Normalization, classNames: [String], count: Int) throws -> String {
        var figures: [String] = []
        var layer = ""
        for i in 0..<min(count, test.count) {
            let cam = try GradCAM(model: model, image: input(test, i, n))
            layer = cam.layer
            let image = try test.image(at: i)
            let overlay = try ReportImages.overlay(cam.heatmap.scalars, on: image)
            let zoomed = try ReportImages.upscaled(overlay, by: zoom(image.width, minimum: 96))
            figures.append("<figure><img src=\"\(try ReportImages.dataURI(zoomed))\" alt=\"Grad-CAM \(i)\"><figcaption>#\(i): "
                           + "\(SVG.escape(classNames[cam.classIndex])) (true: \(SVG.escape(classNames[test.labels[i]])))</figcaption></figure>")
        }
        return section("Grad-CAM", "<p>Where the model looked for the class it predicted (Selvaraju et al. 2017, layer <code>\(SVG.escape(layer))</code>): red is most, dark blue least.</p><div class=\"tiles\">\(figures.joined())</div>")
    }

    /// The whole page: the sections in a document with its own style sheet (no external resources).
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVG.escape(title)) — convnet report</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1120px;color:#222;padding:0 16px}
        h1{font-size:26px;margin:0 0 6px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:30px}
        .lead{font-size:16px}.note{color:#8a5a00}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}
        pre{background:#f6f8fa;padding:10px;overflow-x:auto;border-radius:4px}
        .row{display:flex;flex-wrap:wrap;gap:12px}.tiles{display:flex;flex-wrap:wrap;gap:10px}
        figure{margin:0;text-align:center;font-size:12px}figure img{image-rendering:pixelated;border:1px solid #ccc}
        img{image-rendering:pixelated}svg.chart{border:1px solid #e3e3e3;border-radius:4px}
        svg .title{font-size:14px;font-weight:600}svg .tick{font-size:11px;fill:#555}svg .axis{font-size:12px;fill:#333}
        svg .legend{font-size:12px}table{border-collapse:collapse;font-size:13px;align-self:flex-start}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg .cell{font-size:11px}
        </style></head><body>
        \(body)
        <footer><p class="note">Written by convnet report.</p></footer>
        </body></html>
        """
    }
}
