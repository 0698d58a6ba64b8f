import ConvNet
import Testing

@Suite("metrics")
struct MetricsTests {
    @Test("confusion matrix, precision, recall and F1 match a hand-worked example")
    func confusion() throws {
        // true:      0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let m = try ConfusionMatrix(predictions: [0, 0, 1, 1, 2, 2], labels: [0, 0, 0, 1, 1, 2], classes: 3)
        #expect(m.counts == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(abs(m.accuracy - 400.0 / 6) < 1e-9)
        #expect(m.precision(0) == 1 && abs(m.recall(0) - 2.0 / 3) < 1e-12)
        #expect(m.precision(1) == 0.5 && m.recall(1) == 0.5 && m.f1(1) == 0.5)
        #expect(m.precision(2) == 0.5 && m.recall(2) == 1 && abs(m.f1(2) - 2.0 / 3) < 1e-12)
        #expect(abs(m.macroF1 - (0.8 + 0.5 + 2.0 / 3) / 3) < 1e-12)
        #expect(m.table(classNames: ["cat", "dog", "emu"]).contains("accuracy 66.67%"))
    }

    @Test("classes without samples or predictions score 0, bad input is an error")
    func edges() throws {
        let m = try ConfusionMatrix(predictions: [0, 0], labels: [0, 0], classes: 2)
        #expect(m.precision(1) == 0 && m.recall(1) == 0 && m.f1(1) == 0)
        #expect(throws: ConvNetError.self) { try ConfusionMatrix(predictions: [0], labels: [0, 1], classes: 2) }
        #expect(throws: ConvNetError.self) { try ConfusionMatrix(predictions: [3], labels: [0], classes: 2) }
    }
}
