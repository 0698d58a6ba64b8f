import Foundation

/// One class of a top-k prediction.
public struct Prediction: Sendable, Equatable {
    public var classIndex: Int
    public var className: String
    public var probability: Double
}

/// Loading weights and classifying images with a zoo model.
public enum Classifier {
    /// Tensors of a safetensors weights file or training checkpoint (its `optimizer.*` slots dropped).
    public static func weights(path: String) throws -> [String: Tensor] {
        weights(try SafeTensors.read(path: path))
    }

    /// The tensors of a weights file or checkpoint already read (its `optimizer.*` slots dropped).
    public static func weights(_ contents: SafeTensors.Contents) -> [String: Tensor] {
        contents.dictionary.filter { !$0.key.hasPrefix("optimizer.") }
    }

    /// The number of classes the weights were trained for: rows of the model's last 2-D `weight`
    /// as stored in `weights`.
    public static func classCount(model name: String, weights: [String: Tensor]) throws -> Int {
        try storedClasses(of: try ModelZoo.make(name), name: name, weights: weights)
    }

    /// Rows that `weights` hold for `model`'s classifier (its last 2-D `weight`).
    private static func storedClasses(of model: Module, name: String, weights: [String: Tensor]) throws -> Int {
        guard let last = model.namedParameters().last(where: { $0.name.hasSuffix("weight") && $0.tensor.rank == 2 }),
              let stored = weights[last.name], stored.rank == 2 else {
            throw ConvNetError(op: "weights", "the weights have no \(name) classifier layer; are they for another model?")
        }
        return stored.shape[0]
    }

    /// The model `name` with `weights` loaded (strictly: every name must match), in evaluation mode.
    /// The model is built once, and again only when the weights have another number of classes.
    /// Weights holding NaN or ±infinity are refused unless `allowNonFinite`.
    public static func load(model name: String, weights: [String: Tensor], allowNonFinite: Bool = false) throws -> Module {
        var model = try ModelZoo.make(name)
        let classes = try storedClasses(of: model, name: name, weights: weights)
        if classes != (try ModelZoo.entry(name).classes) { model = try ModelZoo.make(name, classes: classes) }
        do {
            try model.loadStateDict(weights, allowNonFinite: allowNonFinite)
        } catch let error as ConvNetError {
            throw ConvNetError(op: "weights", "they do not fit \(name): \(error.message)")
        }
        model.eval()
        return model
    }

    /// The `k` most probable classes of each row of `logits` `[N, C]`, by softmax probability.
    /// - Throws: ``ConvNetError`` when a logit is NaN or ±infinity (there are no probabilities to rank).
    public static func topK(_ logits: Tensor, k: Int, classNames: [String]) throws -> [[Prediction]] {
        guard logits.allFinite else {
            let c = logits.withUnsafeBufferPointer { NonFiniteValues.count($0) }
            throw ConvNetError(op: "predict", "the model's outputs are not finite (\(c.nan) NaN and \(c.infinite) infinite of \(c.total) logits): "
                               + "its weights or the input hold NaN or infinity, or it diverged")
        }
        let probabilities = try withNoGrad { try logits.softmax(dim: 1) }.scalars
        let c = logits.shape[1]
        return (0..<logits.shape[0]).map { row in
            let p = probabilities[(row * c)..<((row + 1) * c)]
            return p.indices.sorted { p[$0] > p[$1] }.prefix(min(k, c)).map { i in
                let index = i - row * c
                return Prediction(classIndex: index, className: index < classNames.count ? classNames[index] : "class \(index)",
                                  probability: Double(p[i]))
            }
        }
    }
}
