/// One forward pass of a frozen model: follows the model's calls in the order the plan traced
/// them (as the task's ``OpObserver``), runs each fused convolution in place of the convolution
/// call that starts its chain, and hands the folded calls (batch norm, `+`, ReLU) the chain's
/// result (as the task's ``KernelInterceptor``). A call that differs from the trace (another
/// operation, another input) makes the pass fail with an error instead of a wrong value.
final class FrozenRun: OpObserver, KernelInterceptor, @unchecked Sendable {
    private let plan: InferencePlan
    private let steps: [Int: any InferenceConvolution]
    private let input: Tensor
    /// The index of the next call.
    private var index = 0
    /// Outputs of earlier calls that later steps add (residuals), and each chain's result, each
    /// held only until its last reader has run, so that their memory can be reused.
    private var kept: [Int: Tensor] = [:]
    private var results: [Int: (output: Tensor, residual: Tensor?)] = [:]
    /// The first way in which this pass left the traced one, if any.
    private(set) var divergence: String?

    init(plan: InferencePlan, steps: [Int: any InferenceConvolution], input: Tensor) {
        (self.plan, self.steps, self.input) = (plan, steps, input)
    }

    /// Whether the pass made exactly the traced calls.
    var followedTrace: Bool { divergence == nil && index == plan.operations.count }

    func observe(_ op: Op, inputs: [Tensor?], output: Tensor) {
        if index >= plan.operations.count || plan.operations[index] != op {
            divergence = divergence ?? "call \(index) is \(op.name), the trace has \(index < plan.operations.count ? plan.operations[index].name : "no more calls")"
        }
        if plan.kept[index] != nil { kept[index] = output }
        index += 1
    }

    func convolution(_ g: Conv2dGeometry, x: Tensor, weight: Tensor) throws -> Tensor? {
        guard let step = steps[index], let chain = plan.chains[index] else { return nil }
        guard chain.geometry == g, chain.weight === weight else {
            throw diverged("convolution \(index) is another layer (geometry or weights) than when traced")
        }
        var residual: Tensor?
        switch chain.residual {
        case .input?: residual = input
        case .call(let source)?:
            guard let value = kept[source] else { throw diverged("the residual of convolution \(index) was not computed") }
            residual = value
            if plan.kept[source] == index { kept[source] = nil }
        case nil: break
        }
        let y = try step.run(x: x, residual: residual, reuseResidual: chain.residualInPlace)
        if !chain.absorbed.isEmpty { results[index] = (y, residual) }
        return y
    }

    func absorbed(_ op: Op, inputs: [Tensor], state: Tensor?) throws -> Tensor? {
        guard let host = plan.absorbedBy[index], let chain = plan.chains[host] else { return nil }
        // The same operation as traced: it reads the chain's result, a batch norm has the folded
        // statistics, and a `+` adds the residual the step summed.
        guard let (y, residual) = results[host], inputs.contains(where: { $0 === y }),
              op != .add || inputs.contains(where: { $0 === residual }),
              state == nil || state === chain.batchNorm?.mean
        else { throw diverged("\(op.name) (call \(index)) is not the operation that was folded into convolution \(host)") }
        if chain.absorbed.last == index { results[host] = nil }
        return y
    }

    private func diverged(_ what: String) -> ConvNetError {
        divergence = divergence ?? what
        return ConvNetError(op: "frozen model", "\(what): the forward pass differs from the traced one")
    }
}
