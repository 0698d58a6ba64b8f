/// A trained module compiled for inference (``Forwarding/frozen()``): batch norm folded into the
/// convolutions before it, residual sums and ReLUs fused into them, weights reordered once into
/// oneDNN's layouts, one plan per input shape made on its first batch. Its outputs equal the
/// module's in evaluation mode up to rounding; it computes no gradients.
///
/// Per input shape, the module's forward pass is traced into a ``Graph`` on the first batch and
/// that graph runs from then on: `forward` itself does not run again for that shape, so anything
/// it does besides computing (keeping a tensor, counting calls) happens while tracing only. A
/// forward pass whose operations depend on the data is detected and runs eagerly (``notes``).
/// The weights are read when a shape is first planned: freeze again after changing them.
public final class FrozenModel: @unchecked Sendable {
    /// The module it was made from.
    public let module: Module
    private let compiled: FrozenForward

    init(_ module: Module, layout: FrozenLayout, precision: InferencePrecision) {
        self.module = module
        compiled = FrozenForward(layout: layout, precision: precision) { try module($0) }
    }

    /// The module's output for `x` (evaluation mode, no gradients).
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try compiled(x) }

    /// What was planned per input shape: the fusions made, or why a shape runs eagerly, and the
    /// activation memory (`--verbose`).
    public var notes: [String] { compiled.notes }

    /// The activation memory planned for inputs of `shape` (from the second batch of that shape
    /// on; nil before, or when the shape runs eagerly): see ``ActivationMemory``.
    public func activationMemory(for shape: [Int]) -> ActivationMemory? { compiled.activationMemory(for: shape) }
}

extension Forwarding where Self: ModuleBase {
    /// This module compiled for inference (see ``FrozenModel``).
    /// - Parameter layout: the fused convolutions' activation layout; by default both are timed on
    ///   the first batch of each input shape and the faster kept (``FrozenLayout``).
    /// - Parameter precision: what the fused convolutions multiply in: 32-bit floats (the default),
    ///   or bfloat16 for about twice the throughput on CPUs with AVX-512 BF16, at ~1 % of the
    ///   logits' scale (``InferencePrecision``); where the CPU has no fast bfloat16 convolution the
    ///   model runs eagerly, in float32, and ``FrozenModel/notes`` says why.
    /// - Throws: ``ConvNetError`` if the module or one of its sub-modules is in training mode
    ///   (batch statistics and dropout cannot be frozen; call `eval()` first).
    public func frozen(layout: FrozenLayout = .fastest, precision: InferencePrecision = .float32) throws -> FrozenModel {
        if let training = namedModules().first(where: { $0.module.isTraining }) {
            let name = training.name.isEmpty ? String(describing: type(of: self)) : "\(training.name) (\(type(of: training.module)))"
            throw ConvNetError(op: "frozen", "\(name) is in training mode; call eval() before freezing a model")
        }
        return FrozenModel(self, layout: layout, precision: precision)
    }
}
