import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// torchvision's resnet18, googlenet, alexnet and vgg11 exported to ONNX give PyTorch's logits,
/// eagerly and frozen. The files are too large to commit: Tools/export_onnx_large_models.py writes
/// them, and these tests run when `CONVNET_ONNX_LARGE_DIR` names that folder.
@Suite("ONNX import of torchvision models (CONVNET_ONNX_LARGE_DIR)",
       .enabled(if: ProcessInfo.processInfo.environment["CONVNET_ONNX_LARGE_DIR"] != nil))
struct ONNXLargeModelTests {
    @Test(arguments: ["resnet18", "googlenet", "alexnet", "vgg11"])
    func matchesPyTorch(name: String) throws {
        let dir = ProcessInfo.processInfo.environment["CONVNET_ONNX_LARGE_DIR"]! + "/"
        let net = try ONNXModel(contentsOf: dir + name + ".onnx").module()
        let io = try SafeTensors.read(path: dir + name + "-io.safetensors").dictionary
        let (x, expected) = (try #require(io["input"]), try #require(io["output"]))
        let frozen = try net.frozen()
        _ = try frozen(x)
        for y in [try withNoGrad { try net(x) }, try frozen(x)] {
            #expect(try ONNXImportTests.relativeError(y, expected) <= 1e-4)
        }
        #expect(frozen.notes.first?.contains("convolutions fused") == true, "\(frozen.notes)")
    }
}
