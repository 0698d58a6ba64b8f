import ConvNet

/// Runs the whole-model cases of models.json with the functional operators, parameters matched
/// by their PyTorch state_dict names.
enum GoldenModelRunner {
    static func check(_ c: GoldenValue, backend: ComputeBackend) throws -> [String] {
        let name = c["name"]?.string ?? c.path
        let paramsJSON = try c.required("parameters")
        var params: [String: Tensor] = [:]
        for key in paramsJSON.keys { params[key] = try paramsJSON.required(key).tensor(requiresGrad: true) }
        func p(_ key: String) throws -> Tensor {
            guard let t = params[key] else { throw GoldenError("\(name): missing parameter \"\(key)\"") }
            return t
        }
        let x = try c.required("input").tensor()
        var failures: [String] = []
        switch name {
        case "lenet5":
            let labels = try c.required("labels").labels()
            let (logits, loss) = try Backend.with(backend) { () throws -> (Tensor, Tensor) in
                var h = try maxPool2d(conv2d(x, p("conv1.weight"), bias: p("conv1.bias"), padding: 2).relu(), kernel: 2)
                h = try maxPool2d(conv2d(h, p("conv2.weight"), bias: p("conv2.bias")).relu(), kernel: 2)
                h = try linear(flatten(h), weight: p("fc1.weight"), bias: p("fc1.bias")).relu()
                h = try linear(h, weight: p("fc2.weight"), bias: p("fc2.bias")).relu()
                let logits = try linear(h, weight: p("fc3.weight"), bias: p("fc3.bias"))
                return (logits, try crossEntropy(logits, labels: labels))
            }
            failures += compareOutputs(c, name: name, output: logits, loss: loss)
            let keys = try c.required("grads").keys
            let grads = try Backend.with(backend) { try gradients(of: loss, withRespectTo: keys.map(p)) }
            for (key, got) in zip(keys, grads) {
                if let f = GoldenCompare.relativeToLargest("\(name) grad \(key)", got: got, want: try c.required("grads").required(key).tensor()) {
                    failures.append(f)
                }
            }
        case "resnet_basic_block_downsample":
            var buffers: [String: Tensor] = [:]
            func bn(_ h: Tensor, _ prefix: String) throws -> Tensor {
                let c = h.shape[1]
                let mean = Tensor.zeros([c]), variance = Tensor.ones([c])
                buffers[prefix + ".running_mean"] = mean
                buffers[prefix + ".running_var"] = variance
                return try batchNorm(h, weight: p(prefix + ".weight"), bias: p(prefix + ".bias"),
                                     runningMean: mean, runningVar: variance, training: true)
            }
            let expectedOut = try c.required("output").tensor()
            let stride = Size2(x.shape[2] / expectedOut.shape[2])
            let out = try Backend.with(backend) { () throws -> Tensor in
                var h = try bn(conv2d(x, p("conv1.weight"), stride: stride, padding: 1), "bn1").relu()
                h = try bn(conv2d(h, p("conv2.weight"), padding: 1), "bn2")
                let shortcut = try bn(conv2d(x, p("shortcut.0.weight"), stride: stride), "shortcut.1")
                return try (h + shortcut).relu()
            }
            if let f = GoldenCompare.relativeToLargest("\(name) output", got: out, want: expectedOut) { failures.append(f) }
            let expectedBuffers = try c.required("buffers_after")
            for key in expectedBuffers.keys {
                guard let got = buffers[key] else { failures.append("\(name): no buffer \(key)"); continue }
                if let f = GoldenCompare.relativeToLargest("\(name) buffer \(key)", got: got, want: try expectedBuffers.required(key).tensor()) {
                    failures.append(f)
                }
            }
            // loss = Σ output·upstream with the case's upstream: its value, then d(loss)/dθ directly.
            let upstream = try c.required("upstream").tensor()
            guard upstream.shape == out.shape else {
                throw GoldenError("\(name): upstream has shape \(upstream.shape), the output \(out.shape)")
            }
            let loss = zip(out.scalars, upstream.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let wantLoss = try c.required("loss_value").double()
            if !(abs(loss - wantLoss) <= 1e-4 * max(abs(wantLoss), 1e-6)) {
                failures.append("\(name): Σ output·upstream = \(loss), expected \(wantLoss)")
            }
            let gradsJSON = try c.required("grads")
            let keys = gradsJSON.keys
            let grads = try Backend.with(backend) { try gradients(of: out, withRespectTo: keys.map(p), upstream: upstream) }
            for (key, got) in zip(keys, grads) {
                if let f = GoldenCompare.relativeToLargest("\(name) grad \(key)", got: got, want: try gradsJSON.required(key).tensor()) {
                    failures.append(f)
                }
            }
        default:
            throw GoldenError("\(name): unknown model case")
        }
        return failures
    }

    private static func compareOutputs(_ c: GoldenValue, name: String, output: Tensor, loss: Tensor) -> [String] {
        var failures: [String] = []
        do {
            if let f = GoldenCompare.relativeToLargest("\(name) output", got: output, want: try c.required("output").tensor()) {
                failures.append(f)
            }
            let want = try c.required("loss_value").double()
            let got = Double(try loss.item())
            if !(abs(got - want) <= 1e-4 * max(abs(want), 1e-6)) { failures.append("\(name) loss = \(got), expected \(want)") }
        } catch {
            failures.append("\(name): \(error)")
        }
        return failures
    }
}
