import ConvNet
import ConvNetCore

/// How each node of a ``Graph`` becomes ONNX nodes (opset 17). Operations without a faithful ONNX
/// counterpart throw, naming the operation: an export never writes a graph that computes
/// something else.
extension ONNXGraphBuilder {
    /// Appends the nodes of `call`, naming its result `output` when given. `tracedBatch` is the batch
    /// size of the traced pass; with `dynamicBatch` every node must work for any batch size.
    mutating func add(_ call: ExportCall, output: String?, tracedBatch: Int, dynamicBatch: Bool) throws {
        try checkConstants(call, tracedBatch: tracedBatch, dynamicBatch: dynamicBatch)
        /// Input `i` of the call, if given.
        func operand(_ i: Int) -> ExportOperand? { i < call.inputs.count ? call.inputs[i] : nil }
        let x = operand(0)
        let result: String
        switch call.op {
        case .conv2d(let g):
            result = conv(x!, g, operand(1)!, operand(2), output: output)
        case .convMaxPoolReLU(let g, let pool):
            let convolved = conv(x!, g, operand(1)!, operand(2), output: nil)
            let pooled = node("MaxPool", [convolved], Self.poolAttributes(pool))
            result = node("Relu", [pooled], output: output)
        case .maxPool2d(let g):
            result = node("MaxPool", [input(x!)], output: output, Self.poolAttributes(g))
        case .avgPool2d(let g, let countIncludePad):
            result = node("AveragePool", [input(x!)], output: output,
                          Self.poolAttributes(g) + [ONNXAttribute.int("count_include_pad", countIncludePad ? 1 : 0)])
        case .globalAvgPool2d:
            result = node("GlobalAveragePool", [input(x!)], output: output)
        case .adaptiveAvgPool2d(let size):
            result = try adaptiveAveragePool(x!, size, output: output)
        case .linear:
            result = node("Gemm", [input(x!), input(operand(1)!)] + (operand(2).map { [input($0)] } ?? []), output: output,
                          [ONNXAttribute.int("transB", 1)])
        case .batchNorm(let attributes) where !attributes.training:
            guard let mean = operand(3), let variance = operand(4) else {
                throw Self.unsupported(call.op.name, "was traced without its running statistics")
            }
            let c = mean.count
            let scale = operand(1).map { input($0) } ?? floatInitializer("bn_scale", shape: [c], Array(repeating: 1, count: c))
            let shift = operand(2).map { input($0) } ?? floatInitializer("bn_bias", shape: [c], Array(repeating: 0, count: c))
            // ONNX's momentum weighs the running statistic, PyTorch's the new batch's.
            result = node("BatchNormalization", [input(x!), scale, shift, input(mean), input(variance)], output: output,
                          [ONNXAttribute.float("epsilon", attributes.eps), ONNXAttribute.float("momentum", 1 - attributes.momentum)])
        case .localResponseNorm(let size, let alpha, let beta, let k):
            // PyTorch's window over channels is [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋], ONNX's [c − ⌊(n−1)/2⌋, c + ⌈(n−1)/2⌉]:
            // the same for odd n only.
            guard size % 2 == 1 else {
                throw Self.unsupported(call.op.name, "with the even size \(size): ONNX's LRN centres its window differently from PyTorch's")
            }
            result = node("LRN", [input(x!)], output: output,
                          [ONNXAttribute.int("size", size), ONNXAttribute.float("alpha", alpha),
                           ONNXAttribute.float("beta", beta), ONNXAttribute.float("bias", k)])
        case .concat(let dim):
            result = try concat(call, dim: dim, output: output)
        case .reshape, .flatten:
            result = try reshape(x!, to: call.output.shape, dynamicBatch: dynamicBatch, output: output)
        case .addScalar(let s), .mulScalar(let s):
            let operand = floatInitializer("scalar", shape: [], [s])
            let opType = if case .addScalar = call.op { "Add" } else { "Mul" }
            result = node(opType, [input(x!), operand], output: output)
        case .leakyRelu(let slope):
            result = node("LeakyRelu", [input(x!)], output: output, [ONNXAttribute.float("alpha", slope)])
        case .softmax(let dim), .logSoftmax(let dim):
            let opType = if case .softmax = call.op { "Softmax" } else { "LogSoftmax" }
            result = node(opType, [input(x!)], output: output, [ONNXAttribute.int("axis", dim)])
        case .relu, .sigmoid, .tanh, .exp, .log, .erf, .add, .sub, .mul, .div, .matmul:
            var names: [String] = []
            for case let t? in call.inputs { names.append(input(t)) }
            result = node(Self.elementwise[call.op]!, names, output: output)  // every op of this arm is listed
        case .stridedSlice(let start, let step, let count):
            result = try slice(x!, start: start, step: step, count: count, output: output)
        case .relu6, .hardswish, .hardsigmoid, .silu, .gelu, .layerNorm, .channelShuffle:
            result = try modernOperation(call, output: output)
        case .batchNorm, .synchronizedBatchNorm, .dropout:
            throw Self.unsupported(call.op.name, "was traced in training mode; export evaluates the model")
        case .square, .clamp, .permute, .transpose, .slice, .pad, .sum, .mean, .sumAlong, .maxAlong,
             .crossEntropy, .focalLoss, .nllLoss, .mseLoss:
            throw Self.unsupported(call.op.name, "has no ONNX counterpart in this exporter")
        }
        name(call.output, result)
    }

