import ConvNet
import ConvNetONNX
import Foundation

/// Runs ONNX's own backend node tests (`onnx/backend/test/data/node/test_*`: a `model.onnx` and
/// folders `test_data_set_*` of `input_N.pb` and `output_N.pb` TensorProtos) on this library's
/// importer and says of each whether it passes, gives a wrong answer, is refused as unsupported,
/// or ends in another error.
///
///     let report = try ONNXConformance.run(folder: ".build-onnx/node")
///     print(report.table())
///
/// Outputs are compared as ONNX's backend runner compares them: the same shape and
/// `|actual − expected| ≤ atol + rtol·|expected|` elementwise (NaN equals NaN), with
/// ``relativeTolerance`` and ``absoluteTolerance`` its defaults; integer outputs exactly.
public enum ONNXConformance {
    /// ONNX's backend runner's default `rtol`.
    public static let relativeTolerance: Float = 1e-3
    /// ONNX's backend runner's default `atol`.
    public static let absoluteTolerance: Float = 1e-7

    /// What became of one node test.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Every output of every data set agrees with ONNX's.
        case pass
        /// An output differs from ONNX's in shape, kind or values: a wrong answer.
        case fail
        /// Refused with a ``ConvNetError`` saying what is not supported.
        case unsupported
        /// Any other error (a model or data file that cannot be read, an error that names no unsupported feature).
        case error
    }

    /// The result of one node test.
    public struct TestResult: Sendable {
        /// The test's folder name (`test_conv_with_strides_padding`).
        public let name: String
        /// The operator it tests (see ``operatorTested(name:opTypes:)``).
        public let opType: String
        /// The op types of the model's nodes, in order.
        public let nodeOpTypes: [String]
        public let outcome: Outcome
        /// Why it did not pass: the error or the first difference (empty for a pass).
        public let detail: String
        /// Wall-clock seconds to load, run and compare.
        public let seconds: Double
    }

    /// Runs every `test_*` folder in `folder` (sorted by name), or those testing an op type in
    /// `operators`; `progress` sees each result as it comes.
    /// - Throws: ``ConvNetError`` if `folder` cannot be listed or holds no test.
    public static func run(folder: String, operators: Set<String>? = nil,
                           progress: (TestResult) -> Void = { _ in }) throws -> ONNXConformanceReport {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("test_") }.sorted()
        } catch {
            throw ConvNetError(op: "onnx-conformance", "\(folder): cannot list the folder (\(ConvNetError.systemReason(error)))")
        }
        guard !names.isEmpty else { throw ConvNetError(op: "onnx-conformance", "\(folder): holds no test_* folder") }
        // Op types first, so that an expanded test (a function body) is filed under the op it expands.
        var opTypes: [String: [String]] = [:]
        for name in names { opTypes[name] = ONNXModel.nodeOpTypes(atPath: folder + "/" + name + "/model.onnx") }
        var groups: [String: String] = [:]
        for name in names { groups[name] = operatorTested(name: name, opTypes: opTypes[name] ?? []) }
        for name in names where name.contains("_expanded") {
            let base = String(name[..<name.range(of: "_expanded")!.lowerBound])
            if let g = groups[base] { groups[name] = g }
        }
        var results: [TestResult] = []
        for name in names where operators == nil || operators!.contains(groups[name]!) {
            let result = runTest(folder + "/" + name, name: name, opType: groups[name]!, nodeOpTypes: opTypes[name] ?? [])
            progress(result)
            results.append(result)
        }
        return ONNXConformanceReport(results: results)
    }

    /// The operator a test tests: its node's op type when it has one kind of node, else the op
    /// type of its nodes whose lowercased name starts the test's name, else its first node's.
    public static func operatorTested(name: String, opTypes: [String]) -> String {
        let distinct = Array(Set(opTypes))
        if distinct.count == 1 { return distinct[0] }
        let squashed = name.dropFirst("test_".count).replacingOccurrences(of: "_", with: "").lowercased()
        let named = distinct.filter { squashed.hasPrefix($0.lowercased()) }.max { $0.count < $1.count }
        return named ?? opTypes.first ?? "(unreadable)"
    }

    /// Loads, runs and compares the node test in `path`.
    static func runTest(_ path: String, name: String, opType: String, nodeOpTypes: [String]) -> TestResult {
        let start = Date()
        let (outcome, detail) = classify(path)
        return TestResult(name: name, opType: opType, nodeOpTypes: nodeOpTypes, outcome: outcome, detail: detail,
                          seconds: Date().timeIntervalSince(start))
    }

    /// A refusal is ``Outcome/unsupported`` when it says what is not supported, else ``Outcome/error``.
    private static func refusal(_ error: Error, stage: String) -> (Outcome, String) {
        let text = "\(stage): \(error)"
        guard let e = error as? ConvNetError else { return (.error, text) }
        return (e.message.contains("not supported") ? .unsupported : .error, text)
    }

    private static func classify(_ path: String) -> (Outcome, String) {
        let module: ONNXGraphModule
        do {
            module = try ONNXModel(contentsOf: path + "/model.onnx").module()
        } catch {
            return refusal(error, stage: "load")
        }
        let sets: [String]
        do {
            sets = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("test_data_set_") }.sorted()
        } catch {
            return (.error, "cannot list \(path): \(ConvNetError.systemReason(error))")
        }
        guard !sets.isEmpty else { return (.error, "\(path) has no test_data_set_* folder") }
        for set in sets {
            let dir = path + "/" + set
            let inputs: [ONNXValue], expected: [ONNXValue]
            do {
                inputs = try ONNXModel.readTensorFiles(dir, prefix: "input", op: "onnx-conformance")
                expected = try ONNXModel.readTensorFiles(dir, prefix: "output", op: "onnx-conformance")
            } catch {
                return (.error, "\(set): \(error)")
            }
            let (inputNames, outputNames) = (module.inputNames, module.outputNames)
            guard inputs.count == inputNames.count, expected.count == outputNames.count else {
                return (.error, "\(set) has \(inputs.count) inputs and \(expected.count) outputs; the graph \(inputNames.count) and \(outputNames.count)")
            }
            let feeds = Dictionary(uniqueKeysWithValues: zip(inputNames, inputs))
            do {
                try module.checkShapes(for: feeds)
            } catch {
                return refusal(error, stage: "\(set) shape inference")
            }
            let outputs: [String: ONNXValue]
            do {
                outputs = try module.run(values: feeds, integerOutputs: true)
            } catch {
                return refusal(error, stage: "\(set) run")
            }
            for (i, (name, want)) in zip(outputNames, expected).enumerated() {
                guard let got = outputs[name] else { return (.error, "\(set): output \(i) \"\(name)\" was not computed") }
                if let difference = compare(got, want) { return (.fail, "\(set) output \(i) \"\(name)\": \(difference)") }
            }
        }
        return (.pass, "")
    }

    /// The first index where `actual` and `expected` (of the same count) differ by more than
    /// `atol + rtol·|expected|` (NumPy's `assert_allclose`: NaN matches NaN, equal infinities match), or nil.
    public static func firstDifference(_ actual: [Float], _ expected: [Float]) -> Int? {
        actual.indices.first { i in
            let (x, y) = (actual[i], expected[i])
            if x.isNaN && y.isNaN || x == y { return false }
            if x.isInfinite || y.isInfinite { return true }  // an infinity matches only itself
            return !(abs(x - y) <= absoluteTolerance + relativeTolerance * abs(y))
        }
    }

    /// Nil when `got` agrees with `want` as ONNX's runner compares; else what differs.
    static func compare(_ got: ONNXValue, _ want: ONNXValue) -> String? {
        guard got.shape == want.shape else { return "shape \(got.shape), expected \(want.shape)" }
        switch (got, want) {
        case (.int(let a), .int(let b)):
            guard let i = a.values.indices.first(where: { a.values[$0] != b.values[$0] }) else { return nil }
            return "element \(i) is \(a.values[i]), expected \(b.values[i])"
        case (.float(let a), .float(let b)):
            let x = a.withUnsafeBufferPointer(Array.init), y = b.withUnsafeBufferPointer(Array.init)
            guard let i = firstDifference(x, y) else { return nil }
            return "element \(i) is \(x[i]), expected \(y[i]) (tolerance \(absoluteTolerance + relativeTolerance * abs(y[i])))"
        default:
            return "holds \(got.isInt ? "integers" : "floats"), expected \(want.isInt ? "integers" : "floats")"
        }
    }
}
