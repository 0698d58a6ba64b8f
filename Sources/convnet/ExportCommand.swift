import ArgumentParser
import ConvNet
import ConvNetONNX
import Foundation

/// `convnet export`: a zoo model, with its weights, as an ONNX file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model with its weights as an ONNX file (opset 17) for onnxruntime, TensorRT and other runtimes.",
        discussion: """
            The model is traced in evaluation mode; the file's input is "input" [batch, C, H, W] (float32, \
            normalised as for training), its output "logits" [batch, classes]. Without --weights the \
            model's fresh random initialisation is exported. The file's metadata_props record the input shape \
            and, from a checkpoint, its normalisation and class names (convnet.mean, convnet.std, \
            convnet.class_names, convnet.input_shape), which predict --onnx and eval --onnx use. \
            --out and --reference-out are written together or not at all, never over --weights or each other.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String
    @Option(help: "Weights: a safetensors file (PyTorch state_dict names) or a convnet checkpoint.") var weights: String?
    @Option(help: "The ONNX file to write.") var out: String
    @Option(help: "Batch dimension: dynamic (any batch size, the default) or a fixed size N.") var batch = "dynamic"
    @Option(help: "Input shape C×H×W (default: a checkpoint's, else the model's own).") var input: String?
    @Option(help: "Also write a safetensors file with a random input batch (\"input\") and this library's logits for it (\"logits\"), to compare runtimes with (Tools/check_onnx_export.py).")
    var referenceOut: String?
    @Flag(help: "Load weights holding NaN or infinity (refused by default).") var allowNonfinite = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        let batchSize = try Self.parseBatch(batch)
        // Both files are checked before either is written, and put in place together at the end.
        let plan = OutputPlan(op: "export")
        if let weights { plan.reads(weights, as: "--weights") }
        let onnxFile = plan.writes(file: out, as: "--out")
        let referenceFile = referenceOut.map { plan.writes(file: $0, as: "--reference-out") }
        try plan.check()
        let entry = try ModelZoo.entry(model)
        var network = try ModelZoo.make(model)
        var inputShape = entry.inputShape
        var metadata = ONNXClassifierMetadata()
        if let weights {
            let contents = try SafeTensors.read(path: weights)
            network = try Classifier.load(model: model, weights: Classifier.weights(contents), allowNonFinite: allowNonfinite)
            if Checkpoint.isCheckpoint(contents) {
                let trained = try Checkpoint.decode(contents, source: weights)
                inputShape = trained.inputShape ?? inputShape
                metadata = ONNXClassifierMetadata(normalization: trained.normalization, classNames: trained.classNames)
            }
        }
        if let input { inputShape = try SummaryCommand.parseShape(input) }
        network.eval()
        try plan.stage(try network.onnxData(inputShape: inputShape, batch: batchSize, metadata: metadata), for: onnxFile)
        if let referenceFile {
            let n: Int
            if case .fixed(let size) = batchSize { n = size } else { n = 2 }
            var generator = RandomGenerator(seed: 1)
            let x = Tensor.randn([n] + inputShape, generator: &generator)
            let logits = try withNoGrad { try network(x) }
            try plan.stage(try SafeTensors.encode(SafeTensors.Contents(tensors: [("input", x), ("logits", logits)])), for: referenceFile)
        }
        try plan.commit()
        print("wrote \(out) (\(model), input [\(batch), \(inputShape.map(String.init).joined(separator: ", "))])")
    }

    static func parseBatch(_ text: String) throws -> ONNXBatchSize {
        if text == "dynamic" { return .dynamic }
        guard let n = Int(text), n > 0 else {
            throw ConvNetError(op: "export", "--batch \(text): expected dynamic or a positive batch size")
        }
        return .fixed(n)
    }
}
