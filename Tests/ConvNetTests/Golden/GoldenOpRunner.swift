import ConvNet

/// Runs one operator case of ops.json-format files: computes every output, compares it, then
/// computes d(Σ_j sum(output_j · upstream_j))/d(input_k) for every gradient listed and compares that.
enum GoldenOpRunner {
    /// What a case's `op` names: an operation (``Op/Kind``, parsed from its name), or a chain of
    /// them that the case's description spells out.
    enum Operation {
        case op(Op.Kind)
        case chain(description: String)

        /// The operation `name` (and, for a chain, `description`) stands for; nil for an unknown name.
        init?(_ name: String, description: String) {
            if let kind = Op.Kind(rawValue: name) { self = .op(kind) } else if name == "chain" { self = .chain(description: description) } else { return nil }
        }
    }

    /// How `conv_maxpool_relu` cases compute (the fused kernel's tests run them on each path).
    @TaskLocal static var convPoolReLUPath = ConvPoolReLUPath.automatic

    /// Attributes that describe a case but change nothing.
    static let informational: Set<String> = ["description", "definition"]

    /// Compares one case; returns the mismatches (empty when it passes).
    /// - Throws: ``GoldenError`` for anything it cannot run (unknown op or attribute, missing input).
    static func check(_ c: GoldenValue, backend: ComputeBackend) throws -> [String] {
        let name = c["name"]?.string ?? c.path
        guard let opName = c["op"]?.string else { throw GoldenError("\(name): no \"op\"") }
        let attrs = c["attrs"] ?? GoldenValue([String: Any](), path: c.path + ".attrs")
        guard let op = Operation(opName, description: attrs["description"]?.string ?? "") else {
            throw GoldenError("\(name): unknown op \"\(opName)\"")
        }
        let inputsJSON = try c.required("inputs")
        let gradKeys = Set(c["grads"]?.keys ?? [])
        var inputs: [String: Tensor] = [:]
        var labels: [Int]?
        for key in inputsJSON.keys {
            if key == "labels" { labels = try inputsJSON.required(key).labels(); continue }
            inputs[key] = try inputsJSON.required(key).tensor(requiresGrad: gradKeys.contains(key))
        }
        let outputs = try Backend.with(backend) { try evaluate(op, attrs: attrs, inputs: inputs, labels: labels, name: name) }

        var failures: [String] = []
        let expected = try c.required("outputs")
        for key in expected.keys {
            guard let got = outputs[key] else { failures.append("\(name): no output \"\(key)\""); continue }
            if let f = GoldenCompare.elementwise("\(name) output \(key)", got: got, want: try expected.required(key).tensor()) {
                failures.append(f)
            }
        }
        guard !gradKeys.isEmpty else { return failures }
        // L = Σ_j sum(output_j · upstream_j) over the outputs that carry gradients.
        let upstream = c["upstream"]
        var loss: Tensor?
        for key in expected.keys {
            guard let out = outputs[key], out.requiresGrad else { continue }
            let up = try upstream?[key]?.tensor() ?? Tensor.ones(out.shape)
            let term = try (out * up).sum()
            loss = try loss.map { try $0 + term } ?? term
        }
        guard let loss else { return failures + ["\(name): gradients expected but no output depends on an input"] }
        let wrt = try gradKeys.sorted().map { key -> Tensor in
            guard let t = inputs[key] else { throw GoldenError("\(name): gradient for unknown input \"\(key)\"") }
            return t
        }
        let grads = try Backend.with(backend) { try gradients(of: loss, withRespectTo: wrt) }
        for (key, got) in zip(gradKeys.sorted(), grads) {
            if let f = GoldenCompare.elementwise("\(name) grad \(key)", got: got, want: try c.required("grads").required(key).tensor()) {
                failures.append(f)
            }
        }
        return failures
    }

    /// Rejects attributes this runner would otherwise silently ignore.
    private static func allow(_ attrs: GoldenValue, _ allowed: Set<String>, name: String) throws {
        for key in attrs.keys where !allowed.contains(key) && !informational.contains(key) {
            throw GoldenError("\(name): unsupported attribute \"\(key)\"")
        }
    }

    private static func input(_ inputs: [String: Tensor], _ key: String, _ name: String) throws -> Tensor {
        guard let t = inputs[key] else { throw GoldenError("\(name): missing input \"\(key)\"") }
        return t
    }

