import ArgumentParser
import ConvNet
import ConvNetONNX
import Foundation

/// `convnet predict`: top-5 classes of PNG or JPEG images under a model with saved weights.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Print the top-5 classes of PNG or JPEG images with their probabilities.",
        discussion: """
            Images are decoded as PIL's Image.open(f).convert("RGB") (or "L") decodes them, then \
            resized and normalised as torchvision's standard evaluation transforms do: the shorter side to 256 and a 224×224 center crop for ImageNet-sized models, \
            straight to the input size for small gray models.
            The normalisation is --mean/--std when given; else a checkpoint's own (convnet train records it); else --dataset's; \
            else what an ONNX file records (convnet export writes a checkpoint's); else ImageNet's (MNIST's for one channel). \
            Class names come from --labels or --dataset, else from the checkpoint or the ONNX file, else classes are numbered.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String?
    @Option(help: "Weights: a safetensors file (PyTorch state_dict names) or a convnet checkpoint.") var weights: String?
    @Option(help: "An ONNX model to run instead of --model/--weights (its input's channels and size choose the image preparation).") var onnx: String?
    @Option(help: "File with one class name per line.") var labels: String?
    @Option(help: "A dataset whose class names and normalisation to use: mnist, fashion-mnist, cifar10 (for a model that does not record its own).") var dataset: String?
    @OptionGroup var normalizationOptions: NormalizationOptions
    @Option(help: "How many classes to print per image.") var top = 5
    @Flag(help: "Load weights holding NaN or infinity (refused by default); outputs that are not finite are still an error.") var allowNonfinite = false
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Also print, on standard error, what freezing the model planned (several images only).") var verbose = false
    @Flag(help: "Print one JSON array, per image {\"image\", \"top\": [{\"class\", \"label\", \"probability\"}, …]}.") var json = false
    @Argument(help: "PNG or JPEG images (recognised by their content, not their names).") var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one PNG or JPEG image") }
        guard top >= 1 else { throw ValidationError("--top \(top) must be at least 1") }
        guard (onnx == nil) == (model != nil && weights != nil), onnx == nil || (model == nil && weights == nil) else {
            throw ValidationError("give --model and --weights, or --onnx alone")
        }
    }

    func run() throws {
        try compute.apply()
        let network: Module, trained: Checkpoint?, inputShape: [Int]
        var recorded = ONNXClassifierMetadata()  // what an ONNX file says of itself
        if let onnx {
            let graph = try ONNXModel(contentsOf: onnx)
            (network, trained, inputShape) = (try graph.module(), nil, try graph.imageInputShape())
            recorded = graph.metadata
        } else if let model, let weights {
            let contents = try SafeTensors.read(path: weights)  // read once: weights, and a checkpoint's metadata
            network = try Classifier.load(model: model, weights: Classifier.weights(contents), allowNonFinite: allowNonfinite)
            // A checkpoint written by `convnet train` knows its classes, normalisation and input size.
            trained = Checkpoint.isCheckpoint(contents) ? try Checkpoint.decode(contents, source: weights) : nil
            inputShape = try trained?.inputShape ?? ModelZoo.entry(model).inputShape
            if inputShape != (try ModelZoo.entry(model).inputShape) {
                try Classifier.requireInput(network, name: model, shape: inputShape, source: weights, op: "predict")
            }
        } else {
            throw ValidationError("give --model and --weights, or --onnx")
        }
        let names = try labels == nil && dataset == nil ? trained?.classNames ?? recorded.classNames ?? [] : classNames()
        let channels = inputShape[0]
        let normalization = try normalizationOptions.normalization(channels: channels, op: "predict")
            ?? trained?.normalization
            ?? dataset.flatMap(DatasetCatalog.normalization)
            ?? recorded.normalization
            ?? (channels == 1 ? Normalization.mnist : ImageTransforms.imageNet)
        // With several images the model is frozen (batch norm folded, convolutions fused): its plan
        // is made on the first image, which costs about two extra passes, and reused for the rest
        // (in one layout: timing both would cost more passes than a few images save).
        let frozen = images.count > 1 ? try network.frozen(layout: .channelsLast) : nil
        var results: [[String: Any]] = []
        for argument in images {
            let file = RawArguments.path(argument), path = file.description  // a name that is not UTF-8 as \xNN
            let image = try Image.read(path: file, channels: channels)
            let x = try ImageTransforms.standard(image, inputShape: inputShape, normalization: normalization)
                .reshaped([1] + inputShape)
            let logits = try frozen?(x) ?? withNoGrad { try network(x) }
            if !names.isEmpty && names.count != logits.shape[1] {
                throw ConvNetError(op: "predict", "\(labels ?? dataset.map { "--dataset \($0)" } ?? weights ?? onnx ?? "") names \(names.count) classes but the model has \(logits.shape[1])")
            }
            let predictions = try Classifier.topK(logits, k: top, classNames: names)[0]
            if json {
                results.append(["image": path, "top": predictions.map {
                    ["class": $0.classIndex, "label": $0.className, "probability": $0.probability] as [String: Any]
                }])
                continue
            }
            print("\(path):")
            for p in predictions {
                print(String(format: "  %6.2f%%  %@ (%d)", p.probability * 100, p.className, p.classIndex))
            }
        }
        if verbose { (frozen?.notes ?? []).forEach { printToStandardError("frozen model: \($0)") } }
        if json {  // printed only once every image is classified: a failure leaves no half-written document
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func classNames() throws -> [String] {
        if labels != nil && dataset != nil {
            throw ConvNetError(op: "predict", "give class names once: --labels or --dataset, not both")
        }
        if let labels { return try ClassNameFile.read(path: labels) }
        switch dataset {
        case nil: return []
        case "mnist": return MNIST.digitNames
        case "fashion-mnist": return MNIST.fashionNames
        case "cifar10": return CIFAR.cifar10Names
        case let other?: throw ConvNetError(op: "predict", "unknown dataset \"\(other)\" for class names (mnist, fashion-mnist, cifar10)")
        }
    }
}
