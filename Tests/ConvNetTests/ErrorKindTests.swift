import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// Every error carries a kind next to its message, so code can react without reading text.
@Suite("error kinds")
struct ErrorKindTests {
    static func kind(_ body: () throws -> Void) -> ConvNetError.Kind? {
        do { try body() } catch let error as ConvNetError { return error.kind } catch { return nil }
        return nil
    }

    @Test("shape, argument, io, format, unsupported, resource and numerics, each from a real failure")
    func kinds() throws {
        #expect(Self.kind { _ = try conv2d(Tensor.zeros([1, 3, 8, 8]), Tensor.zeros([4, 2, 3, 3])) } == .shape)
        #expect(Self.kind { var g = RandomGenerator(seed: 1); _ = try dropout(Tensor.zeros([2]), p: 2, training: true, generator: &g) } == .shape)
        var options = TrainingOptions()
        options.learningRate = -1
        #expect(Self.kind { try options.validate() } == .argument)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID()).idx").path
        #expect(Self.kind { _ = try IDXArray.read(path: missing) } == .io)
        #expect(Self.kind { _ = try IDXArray.parse([0, 0, 0x08, 0x03, 0, 0, 0, 9], source: "bytes") } == .format)
        #expect(Self.kind { _ = try SafeTensors.decode(Data([1, 2, 3]), source: "bytes") } == .format)
        typealias P = ONNXTestProto
        let unknownOp = P.model(nodes: [P.node("Unique", ["x"], ["y"])], inputs: [P.value("x", [1, 4])], outputs: [P.value("y", [1, 4])])
        #expect(Self.kind { _ = try ONNXModel(serializedData: unknownOp) } == .unsupported)
        #expect(Self.kind { try MemoryBudget.require(Int.max / 2, op: "test", what: "an absurd allocation") } == .resource)
        let nan = try Tensor(shape: [2], scalars: [1, .nan])
        #expect(Self.kind { try NonFiniteValues.refuse(["w": nan], what: "the weights") } == .numerics)
        // A message bounded for ONNX keeps its kind.
        let badOpset = P.model(nodes: [P.node("Relu", ["x"], ["y"])], inputs: [P.value("x", [1, 4])], outputs: [P.value("y", [1, 4])],
                               opset: 99)
        #expect(Self.kind { _ = try ONNXModel(serializedData: badOpset) } == .unsupported)
    }
}
