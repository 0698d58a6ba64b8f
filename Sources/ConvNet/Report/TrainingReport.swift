import Foundation

/// One self-contained HTML page about a trained classifier (`convnet report`): training curves,
/// the confusion matrix, the most confidently wrong images, the first layer's filters, feature
/// maps, Grad-CAM heat maps, the model summary and the run's options. Charts are SVG, pictures
/// PNG data URIs: the page needs no network and no script.
public struct TrainingReport {
    /// What the report is made from.
    public struct Request: Sendable {
        /// A checkpoint written by `convnet train`.
        public var checkpoint: String
        /// The dataset's folder (default: the dataset's default place).
        public var dataDirectory: String?
        /// Another dataset than the checkpoint's (its test split).
        public var dataset: String?
        /// The run folder whose `metrics.csv` gives the training curves (default: the checkpoint's folder).
        public var runDirectory: String?
        /// Threads that decode images.
        public var workers = 1
        /// How many images the wrong-predictions grid and the Grad-CAM row show.
        public var wrongImages = 16, gradCAMImages = 6

        public init(checkpoint: String) { self.checkpoint = checkpoint }
    }

    /// The page.
    public let html: String
    /// Accuracy (percent) on the evaluation images, as the page states it.
    public let accuracy: Double
    /// Evaluation images.
    public let samples: Int
    /// Notes on sections left out (e.g. no metrics.csv), also shown on the page.
    public let notes: [String]
    /// The files it was made from: ``write(to:)`` never writes over them.
    private let inputs: [(path: String, option: String)]

