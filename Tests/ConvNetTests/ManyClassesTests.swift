import ConvNet
import Foundation
import Testing

/// Many classes: beyond ``ClassificationMetrics/detailedClassLimit`` the confusion matrix is
/// summarised (top confusions, non-zero cells, a heat map drawn as one image), so that memory and
/// output grow with samples and classes, not classes²; below it everything stays exact.
@Suite("many classes: metrics, eval and report stay linear", .serialized)
struct ManyClassesTests {
    /// `count` rows of `classes` probabilities: most of each row on its label, the rest on a
    /// neighbouring class (a confusion) and spread thinly.
    static func rows(_ labels: ArraySlice<Int>, classes: Int) -> [Float] {
        var p = [Float](repeating: 0.2 / Float(classes), count: labels.count * classes)
        for (row, label) in labels.enumerated() {
            p[row * classes + label] += row % 3 == 0 ? 0.3 : 0.6
            p[row * classes + (label + 1) % classes] += row % 3 == 0 ? 0.5 : 0.2
        }
        return p
    }

    @Test("batch by batch, the figures equal those of the whole score matrix (10 classes)")
    func accumulatorIsExact() throws {
        var generator = SystemRandomNumberGenerator()
        let (n, classes) = (600, 10)
        var probabilities = [Float](), labels = [Int]()
        for _ in 0..<n {
            let row = (0..<classes).map { _ in Float.random(in: 0.01..<1, using: &generator) }
            let sum = row.reduce(0, +)
            probabilities += row.map { $0 / sum }
            labels.append(Int.random(in: 0..<classes, using: &generator))
        }
        var accumulator = try MetricsAccumulator(classes: classes)
        for start in stride(from: 0, to: n, by: 128) {
            let end = min(start + 128, n)
            try accumulator.add(probabilities: Array(probabilities[(start * classes)..<(end * classes)]), labels: Array(labels[start..<end]))
        }
        let streamed = accumulator.metrics()
        let whole = try ClassificationMetrics(probabilities: probabilities.map(Double.init), labels: labels, classes: classes)
        #expect(streamed.perClass == whole.perClass && streamed.confusion == whole.confusion)
        #expect(streamed.accuracy == whole.accuracy && streamed.topKAccuracy == whole.topKAccuracy && streamed.logLoss == whole.logLoss)
        #expect(streamed.rocAUC == whole.rocAUC && streamed.averagePrecision == whole.averagePrecision && streamed.calibration == whole.calibration)
        #expect(streamed.rankingComputed && streamed.rocCurves.count == classes && streamed.rocCurves == whole.rocCurves)
        #expect(streamed.notes.isEmpty)
    }

    @Test("10,000 classes: the confusion matrix is summarised, ROC AUC is left out with a note, the JSON stays small")
    func tenThousandClasses() throws {
        let (n, classes) = (2_000, 10_000)
        let labels = (0..<n).map { ($0 * 7919) % classes }
        var accumulator = try MetricsAccumulator(classes: classes, expectedSamples: n)
        for start in stride(from: 0, to: n, by: 100) {
            try accumulator.add(probabilities: Self.rows(labels[start..<(start + 100)], classes: classes), labels: Array(labels[start..<(start + 100)]))
        }
        let metrics = accumulator.metrics()
        #expect(metrics.samples == n && metrics.perClass.count == classes)
        #expect(!metrics.rankingComputed && metrics.rocAUC.macro == nil && metrics.rocCurves.isEmpty)
        #expect(metrics.notes.contains { $0.contains("ROC AUC and average precision are not computed") })
        #expect(metrics.notes.contains { $0.contains("10000 classes, more than \(ClassificationMetrics.detailedClassLimit)") })
        // The rows put 1/3 of the images on the next class: those are the top confusions.
        let top = metrics.confusion.topConfusions(ClassificationMetrics.topConfusionCount)
        #expect(top.count == ClassificationMetrics.topConfusionCount && top.allSatisfy { $0.prediction == ($0.label + 1) % classes })
        let summary = metrics.confusion.summary(classNames: [])
        #expect(summary.split(separator: "\n").count == ClassificationMetrics.topConfusionCount + 2)

        let object = metrics.jsonObject(classNames: (0..<classes).map { "class \($0)" })
        #expect(object["confusion_matrix"] == nil)
        #expect((object["confusion_cells"] as? [[Int]])?.count ?? .max <= n)
        var text = ""
        try ClassificationMetrics.writeJSON(object, confusion: metrics.confusion, fullMatrix: false) { text += $0 }
        #expect(text.utf8.count < 3_000_000, "\(text.utf8.count) bytes of JSON")
        #expect((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["classes"] as? Int == classes)
    }

