/// During a frozen forward pass, serves some operators' results from the plan's fused steps
/// instead of their kernels (``FrozenRun``): a convolution computes its folded batch norm, residual
/// sum and ReLU at once, and those later calls hand back the result they were folded into.
/// Each method returns `nil` to let the operator's kernel run as usual.
protocol KernelInterceptor: AnyObject, Sendable {
    /// The result of the convolution of `x` with `weight` about to run, when a fused step computes it.
    func convolution(_ g: Conv2dGeometry, x: Tensor, weight: Tensor) throws -> Tensor?
    /// The result of operation `op` (batch norm, ReLU, `+`) on `inputs`, when a fused step already
    /// computed it; `state` is the operation's own tensor that the fold used (batch norm's running
    /// mean), to check that it is the same operation.
    func absorbed(_ op: Op, inputs: [Tensor], state: Tensor?) throws -> Tensor?
}

/// The interceptor of the current task, if a frozen forward pass runs.
enum KernelInterception {
    @TaskLocal static var current: (any KernelInterceptor)?
}
