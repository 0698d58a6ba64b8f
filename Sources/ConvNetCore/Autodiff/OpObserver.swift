/// Something that watches every recorded operation of a forward pass, in order: which tensors
/// each read and which it produced. ``Tensor/recorded(_:_:_:)`` reports every call to the observer
/// of the current task, with or without gradients. The inference planner traces a model with one
/// (`OpTrace`) and its frozen runs follow the same calls with another. An observer belongs to the
/// one forward pass it watches (one task, one thread), hence `Sendable` without locks.
protocol OpObserver: AnyObject, Sendable {
    /// An operation named `op` read `inputs` (`nil` where none was given) and produced `output`.
    func observe(_ op: String, inputs: [Tensor?], output: Tensor)
}

/// The observer of the current task, if any.
enum OpObservation {
    @TaskLocal static var current: (any OpObserver)?
}

/// A fact about one operation beyond its inputs and output, told by the operator itself while an
/// ``OpTrace`` records: what the inference planner needs to fuse convolutions, and what an exporter
/// needs to write the operation elsewhere (ONNX). Operations whose output follows from their name,
/// inputs and output shape alone (relu, sigmoid, tanh, add, mul, …) tell nothing.
package enum OpDetail {
    /// A 2-D convolution of `g` with these weights (`conv2d`).
    case convolution(Conv2dGeometry, weight: Tensor, bias: Tensor?)
    /// Batch normalisation in evaluation mode (running statistics); `momentum` is PyTorch's (the
    /// weight of a new batch's statistics in training), which evaluation does not use.
    case batchNorm(weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float, momentum: Float)
    /// Max or average pooling of `g` (`maxpool2d`, `avgpool2d`).
    case pooling(Pool2dGeometry, PoolKind)
    /// Adaptive average pooling to `outputSize` (`adaptive_avgpool2d`).
    case adaptiveAvgPool(outputSize: Size2)
    /// `y = x · weightᵀ + bias` (`linear`).
    case linear(weight: Tensor, bias: Tensor?)
    /// Concatenation along `dim`, normalised to be non-negative (`concat`).
    case concat(dim: Int)
    /// Dimensions `startDim…` collapsed into one (a `reshape` made by `flattened(startDim:)`).
    case flatten(startDim: Int)
    /// The scalar operand of `add_scalar` (x + s, also x − s as x + (−s)) or `mul_scalar` (x · s, also x / s as x · (1/s)).
    case scalar(Float)
    /// x for x > 0, else `negativeSlope` · x (`leaky_relu`).
    case leakyRelu(negativeSlope: Float)
    /// Softmax, or log-softmax when `log`, along `dim` (non-negative) (`softmax`, `log_softmax`).
    case softmax(dim: Int, log: Bool)
    /// Local response normalisation, PyTorch's parameters (`local_response_norm`).
    case localResponseNorm(size: Int, alpha: Float, beta: Float, k: Float)
    /// `relu(maxPool2d(conv2d(x)))` in one operation (`conv_maxpool_relu`): the convolution `g`
    /// and the pooling `pool`.
    case convMaxPoolReLU(Conv2dGeometry, weight: Tensor, bias: Tensor?, pool: Pool2dGeometry)

    /// Which pooling ``pooling(_:_:)`` computes.
    package enum PoolKind: Equatable, Sendable {
        case max
        /// The divisor counts padded zeros when `countIncludePad`.
        case average(countIncludePad: Bool)
    }
}

extension Tensor {
    /// Tells the current trace, if one records, `detail` about the call that produced `self`, and
    /// returns `self`: `y.recorded(…).described(.concat(dim: d))`.
    func described(_ detail: @autoclosure () -> OpDetail) -> Tensor {
        OpTrace.describe(self, detail())
        return self
    }
}

/// The recorded calls of one forward pass: each call's operation, the identities of the tensors it
/// read and produced, and its ``OpDetail`` where the operator gave one. Keeps every tensor it saw
/// alive until it is dropped, so that identities stay unique.
final class OpTrace: OpObserver, @unchecked Sendable {
    struct Call {
        let op: String
        let inputs: [ObjectIdentifier?]
        let output: ObjectIdentifier
        var detail: OpDetail?
    }

    private(set) var calls: [Call] = []
    private var seen: [ObjectIdentifier: Tensor] = [:]
    private var callByOutput: [ObjectIdentifier: Int] = [:]

    func observe(_ op: String, inputs: [Tensor?], output: Tensor) {
        seen[ObjectIdentifier(output)] = output
        for case let input? in inputs { seen[ObjectIdentifier(input)] = input }
        callByOutput[ObjectIdentifier(output)] = calls.count
        calls.append(Call(op: op, inputs: inputs.map { $0.map(ObjectIdentifier.init) }, output: ObjectIdentifier(output)))
    }

    /// The tensor a call read or produced, by identity.
    func tensor(_ id: ObjectIdentifier) -> Tensor? { seen[id] }

    /// Attaches `detail` to the call that produced `output` (the operator's last recorded call).
    func describe(_ output: Tensor, _ detail: OpDetail) {
        guard let index = callByOutput[ObjectIdentifier(output)] else { return }
        calls[index].detail = detail
    }

    /// Tells the current trace, if one records, a fact about the call that produced `output`.
    static func describe(_ output: Tensor, _ detail: @autoclosure () -> OpDetail) {
        (OpObservation.current as? OpTrace)?.describe(output, detail())
    }
}
