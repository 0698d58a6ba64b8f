import ConvNet
/// One supported ONNX operator with its attributes read and checked: what a node computes, apart
/// from its inputs. ``parse(_:)`` refuses every op type, attribute value and optional output
/// that is not supported, naming the node and the attribute, so that no graph runs partly or
/// computes something other than what it says.
enum ONNXOperator {
    /// A 2-D convolution's or pooling's window: `kernel` (nil for a convolution that takes it from
    /// its weight), strides, dilations, and either explicit pads `[top, left, bottom, right]` or
    /// an `auto_pad` rule that fixes them from the input size.
    struct Window {
        var kernel: Size2?
        var stride: Size2
        var dilation: Size2
        var pads: [Int]
        var autoPad: AutoPad
        var ceilMode: Bool
    }

    /// Pad's modes: a constant, the edge value repeated, a mirror image without the edge, the other end.
    enum PadMode: String { case constant, edge, reflect, wrap }

    enum AutoPad: String { case notSet = "NOTSET", valid = "VALID", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER" }

    case conv(Window, group: Int)
    case maxPool(Window)
    case averagePool(Window, countIncludePad: Bool)
    case globalAveragePool
    case batchNormalization(epsilon: Float)
    case relu, sigmoid, tanh
    /// The error function (exact GELU as exporters write it: x·(1 + erf(x/√2))/2).
    case erf
    case leakyRelu(alpha: Float)
    /// x · max(0, min(1, x/6 + 1/2)): the core's hardswish.
    case hardSwish
    /// max(0, min(1, alpha·x + beta)): the core's hardsigmoid for alpha 1/6 and beta 1/2.
    case hardSigmoid(alpha: Float, beta: Float)
    /// Bounds from attributes (opset < 11), else from the optional inputs 1 and 2.
    case clip(min: Float?, max: Float?)
    case gemm(alpha: Float, beta: Float, transA: Bool, transB: Bool)
    case matMul
    case add, sub, mul, div
    case concat(axis: Int)
    case flatten(axis: Int)
    case reshape(allowZero: Bool)
    /// `coerced`: opset < 13, where the input is seen as 2-D `[∏ d<axis, ∏ d≥axis]`.
    case softmax(axis: Int, coerced: Bool), logSoftmax(axis: Int, coerced: Bool)
    case identity
    /// Dropout with a training_mode input, which must be false (then it is the identity).
    case dropout
    case lrn(size: Int, alpha: Float, beta: Float, bias: Float)
    /// Normalisation over the dimensions from `axis` on, which must be only the last one.
    case layerNormalization(axis: Int, epsilon: Float)
    case constant
    case shape(start: Int, end: Int?)
    case gather(axis: Int)
    /// Axes from the attribute (opset < 13), else from input 1.
    case unsqueeze(axes: [Int]?), squeeze(axes: [Int]?)
    /// Starts, ends and axes from attributes (opset < 10), else from inputs.
    case slice(starts: [Int]?, ends: [Int]?, axes: [Int]?)
    /// Pads and value from attributes (opset < 11), else from inputs.
    case pad(pads: [Int]?, value: Float, mode: PadMode)
    case transpose(perm: [Int]?)
    case cast(toFloat: Bool)
    case constantOfShape

    /// The operators supported, by ONNX op type (the README's list).
    static let supported = ["Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant",
                            "ConstantOfShape", "Conv", "Div", "Dropout", "Erf", "Flatten", "Gather", "Gemm",
                            "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "LRN", "LayerNormalization", "LeakyRelu", "LogSoftmax", "MatMul", "MaxPool",
                            "Mul", "Pad", "Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Squeeze",
                            "Sub", "Tanh", "Transpose", "Unsqueeze"]

