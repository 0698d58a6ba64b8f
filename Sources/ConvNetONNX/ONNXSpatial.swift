import ConvNet
/// ONNX's 2-D convolution and pooling beyond what the core operators take directly — `auto_pad`,
/// pads that differ at the two ends or exceed half the kernel, ceil mode — computed with the core
/// operators (so a frozen model still sees every call): the input padded explicitly. Groups and
/// dilations go to the core's `conv2d` as they are.
enum ONNXSpatial {
    typealias Fail = ONNXShapeRules

    /// A window resolved against an input: pads `[top, left, bottom, right]` and the output size.
    struct Resolved {
        var pads: [Int]
        var output: Size2
        /// Padding past `pads` at the bottom and right that ceil mode's last window reaches.
        var extra: Size2
    }

    /// Pads and output size of `window` over an input of spatial size `input` with kernel `kernel`,
    /// as ONNX defines them (`auto_pad`, then explicit pads and `ceil_mode`).
    ///
    /// No step overflows: sizes are at most 2³¹ − 1 (``ONNXShapeRules/requireCountable(_:)``),
    /// kernels, strides below 2⁴⁰, dilations at most 2¹⁶ and pads below 2²⁰ (``ONNXOperator/parse(_:)``).
    static func resolve(_ window: ONNXOperator.Window, input: Size2, kernel: Size2) throws -> Resolved {
        var pads = window.pads, output = [0, 0], extra = [0, 0]
        let sizes = [input.height, input.width], kernels = [kernel.height, kernel.width]
        let strides = [window.stride.height, window.stride.width], dilations = [window.dilation.height, window.dilation.width]
        for a in 0..<2 {
            let span = (kernels[a] - 1) * dilations[a] + 1, n = sizes[a], s = strides[a]
            switch window.autoPad {
            case .sameUpper, .sameLower:
                output[a] = (n + s - 1) / s
                let total = max(0, (output[a] - 1) * s + span - n)
                let small = total / 2, large = total - small
                (pads[a], pads[a + 2]) = window.autoPad == .sameUpper ? (small, large) : (large, small)
            case .valid, .notSet:
                if window.autoPad == .valid { pads[a] = 0; pads[a + 2] = 0 }
                let room = n + pads[a] + pads[a + 2] - span
                guard room >= 0 else {
                    throw Fail.fail("has a window of \(span) (kernel \(kernels[a]), dilation \(dilations[a])) larger than the padded input \(n + pads[a] + pads[a + 2])")
                }
                output[a] = room / s + 1
                if window.ceilMode {
                    output[a] = (room + s - 1) / s + 1
                    if (output[a] - 1) * s >= n + pads[a] { output[a] -= 1 }  // the last window starts inside the input or its top/left pad
                    extra[a] = max(0, (output[a] - 1) * s + span - (n + pads[a] + pads[a + 2]))
                }
            }
        }
        return Resolved(pads: pads, output: Size2(output[0], output[1]), extra: Size2(extra[0], extra[1]))
    }

    /// The output shape of a convolution of `x` by `w`.
    static func convShape(_ window: ONNXOperator.Window, group: Int, x: [Int], w: [Int]) throws -> [Int] {
        guard x.count == 4 else { throw Fail.fail("has X of shape \(list: x), which is not supported (only 2-D convolutions, [N, C, H, W])") }
        guard w.count == 4 else { throw Fail.fail("needs W of shape [C_out, C_in/group, K_h, K_w], got \(list: w)") }
        guard x[1] == w[1] * group else {
            throw Fail.fail("has input \(x) with \(x[1]) channels but weight \(w) expects \(w[1] * group)\(group > 1 ? " (\(w[1]) per group, group \(group))" : "")")
        }
        guard w[0] % group == 0 else { throw Fail.fail("has weight \(w) whose \(w[0]) output channels do not divide into group \(group)") }
        if let k = window.kernel, [w[2], w[3]] != [k.height, k.width] { throw Fail.fail("has kernel_shape \(k) but weight \(w)") }
        let r = try resolve(window, input: Size2(x[2], x[3]), kernel: Size2(w[2], w[3]))
        let out = [x[0], w[0], r.output.height, r.output.width]
        // What conv builds: the input padded explicitly (pads that differ at the two ends).
        try requireModest(intermediates: [r.pads[0] != r.pads[2] || r.pads[1] != r.pads[3] ? padded(x, r) : []],
                          besides: [x, w, out])
        return out
    }

