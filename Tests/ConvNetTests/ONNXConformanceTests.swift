import ConvNet
import ConvNetHarness
import ConvNetONNX
import Foundation
import Testing

/// ONNX's node-test runner on committed node tests (Fixtures/onnx-node: some of ONNX's own, and
/// `test_x_*` written by Tools/onnx_extra_node_tests.py for 2-D float features ONNX's suite leaves
/// out): supported features pass, the rest are refused as unsupported, a wrong answer is caught.
@Suite("ONNX node-test conformance")
struct ONNXConformanceTests {
    static let folder = Fixtures.directory.appendingPathComponent("onnx-node").path

    /// Each committed test's expected outcome, and for a refusal a part of its message.
    static let expected: [String: (ONNXConformance.Outcome, String)] = [
        "test_conv_with_autopad_same": (.pass, ""),                       // SAME_LOWER
        "test_conv_with_strides_and_asymmetric_padding": (.pass, ""),
        "test_maxpool_2d_ceil": (.pass, ""),
        "test_averagepool_2d_pads_count_include_pad": (.pass, ""),        // pads larger than half the kernel
        "test_reshape_negative_dim": (.pass, ""),                         // shape fed as an INT64 input
        "test_matmul_4d": (.pass, ""),
        "test_reflect_pad": (.pass, ""),                                  // integer data
        "test_clip_default_int8_min": (.pass, ""),                        // integer data and bound
        "test_x_conv_group2_bias": (.pass, ""),
        "test_x_conv_depthwise_stride2": (.pass, ""),
        "test_x_conv_dilation2": (.pass, ""),
        "test_x_averagepool_ceil_pads_include1": (.pass, ""),
        "test_x_lrn_even_size": (.pass, ""),
        "test_x_pad_reflect_float": (.pass, ""),
        "test_x_softmax_opset11_axis1_flattens": (.pass, ""),
        "test_x_matmul_batched_broadcast": (.pass, ""),
        "test_maxpool_1d_default": (.unsupported, "(MaxPool) has kernel_shape = [2], which is not supported"),
        "test_maxpool_2d_dilations": (.unsupported, "(MaxPool) has dilations = [2, 2], which is not supported"),
        "test_acos": (.unsupported, "(Acos) is not supported"),
        "test_cast_FLOAT_to_FLOAT16": (.unsupported, "graph output \"output\" has type FLOAT16, which is not supported"),
        "test_dropout_default_mask": (.unsupported, "(Dropout) has 2 outputs, which is not supported"),
    ]

    @Test("every committed node test passes or is refused as unsupported, as expected")
    func committed() throws {
        let report = try ONNXConformance.run(folder: Self.folder)
        #expect(Set(report.results.map(\.name)) == Set(Self.expected.keys))
        for result in report.results {
            let (outcome, message) = try #require(Self.expected[result.name])
            #expect(result.outcome == outcome, "\(result.name): \(result.outcome) \(result.detail)")
            #expect(message.isEmpty ? result.detail.isEmpty : result.detail.contains(message), "\(result.name): \(result.detail)")
        }
        #expect(report.meetsBar)
        let conv = try #require(report.rows.first { $0.opType == "Conv" })
        #expect(conv.isSupported && conv.pass == 5 && conv.total == 5)
        let acos = try #require(report.rows.first { $0.opType == "Acos" })
        #expect(!acos.isSupported && acos.unsupported == 1)
        #expect(report.markdown().contains("| MaxPool | 3 | 1 | 0 | 2 | 0 |"), "\(report.markdown())")
    }

