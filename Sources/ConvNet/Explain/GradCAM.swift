/// Gradient-weighted class activation maps (Selvaraju et al. 2017): where in an image a
/// convolutional network looked to score a class.
///
/// For the feature maps A (K × h × w) of a convolutional layer and the score y_c of class c
/// (its logit, before softmax):
///
///     α_k = (1 / hw) Σ_ij ∂y_c/∂A_k,ij,        map = ReLU(Σ_k α_k A_k),
///
/// computed with this library's autodiff (the gradient with respect to the layer's output, an
/// intermediate tensor of the forward pass). ``heatmap`` is the map resampled to the input's size
/// (bilinear, as PyTorch's `interpolate(mode="bilinear", align_corners=False)`) and divided by its
/// maximum, so that it lies in [0, 1] (all zeros when the map is).
public struct GradCAM: Sendable {
    /// The layer whose output was explained (its name in the model, e.g. `layer4`, `conv2`).
    public var layer: String
    /// The class explained.
    public var classIndex: Int
    /// The class's logit y_c.
    public var score: Float
    /// ReLU(Σ_k α_k A_k) at the layer's resolution, `[h, w]`.
    public var map: Tensor
    /// The map resampled to the input's height × width and scaled to [0, 1], `[H, W]`.
    public var heatmap: Tensor

    /// The Grad-CAM of one image.
    /// - Parameters:
    ///   - model: a classifier; put it in evaluation mode first (batch norm, dropout).
    ///   - image: `[C, H, W]` or `[1, C, H, W]`, normalised as the model expects.
    ///   - classIndex: the class to explain (default: the predicted one).
    ///   - layer: the module to explain by its name (default: ``defaultLayer(of:inputShape:)``).
    /// - Throws: ``ConvNetError`` for an unknown layer, a layer whose output is not `[1, K, h, w]`,
    ///   a class out of range, or an image the model cannot take.
    public init(model: Module, image: Tensor, classIndex: Int? = nil, layer: String? = nil) throws {
        guard (image.rank == 3 || (image.rank == 4 && image.shape[0] == 1)) else {
            throw ConvNetError(op: "grad-cam", "the image must be [C, H, W] or [1, C, H, W], not \(image.shape)")
        }
        // A copy that requires a gradient, so that the graph is recorded even with frozen weights.
        let x = try Tensor(shape: image.rank == 3 ? [1] + image.shape : image.shape, scalars: image.scalars, requiresGrad: true)
        let name = try layer ?? Self.defaultLayer(of: model, inputShape: Array(x.shape.dropFirst()))
        guard let target = model.namedModules().first(where: { $0.name == name })?.module else {
            throw ConvNetError(op: "grad-cam", "\(String(describing: type(of: model))) has no layer named \"\(name)\"")
        }
        let tracer = ModuleTracer(capturing: [target])
        let logits = try withGrad { try tracer.tracing { try model(x) } }
        guard let features = tracer.output(of: target), features.rank == 4, features.shape[0] == 1 else {
            throw ConvNetError(op: "grad-cam", "layer \(name) gave no [1, K, h, w] output to explain")
        }
        guard logits.rank == 2, logits.shape[0] == 1 else {
            throw ConvNetError(op: "grad-cam", "the model's output \(logits.shape) is not one row of class scores")
        }
        let classes = logits.shape[1]
        let c = try classIndex ?? logits.argmax(dim: 1)[0]
        guard (0..<classes).contains(c) else {
            throw ConvNetError(op: "grad-cam", "class \(c) is not one of the model's \(classes) classes")
        }
        let scores = logits.scalars
        // y_c = Σ logits · one-hot(c): its gradient with respect to the features is ∂y_c/∂A.
        var oneHot = [Float](repeating: 0, count: classes)
        oneHot[c] = 1
        let upstream = try Tensor(shape: [1, classes], scalars: oneHot)
        let dA = try gradients(of: logits, withRespectTo: [features], upstream: upstream)[0]
        let (k, h, w) = (features.shape[1], features.shape[2], features.shape[3])
        let a = features.scalars, g = dA.scalars
        var cam = [Float](repeating: 0, count: h * w)
        for channel in 0..<k {
            let plane = channel * h * w
            var alpha: Float = 0
            for i in 0..<(h * w) { alpha += g[plane + i] }
            alpha /= Float(h * w)
            for i in 0..<(h * w) { cam[i] += alpha * a[plane + i] }
        }
        cam = cam.map { $0 < 0 ? 0 : $0 }
        let resized = AntialiasedBilinear.resize(try FloatImage(channels: 1, height: h, width: w, values: cam),
                                                 height: x.shape[2], width: x.shape[3]).values
        let peak = resized.max() ?? 0
        (self.layer, self.classIndex, self.score) = (name, c, scores[c])
        map = try Tensor(shape: [h, w], scalars: cam)
        heatmap = try Tensor(shape: [x.shape[2], x.shape[3]], scalars: peak > 0 ? resized.map { $0 / peak } : resized)
    }

    /// The last convolution stage: of the module calls one image makes, the last whose output is
    /// `[1, K, h, w]` with more than one position and which is, or contains, a ``Conv2d``
    /// (ResNet: `layer4`; CIFAR ResNets: `layer3`; LeNet-5: `conv2`; VGG: `features`).
    public static func defaultLayer(of model: Module, inputShape: [Int]) throws -> String {
        let names = Dictionary(model.namedModules().map { (ObjectIdentifier($0.module), $0.name) }, uniquingKeysWith: { a, _ in a })
        let tracer = ModuleTracer()
        _ = try withNoGrad { try tracer.tracing { try model(Tensor.zeros([1] + inputShape)) } }
        func hasConvolution(_ m: Module) -> Bool { m is Conv2d || m.children.contains { hasConvolution($0.module) } }
        guard let call = tracer.calls.last(where: { call in
            call.outputShape.count == 4 && call.outputShape[2] * call.outputShape[3] > 1 && hasConvolution(call.module)
                && names[ObjectIdentifier(call.module)].map { !$0.isEmpty } == true
        }), let name = names[ObjectIdentifier(call.module)] else {
            throw ConvNetError(op: "grad-cam", "\(String(describing: type(of: model))) has no convolution stage to explain")
        }
        return name
    }
}