    /// Evaluates the checkpoint on its evaluation images and builds the page.
    /// - Throws: ``ConvNetError`` for an unreadable checkpoint, weights that do not fit the model or
    ///   dataset, an unreadable dataset or metrics.csv, or outputs that are not finite.
    public init(_ request: Request) throws {
        let setup = try CheckpointEvaluation(path: request.checkpoint, dataset: request.dataset,
                                             dataDirectory: request.dataDirectory, workers: request.workers, op: "report")
        let (saved, options, prepared, classNames, model) = (setup.saved, setup.options, setup.prepared, setup.classNames, setup.model)
        let test = prepared.evaluation
        model.eval()
        let normalization = setup.normalization
        let batch = try evaluationBatchSize(model, name: options.model, inputShape: [test.channels, test.height, test.width],
                                            classes: classNames.count, preferred: 500, op: "report")
        let loader = try DataLoader(test, batchSize: batch, shuffle: false, normalization: normalization)
        let evaluation = try evaluate(model, on: loader, collectMetrics: true)
        if let report = evaluation.nonFiniteReport { throw ConvNetError(op: "report", "\(request.checkpoint): \(report)") }
        guard let metrics = evaluation.metrics else { throw ConvNetError(op: "report", "\(request.checkpoint): no images to evaluate") }
        var notes = prepared.notes + metrics.notes

        // Figures.
        let matrix = metrics.confusion
        accuracy = matrix.accuracy
        samples = test.count
        var sections: [String] = []

        // Training curves.
        let metricsPath = Self.metricsPath(of: request)
        if FileManager.default.fileExists(atPath: metricsPath) {
            let history = try EpochMetrics.parseCSV(String(decoding: try RegularFile.bytes(metricsPath, op: "report", limit: 64 << 20), as: UTF8.self),
                                                    source: metricsPath)
            sections.append(Self.curves(history, options: options, trainCount: prepared.train.count))
        } else {
            notes.append("no training curves: \(metricsPath) does not exist")
        }

        sections.append(try Self.confusion(metrics, classNames: classNames))
        sections.append(Self.curves(metrics, classNames: classNames))
        sections.append(Self.reliability(metrics.calibration))
        sections.append(try Self.wrongPredictions(evaluation, test, classNames: classNames, count: request.wrongImages))
        let inputShape = [test.channels, test.height, test.width]
        if let filters = try Self.filters(model) { sections.append(filters) }
        let (first, firstTensor) = (try test.image(at: 0), try Self.input(test, 0, normalization))
        sections.append(try Self.featureMaps(model, image: first, tensor: firstTensor, inputShape: inputShape))
        sections.append(try Self.gradCAMs(model, test, normalization, classNames: classNames, count: request.gradCAMImages))
        let summary = try ModelSummary.of(model, name: options.model, inputShape: inputShape)
        sections.append(Self.section("Model", "<pre>\(SVG.escape(summary.table))</pre>"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        sections.append(Self.section("Run options", "<pre>\(SVG.escape(String(decoding: try encoder.encode(options), as: UTF8.self)))</pre>"))

        let title = "\(options.model) on \(options.dataset)"
        let header = """
            <h1>\(SVG.escape(title))</h1>
            <p class="lead">\(String(format: "%.2f", matrix.accuracy))% accuracy on \(test.count) \(SVG.escape(prepared.evaluationName)) images \
            (mean cross-entropy \(String(format: "%.4f", evaluation.loss))), \(saved.completedEpochs) epochs trained; \
            checkpoint <code>\(SVG.escape(request.checkpoint))</code>.</p>
            """ + notes.map { "<p class=\"note\">\(SVG.escape($0))</p>" }.joined()
        self.notes = notes
        inputs = Self.inputs(of: request)
        html = Self.page(title: title, body: header + sections.joined(separator: "\n"))
    }

    /// Writes `report.html` into `folder` (created if needed) atomically; returns its path.
    /// - Throws: ``ConvNetError`` when the output breaks the rules of ``OutputPlan`` (a link,
    ///   a folder or device where the page goes, the page being an input) or cannot be written.
    public func write(to folder: String) throws -> String {
        let (plan, page) = Self.outputPlan(folder, inputs: inputs)
        try plan.check()
        try plan.stage(Data(html.utf8), for: page)
        try plan.commit()
        return plan.path(of: page)
    }

    /// Checks, before a report is made from `request` (which takes a while), that it can be
    /// written into `folder`: see ``write(to:)``.
    public static func checkOutput(_ folder: String, for request: Request) throws {
        try outputPlan(folder, inputs: inputs(of: request)).plan.check()
    }

    /// The files a report reads (checkpoint and metrics.csv), with the options that name them.
    static func inputs(of request: Request) -> [(path: String, option: String)] {
        [(request.checkpoint, "`checkpoint`"), (metricsPath(of: request), request.runDirectory == nil ? "`checkpoint`" : "`runDirectory`")]
    }

    /// `report.html` in `folder`, none of `inputs`.
    static func outputPlan(_ folder: String, inputs: [(path: String, option: String)]) -> (plan: OutputPlan, page: OutputPlan.Output) {
        let plan = OutputPlan(op: "report")
        for input in inputs { plan.reads(input.path, as: input.option) }
        return (plan, plan.writes(file: "report.html", inFolder: folder, as: "`outputDirectory`"))
    }

    /// The metrics.csv a report's training curves come from.
    static func metricsPath(of request: Request) -> String {
        let runDirectory = request.runDirectory ?? (request.checkpoint as NSString).deletingLastPathComponent
        return (runDirectory.isEmpty ? "." : runDirectory) + "/metrics.csv"
    }

    // MARK: - Evaluation

    /// Image `index` of `dataset` as the model's normalised input `[1, C, H, W]`.
    static func input(_ dataset: ImageDataset, _ index: Int, _ n: Normalization) throws -> Tensor {
        let plane = dataset.height * dataset.width, size = dataset.channels * plane
        let start = index * size
        let values = (0..<size).map { i -> Float in
            let c = i / plane
            return (Float(dataset.pixels[start + i]) / 255 - n.mean[c]) / n.std[c]
        }
        return try Tensor(shape: [1, dataset.channels, dataset.height, dataset.width], scalars: values)
    }

    /// A factor that shows an image at least `minimum` pixels wide.
    static func zoom(_ width: Int, minimum: Int) -> Int { max(1, (minimum + width - 1) / width) }
}