    /// `x` padded by the resolved pads and ceil mode's extra cells.
    private static func padded(_ x: [Int], _ r: Resolved) -> [Int] {
        [x[0], x[1], x[2] + r.pads[0] + r.pads[2] + r.extra.height, x[3] + r.pads[1] + r.pads[3] + r.extra.width]
    }

    /// Throws unless each intermediate tensor is at most 64 times the largest of the operator's
    /// own tensors (or 2²⁰ elements): a geometry that only the explicit padding would make huge
    /// (pads far beyond the input) is refused rather than allocated.
    private static func requireModest(intermediates: [[Int]], besides own: [[Int]]) throws {
        let largest = own.map { MemoryBudget.product($0) ?? .max }.max() ?? 0
        let limit = max(1 << 20, largest > Int.max / 64 ? Int.max : largest * 64)
        for shape in intermediates where !shape.isEmpty {
            guard let n = MemoryBudget.product(shape), n <= limit else {
                throw Fail.fail("would need an intermediate tensor \(shape) (pads far beyond the input), which is not supported")
            }
        }
    }

    /// The output shape of a pooling of `x`.
    static func poolShape(_ window: ONNXOperator.Window, x: [Int]) throws -> [Int] {
        guard x.count == 4 else { throw Fail.fail("has X of shape \(list: x), which is not supported (only 2-D pooling, [N, C, H, W])") }
        let r = try resolve(window, input: Size2(x[2], x[3]), kernel: window.kernel!)
        let out = [x[0], x[1], r.output.height, r.output.width]
        try requireModest(intermediates: [padded(x, r)], besides: [x, out])
        return out
    }

    /// ONNX Conv: the core's `conv2d` with the node's groups and dilations; pads that differ at the
    /// two ends (which `conv2d` does not take) pad the input first.
    static func conv(_ window: ONNXOperator.Window, group: Int, x: Tensor, w: Tensor, bias: Tensor?) throws -> Tensor {
        _ = try convShape(window, group: group, x: x.shape, w: w.shape)
        let r = try resolve(window, input: Size2(x.shape[2], x.shape[3]), kernel: Size2(w.shape[2], w.shape[3]))
        var input = x, padding = Size2(r.pads[0], r.pads[1])
        if r.pads[0] != r.pads[2] || r.pads[1] != r.pads[3] {
            input = try x.padded(before: [0, 0, r.pads[0], r.pads[1]], after: [0, 0, r.pads[2], r.pads[3]])
            padding = 0
        }
        return try conv2d(input, w, bias: bias, stride: window.stride, padding: padding, dilation: window.dilation,
                          groups: group)
    }

    /// ONNX MaxPool and AveragePool: the core's pooling where its PyTorch rules hold (the same pad
    /// at both ends, at most half the kernel), else on the input padded explicitly — with −∞ for
    /// max; for average with zeros, divided by the pooled count of the cells that count.
    static func pool(_ window: ONNXOperator.Window, x: Tensor, average: Bool, countIncludePad: Bool) throws -> Tensor {
        _ = try poolShape(window, x: x.shape)
        let k = window.kernel!
        let r = try resolve(window, input: Size2(x.shape[2], x.shape[3]), kernel: k)
        let p = r.pads
        if p[0] == p[2] && p[1] == p[3] && 2 * p[0] <= k.height && 2 * p[1] <= k.width {
            // The core's ceil mode and count rules are PyTorch's, which ONNX's are.
            let padding = Size2(p[0], p[1])
            return average
                ? try avgPool2d(x, kernel: k, stride: window.stride, padding: padding, countIncludePad: countIncludePad, ceilMode: window.ceilMode)
                : try maxPool2d(x, kernel: k, stride: window.stride, padding: padding, ceilMode: window.ceilMode)
        }
        let before = [0, 0, p[0], p[1]], after = [0, 0, p[2] + r.extra.height, p[3] + r.extra.width]
        guard average else {
            return try maxPool2d(try x.padded(before: before, after: after, value: -.infinity), kernel: k, stride: window.stride)
        }
        let sums = try avgPool2d(try x.padded(before: before, after: after), kernel: k, stride: window.stride, countIncludePad: true)
        // The cells a window divides by: the input's (count_include_pad = 0), or the explicitly padded input's.
        let counted = countIncludePad
            ? try Tensor.ones([1, 1, x.shape[2] + p[0] + p[2], x.shape[3] + p[1] + p[3]])
                .padded(before: [0, 0, 0, 0], after: [0, 0, r.extra.height, r.extra.width])
            : try Tensor.ones([1, 1, x.shape[2], x.shape[3]]).padded(before: before, after: after)
        let share = try avgPool2d(counted, kernel: k, stride: window.stride, countIncludePad: true)
        return try sums / share
    }
}