    @Test("--full-matrix: the whole matrix is written row by row and reads back as the counts")
    func fullMatrix() throws {
        let (n, classes) = (300, 400)
        let labels = (0..<n).map { ($0 * 13) % classes }
        var accumulator = try MetricsAccumulator(classes: classes)
        try accumulator.add(probabilities: Self.rows(labels[...], classes: classes), labels: labels)
        let metrics = accumulator.metrics()
        var text = ""
        try ClassificationMetrics.writeJSON(metrics.jsonObject(classNames: []), confusion: metrics.confusion, fullMatrix: true) { text += $0 }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["confusion_matrix"] as? [[Int]] == metrics.confusion.counts)
    }

    /// `convnet` under a 768 MiB address-space limit, without the matrix's 5-second limit.
    static func limited(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.shell("ulimit -v \(BadInputMatrixTests.memoryLimitKiB); exec \"$0\" \"$@\"", [SignalTests.executable] + arguments)
    }

    @Test("1,000 classes (ImageNet's count): eval --json, eval --confusion and report summarise, in bounded memory and size")
    func thousandClassesEndToEnd() throws {
        let root = Fixtures.temporaryFolder("many-classes")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let classes = 1_000
        for c in 0..<classes {
            let folder = root + "/data/" + String(format: "c%04d", c)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Written without writePNG's fsync: a thousand of those take seconds.
            let png = try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8(($0 * 31 + c * 17) % 256) }).pngData()
            FileManager.default.createFile(atPath: folder + "/a.png", contents: png)
        }
        let data = ["--dataset", "folder", "--data", root + "/data", "--threads", "2"]
        let trained = try CommandLineTests.convnet(["train", "--epochs", "1", "--holdout", "0.5", "--out", root + "/run"] + data)
        try #require(trained.status == 0, "\(trained.output)")
        let checkpoint = root + "/run/checkpoint.safetensors"

        let json = try Self.limited(["eval", "--checkpoint", checkpoint, "--json"] + data)
        #expect(json.status == 0, "\(json.output.suffix(300))")
        let line = try #require(json.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["confusion_matrix"] == nil && object["top_confusions"] != nil && (object["per_class"] as? [Any])?.count == classes)
        #expect(line.utf8.count < 1_000_000, "\(line.utf8.count) bytes")

        let full = try Self.limited(["eval", "--checkpoint", checkpoint, "--json", "--full-matrix"] + data)
        let fullLine = try #require(full.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let matrix = try #require((try JSONSerialization.jsonObject(with: Data(fullLine.utf8)) as? [String: Any])?["confusion_matrix"] as? [[Int]])
        #expect(matrix.count == classes && matrix.allSatisfy { $0.count == classes } && matrix.joined().reduce(0, +) == classes / 2)

        let table = try Self.limited(["eval", "--checkpoint", checkpoint, "--confusion"] + data)
        #expect(table.status == 0 && table.output.contains("most frequent confusions"), "\(table.output.prefix(500))")
        #expect(table.output.utf8.count < 500_000, "\(table.output.utf8.count) bytes")

        let report = try Self.limited(["report", "--checkpoint", checkpoint, "--out", root + "/report"] + data)
        #expect(report.status == 0, "\(report.output.suffix(300))")
        let html = try String(contentsOfFile: root + "/report/report.html", encoding: .utf8)
        #expect(html.utf8.count < 2_000_000, "report.html is \(html.utf8.count) bytes")
        #expect(html.contains("1000 classes, one pixel per cell") && html.components(separatedBy: "<rect").count < 2_000)
    }
}
