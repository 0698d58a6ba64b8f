/// Updates parameters in place from their accumulated ``Tensor/grad``.
///
/// The usual loop: `optimizer.zeroGrad()`, forward, `loss.backward()`, `optimizer.step()`.
public protocol Optimizer: AnyObject {
    /// The parameters this optimizer updates, in a fixed order.
    var parameters: [Tensor] { get }
    /// The step size; schedules change it between steps.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step() throws
    /// Everything besides the parameters that the next steps depend on (for checkpoints).
    var state: OptimizerState { get }
    /// Restores ``state``.
    /// - Throws: ``ConvNetError`` if it does not fit these parameters.
    func load(state: OptimizerState) throws
}

/// An optimizer's internal state: named per-parameter slots (`momentum_buffer`, `exp_avg`, …,
/// `nil` where a parameter has none yet) and the number of steps taken.
public struct OptimizerState: Sendable, Equatable {
    /// Per slot name, one value array per parameter (`nil`: none yet).
    public var slots: [String: [[Float]?]]
    /// Steps taken.
    public var stepCount: Int

    /// A state with these slots and step count.
    public init(slots: [String: [[Float]?]], stepCount: Int) {
        self.slots = slots
        self.stepCount = stepCount
    }
}

extension Optimizer {
    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }

    /// Checks a hyper-parameter; the error names the optimizer and the rule.
    static func check(_ condition: Bool, _ message: String) throws {
        if !condition { throw ConvNetError(op: String(describing: Self.self), message) }
    }
}

/// Calls `body(index, parameter, gradient, count)` for each parameter that has a gradient.
func forEachParameterWithGradient(_ parameters: [Tensor],
                                  _ body: (Int, UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
    for (i, p) in parameters.enumerated() {
        guard let g = p.grad else { continue }
        p.withUnsafeMutableBufferPointer { pb in
            g.withUnsafeBufferPointer { gb in body(i, pb.baseAddress!, gb.baseAddress!, pb.count) }
        }
    }
}
