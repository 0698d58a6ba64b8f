import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// ONNX import: models exported by torch.onnx.export (Tools/export_onnx_fixtures.py) give
/// PyTorch's outputs, eagerly and frozen; and every kind of bad model is one clear error.
@Suite("ONNX import")
struct ONNXImportTests {
    static let folder = Fixtures.directory.appendingPathComponent("onnx")

    /// The fixture's input and PyTorch's output.
    static func io(_ name: String) throws -> (input: Tensor, output: Tensor) {
        let io = try SafeTensors.read(path: folder.appendingPathComponent("\(name)-io.safetensors").path).dictionary
        return (try #require(io["input"]), try #require(io["output"]))
    }

    /// max |a − b| over max(1e-6, max |b|).
    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        #expect(a.shape == b.shape)
        let (x, y) = (a.withUnsafeBufferPointer(Array.init), b.withUnsafeBufferPointer(Array.init))
        let scale = max(1e-6, y.map(abs).max() ?? 0)
        return zip(x, y).map { abs($0 - $1) }.max()! / scale
    }

    @Test("exported models give PyTorch's outputs, eagerly and frozen", arguments: ["resnet20", "tinycnn"])
    func matchesPyTorch(name: String) throws {
        let model = try ONNXModel(contentsOf: Self.folder.appendingPathComponent("\(name).onnx").path)
        #expect(model.opset == 17)
        #expect(model.inputs.count == 1 && model.inputs[0].dims[0] == nil)  // dynamic batch
        let net = try model.module()
        let (x, expected) = try Self.io(name)
        let eager = try withNoGrad { try net(x) }
        #expect(try Self.relativeError(eager, expected) <= 1e-4)
        let frozen = try net.frozen()
        for _ in 0..<2 { #expect(try Self.relativeError(try frozen(x), expected) <= 1e-4) }
        // Batch 1 (another shape) through the same module.
        let one = try withNoGrad { try net(try x.slice(0..<1)) }
        #expect(try Self.relativeError(one, try expected.slice(0..<1)) <= 1e-4)
    }

    @Test("the frozen ResNet-20 fuses every convolution as the zoo model's does")
    func resnet20Fuses() throws {
        let net = try ONNXModel(contentsOf: Self.folder.appendingPathComponent("resnet20.onnx").path).module()
        // The zoo's parameters, each batch norm's γ and β folded by the exporter into one conv bias.
        let zoo = try ModelZoo.make("resnet20")
        let bnChannels = zoo.namedModules().compactMap { $0.module as? BatchNorm }.reduce(0) { $0 + $1.weight.count }
        #expect(net.parameterCount == zoo.parameterCount - bnChannels)
        let frozen = try net.frozen()
        _ = try frozen(try Self.io("resnet20").input)
        // The zoo's ResNet-20 plan (FrozenModelTests), but its batch norms, already folded in the file.
        let note = try #require(frozen.notes.first)
        #expect(note.contains("19 convolutions fused (0 batch norms folded, 7 residual sums, 17 ReLUs)"), "\(note)")
    }

    @Test("batch norm in an imported graph is folded into the convolution before it")
    func batchNormFolds() throws {
        let frozen = try ONNXModel(contentsOf: Self.folder.appendingPathComponent("tinycnn.onnx").path).module().frozen()
        _ = try frozen(try Self.io("tinycnn").input)
        #expect(frozen.notes.first?.contains("1 batch norms folded") == true, "\(frozen.notes)")
    }

    // MARK: - Bad input

    typealias P = ONNXTestProto

    /// The error loading `data` gives (nil when it loads).
    static func error(_ data: Data, folder: String? = nil) -> String? {
        do {
            _ = try ONNXModel(serializedData: data, source: "bad.onnx", folder: folder)
            return nil
        } catch let e as ConvNetError {
            return e.description
        } catch {
            return "not a ConvNetError: \(error)"
        }
    }

    /// A valid model: y = relu(x·Wᵀ + b) through Gemm, to break one piece at a time.
    static func gemmModel(weightBytes: [UInt8]? = nil, opset: Int = 17, extraNodes: [P] = [], attributes: [P.Attribute] = [.int("transB", 1)],
                          weightDims: [Int] = [4, 3]) -> Data {
        P.model(nodes: [P.node("Gemm", ["x", "w", "b"], ["h"], name: "fc", attributes), P.node("Relu", ["h"], ["y"], name: "act")] + extraNodes,
                initializers: [P.tensor("w", weightDims, (0..<12).map(Float.init), rawBytes: weightBytes), P.tensor("b", [4], [0, 1, 2, 3])],
                inputs: [P.value("x", [nil, 3])], outputs: [P.value("y", [nil, 4])], opset: opset)
    }

    @Test("the valid model built here loads and computes x·Wᵀ + b")
    func builtModelRuns() throws {
        let net = try ONNXModel(serializedData: Self.gemmModel()).module()
        let y = try net(try Tensor(shape: [1, 3], scalars: [1, 0, -1]))
        #expect(y.withUnsafeBufferPointer(Array.init) == [0, 0, 0, 1])  // rows 0-2 ... relu(w·x + b)
    }

    @Test("a flatten computed from Shape/Gather/Unsqueeze/Concat/Reshape follows the batch; MatMul, Transpose, Clip")
    func shapeSubgraph() throws {
        // y = clip(reshape(x, [shape(x)[0], -1]) · transpose(W), 0, 2): W transposed at load, the shape at run time.
        let weights = (0..<24).map { Float($0 % 7) / 7 - 0.4 }
        let model = P.model(
            nodes: [P.node("Shape", ["x"], ["s"]), P.node("Constant", [], ["zero"], name: "c0", [.tensor("value", P.ints("", [0], dims: []))]),
                    P.node("Gather", ["s", "zero"], ["n"]), P.node("Unsqueeze", ["n", "axes"], ["n1"]),
                    P.node("Concat", ["n1", "minus1"], ["target"], [.int("axis", 0)]), P.node("Reshape", ["x", "target"], ["flat"]),
                    P.node("Transpose", ["w"], ["wt"], [.ints("perm", [1, 0])]), P.node("MatMul", ["flat", "wt"], ["m"]),
                    P.node("Clip", ["m", "lo", "hi"], ["y"])],
            initializers: [P.tensor("w", [2, 12], weights), P.ints("axes", [0]), P.ints("minus1", [-1]),
                           P.tensor("lo", [], [0]), P.tensor("hi", [], [2])],
            inputs: [P.value("x", [nil, 3, 2, 2])], outputs: [P.value("y", [nil, 2])])
        let net = try ONNXModel(serializedData: model).module()
        let w = try Tensor(shape: [2, 12], scalars: weights)
        for batch in [2, 3] {
            let x = try Tensor(shape: [batch, 3, 2, 2], scalars: (0..<(batch * 12)).map { Float($0 % 5) - 1.5 })
            let expected = try linear(x.flattened(), weight: w).clamped(min: 0, max: 2)
            #expect(try Self.relativeError(try withNoGrad { try net(x) }, expected) < 1e-6)
        }
    }

    @Test("Shape with start is inferred as the dims it returns")
    func shapeSlice() throws {
        // y = float(shape(x)[1:]) + [10, 20] for x [N, 3, 4]: [13, 24] (the whole shape, [N, 3, 4], would not add to [2]).
        let model = P.model(nodes: [P.node("Shape", ["x"], ["s"], name: "s", [.int("start", 1)]), P.node("Cast", ["s"], ["f"], name: "f", [.int("to", 1)]),
                                    P.node("Add", ["f", "c"], ["y"], name: "add")],
                            initializers: [P.tensor("c", [2], [10, 20])], inputs: [P.value("x", [nil, 3, 4])], outputs: [P.value("y", [2])])
        let y = try ONNXModel(serializedData: model).module()(Tensor.zeros([1, 3, 4]))
        #expect(y.withUnsafeBufferPointer(Array.init) == [13, 24])
    }

    @Test("a truncated or non-ONNX file is one clear error")
    func notONNX() throws {
        let good = try Data(contentsOf: Self.folder.appendingPathComponent("tinycnn.onnx"))
        for cut in [good.count / 2, good.count - 3, 7] {
            let message = try #require(Self.error(good.prefix(cut)))
            #expect(message.hasPrefix("onnx: bad.onnx:"), "\(message)")
        }
        for junk in [Data("hello, this is not a model".utf8), Data([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Data()] {
            let message = try #require(Self.error(junk))
            #expect(message.contains("not an ONNX model"), "\(message)")
        }
        #expect(throws: ConvNetError.self) { try ONNXModel(contentsOf: "/nonexistent/model.onnx") }
    }

    @Test("an opset outside 7…28 is refused, naming it")
    func opset() throws {
        for opset in [6, 29] {
            let message = try #require(Self.error(Self.gemmModel(opset: opset)))
            #expect(message.contains("opset \(opset)") && message.contains("7…28"), "\(message)")
        }
    }

    @Test("an unsupported operator or attribute value names the node, its index, op and attribute")
    func unsupported() throws {
        let op = try #require(Self.error(Self.gemmModel(extraNodes: [P.node("Einsum", ["y"], ["z"], name: "mystery")])))
        #expect(op.contains("node 2 \"mystery\" (Einsum) is not supported"), "\(op)")
        let conv = P.model(nodes: [P.node("Conv", ["x", "w"], ["y"], name: "volumetric", [.ints("kernel_shape", [1, 1, 1])])],
                           initializers: [P.tensor("w", [4, 2, 1, 1, 1], [Float](repeating: 1, count: 8))],
                           inputs: [P.value("x", [1, 2, 4, 4, 4])], outputs: [P.value("y", [1, 4, 4, 4, 4])])
        let volumetric = try #require(Self.error(conv))
        #expect(volumetric.contains("\"volumetric\" (Conv) has kernel_shape = [1, 1, 1], which is not supported"), "\(volumetric)")
        let dilated = P.model(nodes: [P.node("MaxPool", ["x"], ["y"], name: "dilated", [.ints("kernel_shape", [2, 2]), .ints("dilations", [2, 2])])],
                              inputs: [P.value("x", [1, 1, 4, 4])], outputs: [P.value("y", [1, 1, 2, 2])])
        #expect(Self.error(dilated)?.contains("dilations = [2, 2], which is not supported") == true)
        let order = P.model(nodes: [P.node("MaxPool", ["x"], ["y"], name: "columns", [.ints("kernel_shape", [3, 3]), .int("storage_order", 1)])],
                            inputs: [P.value("x", [1, 1, 4, 4])], outputs: [P.value("y", [1, 1, 2, 2])])
        #expect(Self.error(order)?.contains("storage_order = 1, which is not supported") == true)
    }

    @Test("a cycle or a value nothing defines is refused, naming the node")
    func graphStructure() throws {
        let cycle = P.model(nodes: [P.node("Relu", ["x2"], ["x1"], name: "a"), P.node("Relu", ["x1"], ["x2"], name: "b"),
                                    P.node("Add", ["x", "x2"], ["y"], name: "c")],
                            inputs: [P.value("x", [1, 2])], outputs: [P.value("y", [1, 2])])
        let message = try #require(Self.error(cycle))
        #expect(message.contains("cycle"), "\(message)")
        let undefined = P.model(nodes: [P.node("Add", ["x", "ghost"], ["y"], name: "sum")],
                                inputs: [P.value("x", [1, 2])], outputs: [P.value("y", [1, 2])])
        #expect(Self.error(undefined)?.contains("\"sum\" (Add) reads \"ghost\", which no node") == true)
    }

    @Test("an initializer whose bytes disagree with its dims is refused, naming it")
    func initializerSize() throws {
        let short = try #require(Self.error(Self.gemmModel(weightBytes: [UInt8](repeating: 0, count: 44))))
        #expect(short.contains("initializer \"w\"") && short.contains("needs 48 bytes") && short.contains("has 44"), "\(short)")
        // Dims whose product overflows: an error, not a trap.
        let huge = try #require(Self.error(Self.gemmModel(weightDims: [1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1])))
        #expect(huge.contains("initializer \"w\""), "\(huge)")
    }

    @Test("external data loads from beside the model, and a missing file or short one is refused")
    func externalData() throws {
        let dir = Fixtures.temporaryFolder("onnx-external")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func model(offset: Int, location: String = "weights.bin") -> Data {
            P.model(nodes: [P.node("Gemm", ["x", "w", "b"], ["y"], name: "fc", [.int("transB", 1)])],
                    initializers: [P.external("w", [4, 3], location: location, offset: offset, length: 48), P.tensor("b", [4], [0, 0, 0, 0])],
                    inputs: [P.value("x", [nil, 3])], outputs: [P.value("y", [nil, 4])])
        }
        let missing = try #require(Self.error(model(offset: 0), folder: dir))
        #expect(missing.contains("\"weights.bin\", which is missing"), "\(missing)")
        let weights: [Float] = (0..<12).map { Float($0) }
        let bytes = [UInt8](repeating: 7, count: 16) + weights.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/weights.bin"))
        let path = dir + "/model.onnx"
        try model(offset: 16).write(to: URL(fileURLWithPath: path))
        let y = try ONNXModel(contentsOf: path).module()(try Tensor(shape: [1, 3], scalars: [1, 1, 1]))
        #expect(y.withUnsafeBufferPointer(Array.init) == [3, 12, 21, 30])
        let past = try #require(Self.error(model(offset: 40), folder: dir))
        #expect(past.contains("truncated"), "\(past)")
        #expect(Self.error(model(offset: 0, location: "../etc/passwd"), folder: dir)?.contains("outside the model's folder") == true)
        #expect(Self.error(model(offset: 0), folder: nil)?.contains("load the model from its file") == true)
    }

    @Test("shapes that disagree along the graph are found before running, naming the node")
    func shapeInference() throws {
        let add = P.model(nodes: [P.node("Add", ["x", "c"], ["y"], name: "mismatch")], initializers: [P.tensor("c", [1, 4], [1, 2, 3, 4])],
                          inputs: [P.value("x", [nil, 3])], outputs: [P.value("y", [nil, 3])])
        let message = try #require(Self.error(add))
        #expect(message.contains("\"mismatch\" (Add) cannot broadcast shapes [1, 3] and [1, 4]"), "\(message)")
        let gemm = try #require(Self.error(Self.gemmModel(weightDims: [3, 4])))
        #expect(gemm.contains("\"fc\" (Gemm)") && gemm.contains("inner dimensions 3 and 4 differ"), "\(gemm)")
        let conv = P.model(nodes: [P.node("Conv", ["x", "w"], ["y"], name: "c1")], initializers: [P.tensor("w", [2, 3, 1, 1], [Float](repeating: 1, count: 6))],
                           inputs: [P.value("x", [nil, 4, 5, 5])], outputs: [P.value("y", [nil, 2, 5, 5])])
        #expect(Self.error(conv)?.contains("\"c1\" (Conv) has input [1, 4, 5, 5] with 4 channels but weight [2, 3, 1, 1] expects 3") == true)
        // An input of another shape than declared.
        let net = try ONNXModel(serializedData: Self.gemmModel()).module()
        #expect(throws: ConvNetError.self) { try net(Tensor.zeros([2, 5])) }
    }

    // MARK: - Command line

    @Test("convnet predict --onnx and summary --onnx run the file; a bad one is one error line and a non-zero exit")
    func commandLine() throws {
        let model = Self.folder.appendingPathComponent("resnet20.onnx").path
        let image = Fixtures.directory.appendingPathComponent("images/gray8.png").path
        let predict = try CommandLineTests.convnet(["predict", "--onnx", model, "--dataset", "cifar10", "--json", image])
        #expect(predict.status == 0, "\(predict.output)")
        // The library's answer on the same image, prepared as for a 3×32×32 zoo model.
        let net = try ONNXModel(contentsOf: model).module()
        let x = try ImageTransforms.standard(try Image.read(path: image, channels: 3), inputShape: [3, 32, 32],
                                             normalization: ImageTransforms.imageNet).reshaped([1, 3, 32, 32])
        let best = try withNoGrad { try net(x) }.argmax(dim: 1)[0]
        #expect(predict.output.contains("\"label\":\"\(CIFAR.cifar10Names[best])\""), "\(predict.output)")
        let summary = try CommandLineTests.convnet(["summary", "--onnx", model, "--batch", "4"])
        #expect(summary.status == 0 && summary.output.contains("[4, 10]") && summary.output.contains("\(net.parameterCount) parameters"),
                "\(summary.output)")
        let bad = try CommandLineTests.convnet(["summary", "--onnx", image])
        #expect(bad.status != 0 && bad.output.split(separator: "\n").count == 1 && bad.output.contains("not an ONNX model"), "\(bad.output)")
    }
}