    @Test("a wrong expected value is reported as a failure, and the CLI exits non-zero")
    func wrongAnswer() throws {
        let dir = Fixtures.temporaryFolder("onnx-node")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let test = dir + "/test_x_conv_group2_bias"
        try FileManager.default.copyItem(atPath: Self.folder + "/test_x_conv_group2_bias", toPath: test)
        #expect(try ONNXConformance.run(folder: dir).meetsBar)
        // The output's raw_data ends the TensorProto: its last float becomes 1234.5.
        let path = test + "/test_data_set_0/output_0.pb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        withUnsafeBytes(of: Float(1234.5).bitPattern.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..., with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try ONNXConformance.run(folder: dir)
        let result = try #require(report.results.first)
        #expect(result.outcome == .fail && result.detail.contains("expected 1234.5"), "\(result.detail)")
        #expect(!report.meetsBar)
        let cli = try CommandLineTests.convnet(["onnx-conformance", dir])
        #expect(cli.status != 0 && cli.output.contains("FAIL test_x_conv_group2_bias"), "\(cli.output)")
    }

    @Test("the CLI prints the per-operator table and writes the Markdown page")
    func commandLine() throws {
        let markdown = Fixtures.temporaryFolder("conformance") + ".md"
        defer { try? FileManager.default.removeItem(atPath: markdown) }
        let cli = try CommandLineTests.convnet(["onnx-conformance", Self.folder, "--ops", "Conv,Acos", "--markdown", markdown])
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.output.contains("Conv                     5     5     0            0      0"), "\(cli.output)")
        #expect(cli.output.contains("6 tests"), "\(cli.output)")
        let page = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(page.contains("| Conv | 5 | 5 | 0 | 0 | 0 |") && page.contains("| Acos | 1 | 0 | 0 | 1 | 0 |"), "\(page)")
    }

    @Test("outputs compare as ONNX's runner compares them: atol + rtol·|expected|, NaN matches NaN")
    func tolerance() {
        #expect(ONNXConformance.firstDifference([1.0009, -2, .nan, .infinity], [1, -2.0019, .nan, .infinity]) == nil)
        #expect(ONNXConformance.firstDifference([1, 1.0011], [1, 1]) == 1)
        #expect(ONNXConformance.firstDifference([0], [1e-8]) == nil && ONNXConformance.firstDifference([0], [1e-6]) == 0)
        #expect(ONNXConformance.firstDifference([.nan], [1]) == 0 && ONNXConformance.firstDifference([1], [.nan]) == 0)
        #expect(ONNXConformance.firstDifference([-.infinity], [.infinity]) == 0 && ONNXConformance.firstDifference([1e30], [.infinity]) == 0)
    }

    @Test("a test is filed under the operator it tests, an expanded one under the operator it expands")
    func grouping() {
        #expect(ONNXConformance.operatorTested(name: "test_conv_with_strides", opTypes: ["Conv"]) == "Conv")
        #expect(ONNXConformance.operatorTested(name: "test_softmax_axis_0_expanded", opTypes: ["ReduceMax", "Sub", "Exp", "ReduceSum", "Div"]) == "ReduceMax")
        #expect(ONNXConformance.operatorTested(name: "test_relu_expanded_ver18", opTypes: ["Constant", "CastLike", "Max", "Relu"]) == "Relu")
    }

    @Test("an integer graph input is fed as a tensor of whole numbers; a fraction is refused")
    func integerInput() throws {
        let module = try ONNXModel(contentsOf: Self.folder + "/test_reshape_negative_dim/model.onnx").module()
        let names = module.model.inputs.map(\.name)
        let data = try Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        let y = try module.run([names[0]: data, names[1]: try Tensor(shape: [3], scalars: [2, -1, 2])])
        #expect(y.values.first?.shape == [2, 6, 2])
        #expect(y.values.first?.withUnsafeBufferPointer(Array.init) == (0..<24).map(Float.init))
        #expect(throws: ConvNetError.self) { try module.run([names[0]: data, names[1]: try Tensor(shape: [3], scalars: [2, -1.5, 2])]) }
    }

    @Test("pads far beyond the input are refused at load, not allocated; a dilation far beyond it needs no intermediate")
    func hugeIntermediates() throws {
        typealias P = ONNXTestProto
        func error(_ attributes: [ONNXTestProto.Attribute], op: String = "Conv") -> String? {
            let inputs = op == "Conv" ? ["x", "w"] : ["x"]
            let model = P.model(nodes: [P.node(op, inputs, ["y"], name: "wide", attributes)],
                                initializers: op == "Conv" ? [P.tensor("w", [1, 1, 2, 2], [1, 2, 3, 4])] : [],
                                inputs: [P.value("x", [1, 1, 4, 4])], outputs: [P.value("y", [1, 1, nil, nil])])
            return ONNXImportTests.error(model)
        }
        let far = [ONNXTestProto.Attribute.ints("pads", [0, 0, 100_000, 100_000]), .ints("strides", [100_000, 100_000])]
        #expect(error(far)?.contains("\"wide\" (Conv) would need an intermediate tensor") == true, "\(String(describing: error(far)))")
        #expect(error(far + [.ints("kernel_shape", [2, 2])], op: "MaxPool")?.contains("would need an intermediate tensor") == true)
        // The core's conv2d takes the dilation itself (no kernel spread out with zeros): the window of
        // 60 001 over the padded 60 004 loads, and each of the 4×4 outputs reads only padding.
        let dilated = [ONNXTestProto.Attribute.ints("dilations", [60_000, 60_000]), .ints("pads", [30_000, 30_000, 30_000, 30_000])]
        #expect(error(dilated) == nil, "\(String(describing: error(dilated)))")
        let wide = P.model(nodes: [P.node("Conv", ["x", "w"], ["y"], name: "wide", dilated)], initializers: [P.tensor("w", [1, 1, 2, 2], [1, 2, 3, 4])],
                           inputs: [P.value("x", [1, 1, 4, 4])], outputs: [P.value("y", [1, 1, nil, nil])])
        for backend in ComputeBackend.allCases {
            let y = try Backend.with(backend) { try ONNXModel(serializedData: wide).module()(Tensor.ones([1, 1, 4, 4])) }
            #expect(y.shape == [1, 1, 4, 4] && y.scalars.allSatisfy { $0 == 0 }, "\(backend): \(y.shape)")
        }
        // The same kinds of window at a modest size load and run.
        #expect(error([.ints("pads", [0, 1, 2, 0]), .ints("dilations", [2, 2])]) == nil)
    }

    @Test("a grouped, dilated, asymmetrically padded convolution and a padded ceil-mode pool run the same frozen as eager")
    func frozen() throws {
        typealias P = ONNXTestProto
        let weights = (0..<72).map { Float(($0 * 37) % 17) / 17 - 0.5 }
        let model = P.model(nodes: [P.node("Conv", ["x", "w"], ["c"], name: "conv", [.int("group", 2), .ints("dilations", [2, 1]), .ints("pads", [0, 1, 2, 1])]),
                                    P.node("MaxPool", ["c"], ["y"], name: "pool", [.ints("kernel_shape", [3, 3]), .ints("strides", [2, 2]),
                                                                                   .ints("pads", [1, 0, 0, 1]), .int("ceil_mode", 1)])],
                            initializers: [P.tensor("w", [4, 2, 3, 3], weights)],
                            inputs: [P.value("x", [nil, 4, 7, 6])], outputs: [P.value("y", [nil, 4, nil, nil])])
        let net = try ONNXModel(serializedData: model).module()
        let frozen = try net.frozen()
        for batch in [1, 3] {
            let x = try Tensor(shape: [batch, 4, 7, 6], scalars: (0..<(batch * 168)).map { Float(($0 * 53) % 29) / 29 - 0.5 })
            let eager = try net(x)
            // Conv: H 7 + 0 + 2 − 5 + 1 = 5, W 6 + 2 − 3 + 1 = 6; MaxPool ceil: ⌈(5 + 1 − 3)/2⌉ + 1 = 3, ⌈(6 + 1 − 3)/2⌉ + 1 = 3.
            #expect(eager.shape == [batch, 4, 3, 3])
            for _ in 0..<2 {  // the first pass traces, the second runs the plan
                let y = try frozen(x)
                #expect(y.shape == eager.shape)
                #expect(ONNXConformance.firstDifference(y.withUnsafeBufferPointer(Array.init), eager.withUnsafeBufferPointer(Array.init)) == nil)
            }
        }
    }
}
