import ConvNet
import ConvNetCore

/// The ONNX nodes (opset 17) of the activations, layer norm and channel shuffle of modern CNN
/// families. Opset 17 has no Gelu: GELU is written out in basic operators.
extension ONNXGraphBuilder {
    /// The nodes of `call`, one of relu6, hardswish, hardsigmoid, silu, gelu, layer norm or channel shuffle.
    mutating func modernOperation(_ call: ExportCall, output: String?) throws -> String {
        let x = call.inputs[0]!
        switch call.op {
        case .relu6:
            let low = floatInitializer("relu6_min", shape: [], [0]), high = floatInitializer("relu6_max", shape: [], [6])
            return node("Clip", [input(x), low, high], output: output)
        case .hardswish:
            return node("HardSwish", [input(x)], output: output)
        case .hardsigmoid:
            return node("HardSigmoid", [input(x)], output: output,
                        [ONNXAttribute.float("alpha", Float(1.0 / 6.0)), ONNXAttribute.float("beta", 0.5)])
        case .silu:
            let name = input(x)
            return node("Mul", [name, node("Sigmoid", [name])], output: output)
        case .gelu(let approximate):
            return gelu(input(x), approximate, output: output)
        case .layerNorm(let axis, let eps):
            return layerNorm(x, axis: axis, eps: eps, weight: call.inputs.count > 1 ? call.inputs[1] : nil,
                             bias: call.inputs.count > 2 ? call.inputs[2] : nil, output: output)
        case .channelShuffle(let groups):
            // [N, C, …] → [N, g, C/g, …] → swap 1 and 2 → [N, C, …]; 0 keeps the batch size dynamic.
            let c = x.shape[1], rest = Array(x.shape.dropFirst(2))
            let split = node("Reshape", [input(x), int64Initializer("shuffle_split", [0, groups, c / groups] + rest)])
            let perm = [0, 2, 1] + (0..<rest.count).map { $0 + 3 }
            let swapped = node("Transpose", [split], [ONNXAttribute.ints("perm", perm)])
            return node("Reshape", [swapped, int64Initializer("shuffle_join", [0, c] + rest)], output: output)
        default:
            throw Self.unsupported(call.op.name, "is not one of the modern CNN operators")
        }
    }

    /// x · Φ(x): x · (1 + erf(x/√2)) · 0.5, or PyTorch's tanh formula
    /// x · (1 + tanh(√(2/π)(x + 0.044715x³))) · 0.5.
    private mutating func gelu(_ x: String, _ approximate: GELUApproximation, output: String?) -> String {
        func constant(_ base: String, _ value: Float) -> String { floatInitializer(base, shape: [], [value]) }
        let inner: String
        switch approximate {
        case .none:
            inner = node("Erf", [node("Div", [x, constant("gelu_sqrt2", Float(2.0.squareRoot()))])])
        case .tanh:
            let cube = node("Mul", [node("Mul", [x, x]), x])
            let polynomial = node("Add", [x, node("Mul", [cube, constant("gelu_kappa", 0.044715)])])
            inner = node("Tanh", [node("Mul", [polynomial, constant("gelu_beta", Float((2 / Double.pi).squareRoot()))])])
        }
        let scaled = node("Mul", [x, node("Add", [inner, constant("gelu_one", 1)])])
        return node("Mul", [scaled, constant("gelu_half", 0.5)], output: output)
    }

    /// LayerNormalization over the last axis; another axis is moved there and back by Transposes.
    private mutating func layerNorm(_ x: ExportOperand, axis: Int, eps: Float, weight: ExportOperand?, bias: ExportOperand?, output: String?) -> String {
        let n = x.shape[axis], last = x.rank - 1
        let scale = weight.map { input($0) } ?? floatInitializer("ln_scale", shape: [n], Array(repeating: 1, count: n))
        let extra = bias.map { [input($0)] } ?? []
        let attributes = [ONNXAttribute.int("axis", -1), ONNXAttribute.float("epsilon", eps)]
        guard axis != last else {
            return node("LayerNormalization", [input(x), scale] + extra, output: output, attributes)
        }
        // Move `axis` to the end: [0, …, axis−1, axis+1, …, last, axis], and back with the inverse.
        let forward = (0...last).filter { $0 != axis } + [axis]
        var inverse = [Int](repeating: 0, count: forward.count)
        for (i, p) in forward.enumerated() { inverse[p] = i }
        let moved = node("Transpose", [input(x)], [ONNXAttribute.ints("perm", forward)])
        let normalized = node("LayerNormalization", [moved, scale] + extra, attributes)
        return node("Transpose", [normalized], output: output, [ONNXAttribute.ints("perm", inverse)])
    }
}
