import ConvNet
import Foundation
import Testing

/// `convnet report`: what the page holds, what it leaves out and says so, what it refuses; and the
/// page as headless Chromium renders it.
@Suite("training report", .serialized)
struct ReportTests {
    /// A LeNet-5 run of 2 epochs on 512 MNIST images (evaluated on 256 during training; the report
    /// evaluates on the whole test split, as `convnet eval`).
    static func run(_ name: String) throws -> String {
        let folder = Fixtures.temporaryFolder(name)
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.threads) = (512, 256, 2, 2)
        _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder).run()
        return folder
    }

    /// Every `data:image/png;base64,…` source in `html`, decoded.
    static func images(in html: String) throws -> [Image] {
        let marker = "data:image/png;base64,"
        var images: [Image] = []
        var rest = html[...]
        while let start = rest.range(of: marker) {
            let tail = rest[start.upperBound...]
            let end = tail.firstIndex(of: "\"") ?? tail.endIndex
            let data = try #require(Data(base64Encoded: String(tail[..<end])), "a data URI that is not base64")
            images.append(try Image.decode(data, channels: 3))
            rest = tail[end...]
        }
        return images
    }

    @Test("the page holds the curves, the confusion matrix, wrong images, filters, feature maps, Grad-CAM, the summary and options")
    func contents() throws {
        let folder = try Self.run("report")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var request = TrainingReport.Request(checkpoint: folder + "/checkpoint.safetensors")
        request.dataDirectory = TrainingTests.mnist
        let report = try TrainingReport(request)
        let html = report.html
        for heading in ["Training", "Confusion matrix", "ROC and precision–recall", "Calibration", "Most confidently wrong",
                        "First-layer filters", "Feature maps", "Grad-CAM", "Model", "Run options"] {
            #expect(html.contains("<h2>\(heading)</h2>"), "no \(heading) section")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 7,
                "loss, accuracy, learning rate, the confusion matrix, ROC, precision–recall and reliability")
        #expect(html.contains("<polyline") && html.contains("Learning rate"))
        // As `convnet eval`, the whole test split (not the run's --test-limit), and the same accuracy as evaluate() there.
        let saved = try Checkpoint.load(path: request.checkpoint)
        var options = saved.options
        options.testLimit = nil
        let prepared = try DatasetCatalog.prepare(options.dataRequest(directory: TrainingTests.mnist, channels: 1, workers: 2))
        let model = try ModelZoo.make("lenet5")
        try model.loadStateDict(saved.modelState.dictionary)
        let loader = try DataLoader(prepared.evaluation, batchSize: 1000, shuffle: false, normalization: prepared.normalization)
        let expected = try evaluate(model, on: loader, keepProbabilities: true)
        #expect(report.samples == 10000)
        #expect(abs(report.accuracy - expected.accuracy) < 1e-9, "\(report.accuracy) vs \(expected.accuracy)")
        // The curves' legends carry the metrics' figures.
        let metrics = try ClassificationMetrics(probabilities: expected.probabilities.map(Double.init), labels: expected.labels, classes: 10)
        #expect(html.contains(String(format: "macro AUC %.3f", try #require(metrics.rocAUC.macro))))
        #expect(html.contains(String(format: "macro AP %.3f", try #require(metrics.averagePrecision.macro))))
        #expect(html.contains(String(format: "(AUC %.3f)", try #require(metrics.perClass[7].rocAUC))))
        #expect(html.contains(String(format: "ECE %.4f", metrics.calibration.expectedCalibrationError)))
        #expect(html.contains(String(format: "%.2f%% accuracy on 10000", report.accuracy)))
        // Pictures: up to 16 wrong images, the filter grid, the input and 2 stages of feature maps, 6 Grad-CAMs.
        let images = try Self.images(in: html)
        let wrong = Int((Double(report.samples) * (100 - report.accuracy) / 100).rounded())
        #expect(images.count == min(wrong, 16) + 1 + 3 + 6, "\(images.count) images")
        #expect(images.allSatisfy { image in image.width >= 40 && Set(image.pixels).count > 1 }, "every picture has content")
        // Written atomically where asked.
        let out = folder + "/report"
        let path = try report.write(to: out)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == html)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["report.html"])
    }

    @Test("without metrics.csv the curves are left out and the page says so; a bad metrics.csv or output folder is an error")
    func missingAndBadInputs() throws {
        let folder = try Self.run("report-bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var request = TrainingReport.Request(checkpoint: folder + "/checkpoint.safetensors")
        request.dataDirectory = TrainingTests.mnist
        let metrics = folder + "/metrics.csv"
        let csv = try String(contentsOfFile: metrics, encoding: .utf8)
        try FileManager.default.removeItem(atPath: metrics)
        let report = try TrainingReport(request)
        #expect(!report.html.contains("<h2>Training</h2>") && report.html.contains("metrics.csv does not exist"))
        #expect(report.notes.contains { $0.contains("metrics.csv") })

        try Data((csv + "3,x,1,1,1,1\n").utf8).write(to: URL(fileURLWithPath: metrics))
        #expect { try TrainingReport(request) } throws: { ($0 as? ConvNetError)?.message.contains("line 4") == true }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: metrics))

        let file = folder + "/not-a-folder"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        #expect(throws: ConvNetError.self) { try TrainingReport(request).write(to: file) }
        // A checkpoint for another dataset's images: 3-channel CIFAR into LeNet-5 is converted, but
        // its 32×32 images do not fit LeNet-5's classifier.
        request.dataset = "cifar10"
        request.dataDirectory = Fixtures.cifarSample
        #expect(throws: ConvNetError.self) { try TrainingReport(request) }
    }

    @Test("a colour dataset and a residual network: the CIFAR sample's held-out images with ResNet-20")
    func colour() throws {
        let folder = Fixtures.temporaryFolder("report-cifar")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = TrainingOptions()
        (options.model, options.dataset, options.trainLimit, options.epochs, options.batchSize, options.threads) =
            ("resnet20", "cifar10", 256, 1, 64, 2)
        _ = try Trainer(options: options, dataDirectory: Fixtures.cifarSample, outputDirectory: folder).run()
        var request = TrainingReport.Request(checkpoint: folder + "/checkpoint.safetensors")
        request.dataDirectory = Fixtures.cifarSample
        let report = try TrainingReport(request)
        #expect(report.samples == 800, "the 20 % held out when training")
        #expect(report.html.contains("(3×3×3, as RGB)") && report.html.contains("layer <code>layer3</code>"))
        #expect(report.html.contains("<code>layer1</code>: 8 of 16 channels, 32×32") && report.html.contains("airplane"))
        #expect(try Self.images(in: report.html).count >= 1 + 5 + 6)
    }

    /// Headless Chromium renders the page without console errors, and the screenshot shows what a
    /// person would see: mostly white, with the charts' blue lines and the heat map's dark blue.
    @Test("Chromium renders it: no console errors, charts and pictures visible",
          .enabled(if: ReportTests.chromium != nil, "needs chromium (apt-get install chromium); .ci/run installs it"))
    func inBrowser() throws {
        let folder = try Self.run("report-browser")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var request = TrainingReport.Request(checkpoint: folder + "/checkpoint.safetensors")
        request.dataDirectory = TrainingTests.mnist
        let path = try TrainingReport(request).write(to: folder + "/report")
        let shot = folder + "/shot.png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                             "--window-size=1200,1600", "--screenshot=\(shot)", "file://\(path)"]
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log.suffix(500))")
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Failed to load") || $0.contains("Uncaught") }
        #expect(consoleErrors.isEmpty, "\(consoleErrors)")
        let image = try Image.read(path: shot, channels: 3)
        #expect(image.width == 1200 && image.height == 1600)
        var white = 0, chartBlue = 0, heatBlue = 0
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            let (r, g, b) = (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
            if r > 245 && g > 245 && b > 245 { white += 1 }
            if abs(r - 0x1f) < 40 && abs(g - 0x77) < 40 && abs(b - 0xb4) < 40 { chartBlue += 1 }
            if r < 70 && g < 110 && b > 150 { heatBlue += 1 }
        }
        let total = image.width * image.height
        #expect(white > total / 2 && white < total * 98 / 100, "white \(white) of \(total)")
        #expect(chartBlue > 500, "the curves' blue: \(chartBlue) pixels")
        #expect(heatBlue > 2000, "the confusion matrix's diagonal: \(heatBlue) pixels")
    }

    /// The Chromium executable, if installed.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}
