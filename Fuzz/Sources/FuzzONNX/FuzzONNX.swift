import ConvNet
import Foundation
import FuzzSupport

/// ONNX models: the protobuf, opset, operators and attributes, graph order, initializer sizes and
/// shape inference (ONNXModel); a model that loads is then run on zeros of its declared shape
/// when that input is small.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let model = try? ONNXModel(serializedData: Data(bytes(data, size)), source: "fuzz") else { return 0 }
    guard model.inputs.count == 1, let net = try? model.module() else { return 0 }
    let shape = model.inputs[0].dims.enumerated().map { $0.element ?? ($0.offset == 0 ? 1 : 0) }
    guard !shape.contains(0), let count = MemoryBudget.product(shape), count <= 1 << 14 else { return 0 }
    // Run only graphs whose every value is small (a valid model may ask for gigabytes).
    guard let shapes = try? model.shapes(batch: shape.first ?? 1),  // a rank-0 input has no batch
          shapes.allSatisfy({ (MemoryBudget.product($0.shape) ?? .max) <= 1 << 20 }) else { return 0 }
    _ = try? withNoGrad { try net(Tensor.zeros(shape)) }
    return 0
}

/// The committed tiny CNN fixture (every operator of a torch.onnx.export) and its first half.
func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Tests/ConvNetTests/Fixtures/onnx/tinycnn.onnx").standardized
    let model = try [UInt8](Data(contentsOf: fixture))
    return [("tinycnn.onnx", model), ("tinycnn-truncated.onnx", Array(model.prefix(model.count / 2)))]
}

@_cdecl("FuzzONNX_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