    /// Operations that map to one ONNX node with the same inputs and no attributes.
    private static let elementwise: [Op: String] = [
        .relu: "Relu", .sigmoid: "Sigmoid", .tanh: "Tanh", .exp: "Exp", .log: "Log", .erf: "Erf",
        .add: "Add", .sub: "Sub", .mul: "Mul", .div: "Div", .matmul: "MatMul",
    ]

    static func unsupported(_ op: String, _ why: String) -> ConvNetError {
        ConvNetError(.unsupported, op: "onnx export", "operation '\(op)' \(why)")
    }

    private mutating func conv(_ x: ExportOperand, _ g: Conv2dGeometry, _ weight: ExportOperand, _ bias: ExportOperand?, output: String?) -> String {
        node("Conv", [input(x), input(weight)] + (bias.map { [input($0)] } ?? []), output: output, [
            ONNXAttribute.ints("kernel_shape", [g.kernelHeight, g.kernelWidth]),
            ONNXAttribute.ints("strides", [g.strideHeight, g.strideWidth]),
            ONNXAttribute.ints("pads", [g.padHeight, g.padWidth, g.padHeight, g.padWidth]),  // [top, left, bottom, right]
            ONNXAttribute.ints("dilations", [g.dilationHeight, g.dilationWidth]),  // PyTorch's d (oneDNN's is d − 1)
            ONNXAttribute.int("group", g.groups),  // W is [C_out, C_in/group, K_h, K_w] in both
        ])
    }

    private static func poolAttributes(_ g: Pool2dGeometry) -> [Onnx_AttributeProto] {
        [ONNXAttribute.ints("kernel_shape", [g.kernelHeight, g.kernelWidth]),
         ONNXAttribute.ints("strides", [g.strideHeight, g.strideWidth]),
         ONNXAttribute.ints("pads", [g.padHeight, g.padWidth, g.padHeight, g.padWidth]),
         ONNXAttribute.int("ceil_mode", g.ceilMode ? 1 : 0)]
    }

    /// 1×1 output: GlobalAveragePool. An input size divisible by the output size: a plain average
    /// pooling with non-overlapping windows (kernel = stride = input/output). Anything else has
    /// windows of varying size, which ONNX cannot state.
    private mutating func adaptiveAveragePool(_ x: ExportOperand, _ size: Size2, output: String?) throws -> String {
        if size.height == 1 && size.width == 1 { return node("GlobalAveragePool", [input(x)], output: output) }
        let (h, w) = (x.shape[2], x.shape[3])
        guard h % size.height == 0, w % size.width == 0 else {
            throw Self.unsupported("adaptive_avgpool2d", "to \(size.height)×\(size.width) from \(h)×\(w) has windows of "
                                   + "unequal size, which ONNX cannot express (export with an input size divisible by the output size)")
        }
        let (kh, kw) = (h / size.height, w / size.width)
        return node("AveragePool", [input(x)], output: output, [
            ONNXAttribute.ints("kernel_shape", [kh, kw]), ONNXAttribute.ints("strides", [kh, kw]),
            ONNXAttribute.ints("pads", [0, 0, 0, 0]), ONNXAttribute.int("ceil_mode", 0),
            ONNXAttribute.int("count_include_pad", 0),
        ])
    }