    /// The operator of `node`, its attributes checked.
    /// - Throws: ``ConvNetError`` naming the node for an op type, attribute value or output that is not supported.
    static func parse(_ r: ONNXNodeReader) throws -> ONNXOperator {
        guard r.node.domain.isEmpty || r.node.domain == "ai.onnx" else {
            throw r.error("is in domain \(quoted: r.node.domain), which is not supported (only the default ONNX domain)")
        }
        switch r.node.opType {
        case "Conv":
            try r.requireOnly(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
            try r.requireArity(inputs: 2, 3)
            let group = try r.int("group", default: 1)
            // The core's conv2d takes any group count below 2³¹ that divides the channels (checked
            // against the shapes in ONNXSpatial.convShape).
            guard group >= 1 && group <= Int(Int32.max) else { throw r.unsupported("group", "\(group)", "1 to 2147483647") }
            return .conv(try spatial(r, pooling: false), group: group)
        case "MaxPool":
            try r.requireOnly(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"])
            try r.requireArity(inputs: 1, 1)
            let order = try r.int("storage_order", default: 0)
            guard order == 0 else { throw r.unsupported("storage_order", "\(order)", "only 0") }
            let window = try spatial(r, pooling: true)
            guard window.dilation == Size2(1, 1) else {
                throw r.unsupported("dilations", "[\(window.dilation.height), \(window.dilation.width)]", "only [1, 1] for pooling")
            }
            return .maxPool(window)
        case "AveragePool":
            try r.requireOnly(["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"])
            try r.requireArity(inputs: 1, 1)
            let window = try spatial(r, pooling: true)
            guard window.dilation == Size2(1, 1) else {
                throw r.unsupported("dilations", "[\(window.dilation.height), \(window.dilation.width)]", "only [1, 1] for pooling")
            }
            return .averagePool(window, countIncludePad: try r.int("count_include_pad", default: 0) != 0)
        case "GlobalAveragePool":
            try r.requireOnly([])
            try r.requireArity(inputs: 1, 1)
            return .globalAveragePool
        case "BatchNormalization":
            try r.requireOnly(["epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"])
            try r.requireArity(inputs: 5, 5)
            guard try r.int("training_mode", default: 0) == 0 else { throw r.unsupported("training_mode", "1", "only inference, 0") }
            guard try r.int("spatial", default: 1) == 1 else { throw r.unsupported("spatial", "0", "only 1") }
            return .batchNormalization(epsilon: try r.float("epsilon", default: 1e-5))
        case "Erf":
            try r.requireOnly([])
            try r.requireArity(inputs: 1, 1)
            return .erf
        case "Relu", "Sigmoid", "Tanh", "Identity":
            try r.requireOnly([])
            try r.requireArity(inputs: 1, 1)
            return ["Relu": .relu, "Sigmoid": .sigmoid, "Tanh": .tanh][r.node.opType] ?? .identity
        case "LeakyRelu":
            try r.requireOnly(["alpha"])
            try r.requireArity(inputs: 1, 1)
            return .leakyRelu(alpha: try r.float("alpha", default: 0.01))
        case "HardSwish":
            try r.requireOnly([])
            try r.requireArity(inputs: 1, 1)
            return .hardSwish
        case "HardSigmoid":
            try r.requireOnly(["alpha", "beta"])
            try r.requireArity(inputs: 1, 1)
            return .hardSigmoid(alpha: try r.float("alpha", default: 0.2), beta: try r.float("beta", default: 0.5))
        case "Clip":
            if r.opset < 11 {
                try r.requireOnly(["min", "max"])
                try r.requireArity(inputs: 1, 1)
                return .clip(min: try r.float("min", default: -.greatestFiniteMagnitude), max: try r.float("max", default: .greatestFiniteMagnitude))
            }
            try r.requireOnly([])
            try r.requireArity(inputs: 1, 3)
            return .clip(min: nil, max: nil)
        case "Gemm":
            try r.requireOnly(["alpha", "beta", "transA", "transB", "broadcast"])
            try r.requireArity(inputs: 2, 3)
            return .gemm(alpha: try r.float("alpha", default: 1), beta: try r.float("beta", default: 1),
                         transA: try r.int("transA", default: 0) != 0, transB: try r.int("transB", default: 0) != 0)
        case "MatMul":
            try r.requireOnly([])
            try r.requireArity(inputs: 2, 2)
            return .matMul
        case "Add", "Sub", "Mul", "Div":
            try r.requireOnly(r.opset < 7 ? ["broadcast", "axis"] : [])
            try r.requireArity(inputs: 2, 2)
            return ["Add": .add, "Sub": .sub, "Mul": .mul][r.node.opType] ?? .div
        case "Concat":
            try r.requireOnly(["axis"])
            try r.requireArity(inputs: 1, 1 << 16)
            guard r.has("axis") else { throw r.error("lacks the required attribute axis") }
            return .concat(axis: try r.int("axis", default: 1))
        case "Flatten":
            try r.requireOnly(["axis"])
            try r.requireArity(inputs: 1, 1)
            return .flatten(axis: try r.int("axis", default: 1))
        case "Reshape":
            try r.requireOnly(["allowzero"])
            try r.requireArity(inputs: 2, 2)
            return .reshape(allowZero: try r.int("allowzero", default: 0) != 0)
        case "Softmax", "LogSoftmax":
            try r.requireOnly(["axis"])
            try r.requireArity(inputs: 1, 1)
            let coerced = r.opset < 13
            let axis = try r.int("axis", default: coerced ? 1 : -1)
            return r.node.opType == "Softmax" ? .softmax(axis: axis, coerced: coerced) : .logSoftmax(axis: axis, coerced: coerced)
        case "Dropout":
            try r.requireOnly(["ratio", "seed", "is_test"])
            try r.requireArity(inputs: 1, 3)
            // A training_mode input (input 2) must be a constant false: checked when it is known.
            return r.node.input.count == 3 && !r.node.input[2].isEmpty ? .dropout : .identity
        case "LRN":
            try r.requireOnly(["alpha", "beta", "bias", "size"])
            try r.requireArity(inputs: 1, 1)
            guard r.has("size") else { throw r.error("lacks the required attribute size") }
            let size = try r.int("size", default: 1)
            guard size >= 1 && size <= 1 << 16 else { throw r.unsupported("size", "\(size)", "1 to 65536") }
            return .lrn(size: size, alpha: try r.float("alpha", default: 1e-4), beta: try r.float("beta", default: 0.75),
                        bias: try r.float("bias", default: 1))
        case "LayerNormalization":
            try r.requireOnly(["axis", "epsilon", "stash_type"])
            try r.requireArity(inputs: 2, 3)
            return .layerNormalization(axis: try r.int("axis", default: -1), epsilon: try r.float("epsilon", default: 1e-5))
        case "Constant":
            try r.requireArity(inputs: 0, 0)
            try r.requireOnly(["value", "value_float", "value_floats", "value_int", "value_ints"])
            guard r.node.attribute.count == 1 else { throw r.error("must have exactly one value attribute, has \(r.node.attribute.count)") }
            return .constant
        case "Shape":
            try r.requireOnly(["start", "end"])
            try r.requireArity(inputs: 1, 1)
            return .shape(start: try r.int("start", default: 0), end: r.has("end") ? try r.int("end", default: 0) : nil)
        case "Gather":
            try r.requireOnly(["axis"])
            try r.requireArity(inputs: 2, 2)
            return .gather(axis: try r.int("axis", default: 0))
        case "Unsqueeze", "Squeeze":
            let fromAttribute = r.opset < 13
            try r.requireOnly(fromAttribute ? ["axes"] : [])
            try r.requireArity(inputs: 1, fromAttribute ? 1 : 2)
            let axes = fromAttribute ? try r.ints("axes") : nil
            if r.node.opType == "Unsqueeze" {
                if fromAttribute && axes == nil { throw r.error("lacks the required attribute axes") }
                if !fromAttribute && r.node.input.count < 2 { throw r.error("lacks the required input axes") }
                return .unsqueeze(axes: axes)
            }
            return .squeeze(axes: axes)
        case "Slice":
            if r.opset < 10 {
                try r.requireOnly(["starts", "ends", "axes"])
                try r.requireArity(inputs: 1, 1)
                guard let starts = try r.ints("starts"), let ends = try r.ints("ends") else { throw r.error("lacks the attributes starts and ends") }
                return .slice(starts: starts, ends: ends, axes: try r.ints("axes"))
            }
            try r.requireOnly([])
            try r.requireArity(inputs: 3, 5)
            return .slice(starts: nil, ends: nil, axes: nil)
        case "Pad":
            try r.requireOnly(r.opset < 11 ? ["mode", "pads", "value"] : ["mode"])
            let modeName = try r.string("mode", default: "constant")
            guard let mode = PadMode(rawValue: modeName) else { throw r.unsupported("mode", "\(quoted: modeName)", "constant, edge, reflect or wrap") }
            if r.opset < 11 {
                try r.requireArity(inputs: 1, 1)
                guard let pads = try r.ints("pads") else { throw r.error("lacks the required attribute pads") }
                return .pad(pads: pads, value: try r.float("value", default: 0), mode: mode)
            }
            try r.requireArity(inputs: 2, 4)
            return .pad(pads: nil, value: 0, mode: mode)
        case "Transpose":
            try r.requireOnly(["perm"])
            try r.requireArity(inputs: 1, 1)
            return .transpose(perm: try r.ints("perm"))
        case "Cast":
            try r.requireOnly(["to", "saturate", "round_mode"])
            try r.requireArity(inputs: 1, 1)
            let to = try r.int("to", default: 0)
            guard let type = Onnx_TensorProto.DataType(rawValue: to), ONNXTensorDecoder.width(type) != nil else {
                throw r.unsupported("to", ONNXTensorDecoder.name(Int32(clamping: to)), "numeric types")
            }
            return .cast(toFloat: [.float, .double, .float16, .bfloat16].contains(type))
        case "ConstantOfShape":
            try r.requireOnly(["value"])
            try r.requireArity(inputs: 1, 1)
            return .constantOfShape
        default:
            throw r.error("is not supported (supported: \(supported.joined(separator: ", ")))", kind: .unsupported)
        }
    }

    /// Kernel, strides, dilations, pads or auto_pad, and ceil mode of a 2-D convolution or
    /// pooling, refusing what is not supported (other than 2-D).
    private static func spatial(_ r: ONNXNodeReader, pooling: Bool) throws -> Window {
        let autoPadName = try r.string("auto_pad", default: "NOTSET")
        guard let autoPad = AutoPad(rawValue: autoPadName) else {
            throw r.unsupported("auto_pad", "\(quoted: autoPadName)", "NOTSET, VALID, SAME_UPPER or SAME_LOWER")
        }
        let kernel = try r.ints("kernel_shape")
        if pooling && kernel == nil { throw r.error("lacks the required attribute kernel_shape") }
        if let kernel, kernel.count != 2 || kernel.contains(where: { $0 < 1 }) {
            throw r.unsupported("kernel_shape", "\(list: kernel)", "two positive sizes: only 2-D")
        }
        let strides = try r.ints("strides") ?? [1, 1]
        guard strides.count == 2, strides.allSatisfy({ $0 >= 1 }) else { throw r.unsupported("strides", "\(list: strides)", "two positive sizes: only 2-D") }
        let dilations = try r.ints("dilations") ?? [1, 1]
        guard dilations.count == 2, dilations.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
            throw r.unsupported("dilations", "\(list: dilations)", "two positive sizes: only 2-D")
        }
        let pads = try r.ints("pads") ?? [0, 0, 0, 0]
        if autoPad != .notSet && r.has("pads") && pads.contains(where: { $0 != 0 }) {
            throw r.error("has both auto_pad = \(autoPadName) and pads \(list: pads)")
        }
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else {
            throw r.unsupported("pads", "\(list: pads)", "four non-negative sizes: only 2-D")
        }
        let ceil = try r.int("ceil_mode", default: 0) != 0
        return Window(kernel: kernel.map { Size2($0[0], $0[1]) }, stride: Size2(strides[0], strides[1]),
                      dilation: Size2(dilations[0], dilations[1]), pads: autoPad == .notSet ? pads : [0, 0, 0, 0],
                      autoPad: autoPad, ceilMode: ceil)
    }
}
