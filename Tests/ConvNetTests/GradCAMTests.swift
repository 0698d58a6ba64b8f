import ConvNet
import Foundation
import Testing

/// Grad-CAM against PyTorch's computation of the same definition (Fixtures/gradcam.safetensors,
/// written by Tools/export_gradcam_fixture.py): models from seed 0, the input from seed 1.
@Suite("Grad-CAM", .serialized)
struct GradCAMTests {
    @Test("maps and heatmaps equal PyTorch's to 1e-4, for the predicted class and another", arguments: ["lenet5", "resnet20", "resnet18"])
    func againstPyTorch(_ name: String) throws {
        let contents = try SafeTensors.read(path: Fixtures.directory.appendingPathComponent("gradcam.safetensors").path)
        let stored = contents.dictionary
        let fields = try #require(contents.metadata[name]).split(separator: ";").map(String.init)
        try #require(fields.count == 3)
        let shape = fields[1].split(separator: ",").compactMap { Int($0) }
        let classes = fields[2].split(separator: ",").compactMap { Int($0) }
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make(name, classes: 10) }
        model.eval()
        var generator = RandomGenerator(seed: 1)
        let input = Tensor.randn(shape, generator: &generator)
        #expect(try GradCAM.defaultLayer(of: model, inputShape: Array(shape.dropFirst())) == fields[0], "the default layer")
        let predicted = try withNoGrad { try model(input) }.argmax(dim: 1)[0]
        #expect(predicted == classes[0], "the predicted class is PyTorch's")
        for (i, c) in classes.enumerated() {
            let cam = try GradCAM(model: model, image: input, classIndex: i == 0 ? nil : c)
            #expect(cam.classIndex == c && cam.layer == fields[0])
            for (what, got) in [("map", cam.map), ("heatmap", cam.heatmap)] {
                let want = try #require(stored["\(name)/\(what)/\(c)"])
                try #require(got.shape == want.shape, "\(name) \(what) \(c): \(got.shape) vs \(want.shape)")
                let scale = max(want.scalars.map(abs).max() ?? 0, 1e-6)
                let error = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max()! / scale
                #expect(error <= 1e-4, "\(name) \(what) of class \(c): largest difference \(error) of the scale")
            }
        }
    }

    @Test("the heatmap lies in [0, 1] and peaks at 1; a layer, class or image that does not fit is an error")
    func rangeAndErrors() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("lenet5") }
        model.eval()
        var generator = RandomGenerator(seed: 2)
        let image = Tensor.randn([1, 28, 28], generator: &generator)
        let cam = try GradCAM(model: model, image: image, layer: "conv1")
        let values = cam.heatmap.scalars
        #expect(cam.heatmap.shape == [28, 28] && cam.map.shape == [28, 28])
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 } && values.max() == 1)
        #expect(throws: ConvNetError.self) { try GradCAM(model: model, image: image, layer: "conv9") }
        #expect(throws: ConvNetError.self) { try GradCAM(model: model, image: image, layer: "fc1") }
        #expect(throws: ConvNetError.self) { try GradCAM(model: model, image: image, classIndex: 10) }
        #expect(throws: ConvNetError.self) { try GradCAM(model: model, image: Tensor.zeros([2, 1, 28, 28])) }
        // The parameters' gradients are untouched.
        #expect(model.parameters.allSatisfy { $0.grad == nil })
    }
}