    /// Concat; when every input but one is a constant block of zeros (a CIFAR ResNet's option-A
    /// shortcut), a Pad of that input instead, which holds for any batch size.
    private mutating func concat(_ call: ExportCall, dim: Int, output: String?) throws -> String {
        let parts = call.inputs.compactMap { $0 }
        if let only = zeroPadded(parts) {
            let before = parts[..<only].reduce(0) { $0 + $1.shape[dim] }
            let after = parts[(only + 1)...].reduce(0) { $0 + $1.shape[dim] }
            var pads = [Int](repeating: 0, count: 2 * parts[only].rank)
            pads[dim] = before
            pads[parts[only].rank + dim] = after
            return node("Pad", [input(parts[only]), int64Initializer("pads", pads)], output: output)
        }
        return node("Concat", parts.map { input($0) }, output: output, [ONNXAttribute.int("axis", dim)])
    }

    /// The index of the one input of a concat that is not a constant block of zeros, if there is such.
    private func zeroPadded(_ parts: [ExportOperand]) -> Int? {
        let computed = parts.indices.filter { isComputed(parts[$0]) || isState(parts[$0]) }
        guard computed.count == 1, let only = computed.first,
              parts.indices.allSatisfy({ $0 == only || storedValues(parts[$0])?.allSatisfy { $0 == 0 } == true }) else { return nil }
        return only
    }

    /// A flatten to `[N, rest]`: Flatten(axis 1). Another reshape keeping the batch dimension:
    /// Reshape to `[0, …]` (0 copies the input's batch size). Any other reshape only at a fixed batch size.
    private mutating func reshape(_ x: ExportOperand, to shape: [Int], dynamicBatch: Bool, output: String?) throws -> String {
        if shape.count == 2, x.rank >= 2, shape[0] == x.shape[0] {
            return node("Flatten", [input(x)], output: output, [ONNXAttribute.int("axis", 1)])
        }
        if x.rank >= 1, shape.first == x.shape.first, !shape.dropFirst().contains(0) {
            return node("Reshape", [input(x), int64Initializer("shape", [0] + shape.dropFirst())], output: output)
        }
        guard !dynamicBatch else {
            throw Self.unsupported("reshape", "from \(x.shape) to \(shape) mixes the batch dimension with others; export with a fixed batch size")
        }
        return node("Reshape", [input(x), int64Initializer("shape", shape)], output: output)
    }

    /// With a dynamic batch, a constant made by the forward code at the traced batch size (other
    /// than the zero blocks a Pad replaces) would fix the batch: refused, naming the operation.
    private func checkConstants(_ call: ExportCall, tracedBatch: Int, dynamicBatch: Bool) throws {
        let isConcat = if case .concat = call.op { true } else { false }
        guard dynamicBatch, !isConcat || zeroPadded(call.inputs.compactMap { $0 }) == nil, call.output.rank >= 2, call.output.shape[0] == tracedBatch else { return }
        for case let t? in call.inputs where !isComputed(t) && !isState(t) && t.rank == call.output.rank && t.shape[0] == tracedBatch {
            throw Self.unsupported(call.op.name, "reads a constant of shape \(t.shape) made at the traced batch size; export with a fixed batch size")
        }
    }
}

extension ONNXGraphBuilder {
    /// A strided slice (`Tensor.strided`, `chunked`) as one ONNX Slice over the dimensions it
    /// narrows; a dimension read whole is left out, so a whole batch stays dynamic. Ends are
    /// exclusive: start + step·count, or Int64.min where a negative step runs past index 0.
    mutating func slice(_ x: ExportOperand, start: [Int], step: [Int], count: [Int], output: String?) throws -> String {
        var (starts, ends, axes, steps) = ([Int](), [Int](), [Int](), [Int]())
        for d in 0..<x.rank where !(start[d] == 0 && step[d] == 1 && count[d] == x.shape[d]) {
            guard d != 0 else {
                throw Self.unsupported("strided_slice", "narrows the batch dimension; ONNX export keeps the batch whole")
            }
            let end = start[d] + step[d] * count[d]
            starts.append(start[d])
            ends.append(step[d] < 0 && end < 0 ? Int(Int64.min) : end)
            axes.append(d)
            steps.append(step[d])
        }
        guard !axes.isEmpty else { return node("Identity", [input(x)], output: output) }
        return node("Slice", [input(x), int64Initializer("slice_starts", starts), int64Initializer("slice_ends", ends),
                              int64Initializer("slice_axes", axes), int64Initializer("slice_steps", steps)], output: output)
    }
}
