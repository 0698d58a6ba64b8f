extension Op {
    /// This operation's kernel on `inputs` (in the order the case documents), with its backward
    /// rule: the table ``apply(_:_:)`` reads. Each arm names the kernel written next to the public
    /// function that builds the case (`Ops/`). `inputs` are trusted: the public function (or the
    /// trace a graph came from) checked them.
    func compute(_ inputs: [Tensor?], wantsGradient: Bool) throws -> Computed {
        let x = inputs[0]!
        /// Input `i`, or nil when absent.
        func input(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }
        switch self {
        case .conv2d(let g): return try Kernels.conv2d(g, x, input(1)!, input(2), wantsGradient: wantsGradient)
        case .convMaxPoolReLU(let g, let pool):
            return try Kernels.convMaxPoolReLU(g, pool: pool, x, input(1)!, input(2), wantsGradient: wantsGradient)
        case .maxPool2d(let g): return try Kernels.maxPool2d(g, x, wantsGradient: wantsGradient)
        case .avgPool2d(let g, let countIncludePad):
            return try Kernels.avgPool2d(g, countIncludePad: countIncludePad, x, wantsGradient: wantsGradient)
        case .globalAvgPool2d: return Kernels.globalAvgPool2d(x)
        case .adaptiveAvgPool2d(let size): return Kernels.adaptiveAvgPool2d(x, outputSize: size)

        case .batchNorm(let a):
            return try Kernels.batchNorm(a, x, weight: input(1), bias: input(2), runningMean: input(3), runningVar: input(4),
                                         wantsGradient: wantsGradient)
        case .synchronizedBatchNorm(let a, let replicas):
            return try Kernels.synchronizedBatchNorm(a, replicas: replicas, x, weight: input(1), bias: input(2),
                                                     runningMean: input(3), runningVar: input(4))
        case .localResponseNorm(let size, let alpha, let beta, let k):
            return Kernels.localResponseNorm(x, size: size, alpha: alpha, beta: beta, k: k)
        case .layerNorm(let axis, let eps): return Kernels.layerNorm(x, axis: axis, eps: eps, weight: input(1), bias: input(2))

        case .relu: return try Kernels.relu(x, wantsGradient: wantsGradient)
        case .leakyRelu(let slope): return Kernels.leakyRelu(x, slope: slope)
        case .sigmoid: return Kernels.sigmoid(x)
        case .tanh: return Kernels.tanh(x)
        case .exp: return Kernels.exp(x)
        case .log: return Kernels.log(x)
        case .erf: return Kernels.erf(x)
        case .square: return Kernels.square(x)
        case .relu6: return Kernels.relu6(x)
        case .hardswish: return Kernels.hardswish(x)
        case .hardsigmoid: return Kernels.hardsigmoid(x)
        case .silu: return Kernels.silu(x)
        case .gelu(let approximate): return Kernels.gelu(x, approximate)
        case .clamp(let low, let high): return Kernels.clamp(x, min: low, max: high)
        case .add: return try Kernels.add(x, input(1)!)
        case .sub: return try Kernels.sub(x, input(1)!)
        case .mul: return try Kernels.mul(x, input(1)!)
        case .div: return try Kernels.div(x, input(1)!)
        case .addScalar(let s): return Kernels.addScalar(x, s)
        case .mulScalar(let s): return Kernels.mulScalar(x, s)
        case .dropout: return try Kernels.dropout(x, mask: input(1)!)

        case .linear: return try Kernels.linear(x, weight: input(1)!, bias: input(2))
        case .matmul: return try Kernels.matmul(x, input(1)!)

        case .reshape(let shape): return Kernels.view(x, as: shape)
        case .flatten(let startDim): return Kernels.view(x, as: Kernels.flattenedShape(x.shape, startDim: startDim))
        case .permute(let permutation): return Kernels.permute(x, permutation)
        case .transpose: return Kernels.transpose(x)
        case .slice(let range): return Kernels.slice(x, range)
        case .stridedSlice(let start, let step, let count): return Kernels.stridedSlice(x, start: start, step: step, count: count)
        case .pad(let before, let after, let value): return Kernels.pad(x, before: before, after: after, value: value)
        case .channelShuffle(let groups): return Kernels.channelShuffle(x, groups: groups)
        case .concat(let dim): return try Kernels.concat(inputs.map { $0! }, dim: dim)

        case .sum: return Kernels.sum(x)
        case .mean: return Kernels.mean(x)
        case .sumAlong(let dim, let keepDims): return Kernels.sumAlong(x, dim: dim, keepDims: keepDims)
        case .maxAlong(let dim, let keepDims): return Kernels.maxAlong(x, dim: dim, keepDims: keepDims)
        case .softmax(let dim): return Kernels.softmax(x, dim: dim)
        case .logSoftmax(let dim): return Kernels.logSoftmax(x, dim: dim)

        case .crossEntropy(let smoothing, let reduction):
            return Kernels.crossEntropy(x, labels: input(1)!, labelSmoothing: smoothing, reduction: reduction)
        case .focalLoss(let gamma, let reduction): return Kernels.focalLoss(x, labels: input(1)!, gamma: gamma, reduction: reduction)
        case .nllLoss(let reduction): return Kernels.nllLoss(x, labels: input(1)!, reduction: reduction)
        case .mseLoss(let reduction): return Kernels.mseLoss(x, input(1)!, reduction: reduction)
        }
    }
}