    private static func reduction(_ attrs: GoldenValue, _ name: String) throws -> Reduction {
        let r = attrs["reduction"]?.string ?? "mean"
        guard let reduction = Reduction(rawValue: r) else { throw GoldenError("\(name): unknown reduction \"\(r)\"") }
        return reduction
    }

    static func evaluate(_ operation: Operation, attrs: GoldenValue, inputs: [String: Tensor], labels: [Int]?,
                         name: String) throws -> [String: Tensor] {
        func x() throws -> Tensor { try input(inputs, "x", name) }
        func float(_ key: String, _ fallback: Double) throws -> Float { Float(try attrs[key]?.double() ?? fallback) }
        func integer(_ key: String, _ fallback: Int) throws -> Int {
            let value = try attrs[key]?.double() ?? Double(fallback)
            guard let i = Int(exactly: value) else { throw GoldenError("\(name): \(key) \(value) is not an integer") }
            return i
        }
        func classLabels() throws -> [Int] {
            guard let labels else { throw GoldenError("\(name): missing input \"labels\"") }
            return labels
        }
        let op: Op.Kind
        switch operation {
        case .op(let kind): op = kind
        case .chain(let description):
            try allow(attrs, [], name: name)
            guard description == "relu(x).flatten(1) @ W.T + b" else {
                throw GoldenError("\(name): unknown chain \"\(description)\"")
            }
            return ["y": try linear(flatten(x().relu()), weight: input(inputs, "weight", name), bias: inputs["bias"])]
        }
        switch op {
        case .conv2d:
            try allow(attrs, ["stride", "padding", "dilation", "groups"], name: name)
            let value = try attrs["groups"]?.double() ?? 1
            guard let groups = Int(exactly: value) else { throw GoldenError("\(name): groups \(value) is not an integer") }
            return ["y": try conv2d(x(), input(inputs, "weight", name), bias: inputs["bias"],
                                    stride: attrs["stride"]?.size2() ?? 1, padding: attrs["padding"]?.size2() ?? 0,
                                    dilation: attrs["dilation"]?.size2() ?? 1, groups: groups)]
        case .maxPool2d, .avgPool2d:
            try allow(attrs, ["kernel", "stride", "padding", "count_include_pad", "ceil_mode", "dilation"], name: name)
            let ceilMode = try attrs["ceil_mode"]?.bool() ?? false
            if ceilMode && op == .avgPool2d { throw GoldenError("\(name): ceil_mode is not supported for average pooling") }
            if let d = attrs["dilation"], try d.size2() != Size2(1) { throw GoldenError("\(name): dilation is not supported") }
            let kernel = try attrs.required("kernel").size2()
            let stride = try attrs["stride"]?.size2(), padding = try attrs["padding"]?.size2() ?? 0
            if op == .maxPool2d {
                return ["y": try maxPool2d(x(), kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)]
            }
            let include = try attrs["count_include_pad"]?.bool() ?? true
            return ["y": try avgPool2d(x(), kernel: kernel, stride: stride, padding: padding, countIncludePad: include)]
        case .adaptiveAvgPool2d:
            try allow(attrs, ["output_size"], name: name)
            return ["y": try adaptiveAvgPool2d(x(), outputSize: attrs.required("output_size").size2())]
        case .globalAvgPool2d:
            try allow(attrs, [], name: name)
            return ["y": try globalAvgPool2d(x())]
        case .linear:
            try allow(attrs, [], name: name)
            return ["y": try linear(x(), weight: input(inputs, "weight", name), bias: inputs["bias"])]
        case .relu, .sigmoid, .tanh:
            try allow(attrs, [], name: name)
            let t = try x()
            return ["y": op == .relu ? try t.relu() : op == .sigmoid ? t.sigmoid() : t.tanh()]
        case .hardswish, .hardsigmoid, .silu, .relu6:
            try allow(attrs, [], name: name)
            let t = try x()
            return ["y": op == .hardswish ? t.hardswish() : op == .hardsigmoid ? t.hardsigmoid() : op == .silu ? t.silu() : t.relu6()]
        case .erf:
            try allow(attrs, [], name: name)
            return ["y": try x().erf()]
        case .gelu:
            try allow(attrs, ["approximate"], name: name)
            let value = attrs["approximate"]?.string ?? "none"
            guard let approximate = GELUApproximation(rawValue: value) else {
                throw GoldenError("\(name): unknown approximate \"\(value)\"")
            }
            return ["y": try x().gelu(approximate: approximate)]
        case .layerNorm:
            try allow(attrs, ["axis", "eps"], name: name)
            return ["y": try layerNorm(x(), axis: integer("axis", -1), weight: inputs["weight"], bias: inputs["bias"],
                                       eps: float("eps", 1e-5))]
        case .channelShuffle:
            try allow(attrs, ["groups"], name: name)
            return ["y": try channelShuffle(x(), groups: integer("groups", 1))]
        case .leakyRelu:
            try allow(attrs, ["negative_slope"], name: name)
            return ["y": try x().leakyRelu(negativeSlope: float("negative_slope", 0.01))]
        case .softmax, .logSoftmax:
            try allow(attrs, ["dim"], name: name)
            let dim = Int(try attrs["dim"]?.double() ?? 1)
            return ["y": op == .softmax ? try x().softmax(dim: dim) : try x().logSoftmax(dim: dim)]
        case .batchNorm2d, .batchNorm1d:
            try allow(attrs, ["training", "momentum", "eps", "running_mean_in", "running_var_in"], name: name)
            let input = try x()
            let c = input.shape.count > 1 ? input.shape[1] : 0
            let mean = try attrs["running_mean_in"]?.tensor() ?? Tensor.zeros([c])
            let variance = try attrs["running_var_in"]?.tensor() ?? Tensor.ones([c])
            let y = try batchNorm(input, weight: inputs["weight"], bias: inputs["bias"], runningMean: mean,
                                  runningVar: variance, training: attrs["training"]?.bool() ?? true,
                                  momentum: float("momentum", 0.1), eps: float("eps", 1e-5))
            return ["y": y, "running_mean": mean, "running_var": variance]
        case .localResponseNorm:
            try allow(attrs, ["size", "alpha", "beta", "k"], name: name)
            return ["y": try localResponseNorm(x(), size: Int(try attrs.required("size").double()),
                                               alpha: float("alpha", 1e-4), beta: float("beta", 0.75), k: float("k", 1))]
        case .crossEntropy:
            try allow(attrs, ["reduction", "label_smoothing"], name: name)
            return ["y": try crossEntropy(input(inputs, "logits", name), labels: classLabels(),
                                          labelSmoothing: float("label_smoothing", 0), reduction: reduction(attrs, name))]
        case .focalLoss:
            try allow(attrs, ["reduction", "gamma"], name: name)
            return ["y": try focalLoss(input(inputs, "logits", name), labels: classLabels(),
                                       gamma: float("gamma", 2), reduction: reduction(attrs, name))]
        case .nllLoss:
            try allow(attrs, ["reduction"], name: name)
            let logProbs = try inputs["log_probs"] ?? input(inputs, "x", name)
            return ["y": try nllLoss(logProbs, labels: classLabels(), reduction: reduction(attrs, name))]
        case .mseLoss:
            try allow(attrs, ["reduction"], name: name)
            return ["y": try mseLoss(x(), input(inputs, "target", name), reduction: reduction(attrs, name))]
        case .flatten:
            try allow(attrs, ["start_dim"], name: name)
            return ["y": try flatten(x(), startDim: Int(try attrs["start_dim"]?.double() ?? 1))]
        case .add:
            try allow(attrs, [], name: name)
            return ["y": try add(input(inputs, "a", name), input(inputs, "b", name))]
        case .mul:
            // x · scale, broadcasting (squeeze-and-excitation's [N, C, 1, 1] scale).
            try allow(attrs, [], name: name)
            return ["y": try x() * input(inputs, "scale", name)]
        case .concat:
            try allow(attrs, ["dim"], name: name)
            let parts = try inputs.keys.sorted().map { try input(inputs, $0, name) }
            return ["y": try concat(parts, dim: Int(try attrs["dim"]?.double() ?? 1))]
        case .convMaxPoolReLU:
            try allow(attrs, ["padding"], name: name)
            return ["y": try conv2dMaxPoolReLU(x(), input(inputs, "weight", name), bias: inputs["bias"],
                                               padding: attrs["padding"]?.size2() ?? 0, path: convPoolReLUPath)]
        default:
            throw GoldenError("\(name): no golden runner for \(op.rawValue)")
        }
    }
}
