/// Batch normalisation over the channel dimension of `[N, C]` (1-D) or `[N, C, H, W]` (2-D) input.
///
/// Training: normalise with the batch mean and biased variance, and update the running
/// statistics in place: running_mean ← (1 − m)·running_mean + m·μ,
/// running_var ← (1 − m)·running_var + m·σ²·M/(M − 1) (unbiased, as PyTorch), M = N·H·W.
/// Evaluation: normalise with the running statistics.
///
/// - Parameters:
///   - weight, bias: γ and β, `[C]`; `nil` means 1 and 0 (no affine transform).
///   - runningMean, runningVar: `[C]`, updated in training mode when given; required in evaluation.
public func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                      training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) throws -> Tensor {
    let op = x.rank == 4 ? "batchnorm2d" : "batchnorm1d"
    try require(x.rank == 2 || x.rank == 4, "batchnorm", "input must be [N, C] or [N, C, H, W], got \(describe(x.shape))")
    let c = x.shape[1]
    for (name, t) in [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar)] {
        if let t { try require(t.shape == [c], op, "\(name) \(describe(t.shape)) must be [\(c)] for input \(describe(x.shape))") }
    }
    let attributes = BatchNormAttributes(training: training, momentum: momentum, eps: eps, spatial: x.rank == 4)
    if training {
        try require(x.count / max(c, 1) > 1, op, "training needs more than one value per channel, got input \(describe(x.shape))")
    } else if runningMean == nil || runningVar == nil {
        throw ConvNetError(op: op, "evaluation mode needs running_mean and running_var")
    }
    return try apply(.batchNorm(attributes), [x, weight, bias, runningMean, runningVar])
}

extension Kernels {
    /// Batch norm on ``Backend/current``; in training the running statistics (inputs 3 and 4) are
    /// updated in place. Backward: gradients of x, γ and β (none for the statistics).
    static func batchNorm(_ a: BatchNormAttributes, _ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?,
                          runningVar: Tensor?, wantsGradient: Bool) throws -> Computed {
        let c = x.shape[1]
        let gamma = weight ?? Tensor.ones([c]), beta = bias ?? Tensor.zeros([c])
        let kernels = Backend.current.batchNorm
        let result: KernelResult<BatchNormGradients>
        if a.training {
            let perChannel = x.count / max(c, 1)
            let statistics: BatchStatistics
            (result, statistics) = try kernels.training(x: x, channels: c, gamma: gamma, beta: beta, eps: a.eps,
                                                        needsBackward: wantsGradient)
            let unbias = Float(perChannel) / Float(perChannel - 1)
            if let runningMean, let runningVar {
                let rm = runningMean.plainStorage().pointer, rv = runningVar.plainStorage().pointer
                for ch in 0..<c {
                    rm[ch] = (1 - a.momentum) * rm[ch] + a.momentum * statistics.mean[ch]
                    rv[ch] = (1 - a.momentum) * rv[ch] + a.momentum * statistics.variance[ch] * unbias
                }
            }
        } else {
            result = try kernels.inference(x: x, channels: c, gamma: gamma, beta: beta, mean: runningMean!,
                                           variance: runningVar!, eps: a.eps, needsBackward: wantsGradient)
        }
        return Computed(result.output) { dy in
            let gradients = try result.backward!(dy)
            return [gradients.input, gradients.weight, gradients.bias, nil, nil]
        }
    }
}
