import ConvNet

/// Runs the optimizer cases of optimizers.json: a parameter, fixed gradients, and the parameter
/// after each step.
enum GoldenOptimizerRunner {
    static func check(_ c: GoldenValue) throws -> [String] {
        let name = c["name"]?.string ?? c.path
        let attrs = c["attrs"] ?? GoldenValue([String: Any](), path: c.path + ".attrs")
        let known: Set<String> = ["lr", "momentum", "nesterov", "weight_decay", "betas", "eps", "dampening"]
        for key in attrs.keys where !known.contains(key) { throw GoldenError("\(name): unsupported attribute \"\(key)\"") }
        if let d = attrs["dampening"], try d.double() != 0 { throw GoldenError("\(name): dampening is not supported") }
        let param = try c.required("initial").tensor(requiresGrad: true)
        let lr = Float(try attrs.required("lr").double())
        let wd = Float(try attrs["weight_decay"]?.double() ?? 0)
        let betasRaw = attrs["betas"]?.raw as? [Double] ?? [0.9, 0.999]
        let betas = (Float(betasRaw[0]), Float(betasRaw[1]))
        let eps = Float(try attrs["eps"]?.double() ?? 1e-8)
        let optimizer: any Optimizer
        switch c["optimizer"]?.string {
        case "sgd":
            optimizer = try SGD(parameters: [param], learningRate: lr, momentum: Float(try attrs["momentum"]?.double() ?? 0),
                                nesterov: try attrs["nesterov"]?.bool() ?? false, weightDecay: wd)
        case "adam":
            optimizer = try Adam(parameters: [param], learningRate: lr, betas: betas, epsilon: eps, weightDecay: wd)
        case "adamw":
            optimizer = try AdamW(parameters: [param], learningRate: lr, betas: betas, epsilon: eps, weightDecay: wd)
        case let other:
            throw GoldenError("\(name): unknown optimizer \(other ?? "(none)")")
        }
        guard let grads = c["grads"]?.raw as? [Any], let after = c["after_each_step"]?.raw as? [Any], grads.count == after.count else {
            throw GoldenError("\(name): \"grads\" and \"after_each_step\" must be lists of equal length")
        }
        var failures: [String] = []
        for step in grads.indices {
            param.grad = try GoldenValue(grads[step], path: "\(name).grads[\(step)]").tensor()
            try optimizer.step()
            let want = try GoldenValue(after[step], path: "\(name).after_each_step[\(step)]").tensor()
            if let f = GoldenCompare.relativeToLargest("\(name) step \(step + 1)", got: param.detached(), want: want) {
                failures.append(f)
            }
        }
        return failures
    }
}
