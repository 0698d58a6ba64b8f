extension Op: CustomStringConvertible {
    /// The name and the attributes that are not evident from the shapes, as a printed graph shows
    /// them: `conv2d(3×3, stride 2, padding 1)`, `concat(dim 1)`, `relu`.
    public var description: String {
        let attributes = self.attributes
        return attributes.isEmpty ? name : "\(name)(\(attributes.joined(separator: ", ")))"
    }

    /// The attributes as ``description`` lists them.
    var attributes: [String] {
        func window(_ kh: Int, _ kw: Int, stride: (Int, Int), padding: (Int, Int)) -> [String] {
            var parts = ["\(kh)×\(kw)"]
            if stride != (1, 1) { parts.append("stride \(Size2(stride.0, stride.1))") }
            if padding != (0, 0) { parts.append("padding \(Size2(padding.0, padding.1))") }
            return parts
        }
        func convolution(_ g: Conv2dGeometry) -> [String] {
            window(g.kernelHeight, g.kernelWidth, stride: (g.strideHeight, g.strideWidth), padding: (g.padHeight, g.padWidth))
                + (g.dilationHeight == 1 && g.dilationWidth == 1 ? [] : ["dilation \(Size2(g.dilationHeight, g.dilationWidth))"])
                + (g.groups == 1 ? [] : ["groups \(g.groups)"])
        }
        func pooling(_ g: Pool2dGeometry) -> [String] {
            window(g.kernelHeight, g.kernelWidth, stride: (g.strideHeight, g.strideWidth), padding: (g.padHeight, g.padWidth))
                + (g.ceilMode ? ["ceil"] : [])
        }
        switch self {
        case .conv2d(let g): return convolution(g)
        case .convMaxPoolReLU(let g, let pool): return convolution(g) + ["then max pool"] + pooling(pool)
        case .maxPool2d(let g): return pooling(g)
        case .avgPool2d(let g, let countIncludePad): return pooling(g) + (countIncludePad ? [] : ["padding not counted"])
        case .adaptiveAvgPool2d(let size): return ["to \(size.height)×\(size.width)"]
        case .batchNorm(let a), .synchronizedBatchNorm(let a, _):
            return (a.training ? ["training", "momentum \(a.momentum)"] : []) + ["eps \(a.eps)"]
        case .localResponseNorm(let size, let alpha, let beta, let k): return ["size \(size)", "alpha \(alpha)", "beta \(beta)", "k \(k)"]
        case .leakyRelu(let slope): return ["slope \(slope)"]
        case .layerNorm(let axis, let eps): return ["axis \(axis)", "eps \(eps)"]
        case .gelu(let approximate): return approximate == .none ? [] : ["approximate \(approximate.rawValue)"]
        case .channelShuffle(let groups): return ["groups \(groups)"]
        case .clamp(let low, let high): return ["\(low)…\(high)"]
        case .addScalar(let s), .mulScalar(let s): return ["\(s)"]
        case .dropout(let p): return ["p \(p)"]
        case .reshape(let shape): return ["\(shape)"]
        case .flatten(let startDim): return ["from dim \(startDim)"]
        case .permute(let permutation): return ["\(permutation)"]
        case .slice(let range): return ["\(range.lowerBound)..<\(range.upperBound)"]
        case .stridedSlice(let start, let step, let count): return ["start \(start)", "step \(step)", "count \(count)"]
        case .pad(let before, let after, let value): return ["before \(before)", "after \(after)"] + (value == 0 ? [] : ["value \(value)"])
        case .concat(let dim), .softmax(let dim), .logSoftmax(let dim): return ["dim \(dim)"]
        case .sumAlong(let dim, let keep), .maxAlong(let dim, let keep): return ["dim \(dim)"] + (keep ? ["keep"] : [])
        case .crossEntropy(let smoothing, let reduction):
            return (smoothing == 0 ? [] : ["label smoothing \(smoothing)"]) + [reduction.rawValue]
        case .focalLoss(let gamma, let reduction): return ["gamma \(gamma)", reduction.rawValue]
        case .nllLoss(let reduction), .mseLoss(let reduction): return [reduction.rawValue]
        case .globalAvgPool2d, .relu, .relu6, .hardswish, .hardsigmoid, .silu, .sigmoid, .tanh, .exp, .log, .erf, .square, .add, .sub, .mul, .div, .linear, .matmul,
             .transpose, .sum, .mean:
            return []
        }
    }
}
