extension Tensor {
    /// Reverse-mode autodiff from this tensor: adds d(self)/d(leaf) to the ``grad`` of every leaf
    /// that requires a gradient (accumulating, like PyTorch, until the gradients are zeroed).
    ///
    /// - Parameters:
    ///   - upstream: d(L)/d(self); may be omitted for a one-element tensor (it is then 1).
    ///   - retainGraph: keep the recorded graph so that backward can run through it again.
    /// - Throws: ``ConvNetError`` if `self` does not require a gradient, or `upstream` has the wrong shape.
    public func backward(_ upstream: Tensor? = nil, retainGraph: Bool = false) throws {
        try backward(upstream, retainGraph: retainGraph, gradientReady: nil)
    }

    /// ``backward(_:retainGraph:)`` that also tells `gradientReady` about each leaf as soon as its
    /// ``grad`` is final, while the rest of the pass still runs (PyTorch's gradient-accumulation
    /// hooks): a data-parallel trainer starts sending a group of gradients as soon as the group
    /// is complete. A leaf reached by no path from `self` is not reported (its gradient is unchanged).
    ///
    /// A leaf's gradient is final when the walk reaches it: every operation that read it comes later
    /// in topological order, so its gradient has been summed from all of them.
    public func backward(_ upstream: Tensor? = nil, retainGraph: Bool = false,
                         gradientReady: ((Tensor) throws -> Void)?) throws {
        _ = try Autodiff.propagate(from: self, upstream: upstream, retainGraph: retainGraph, keep: nil) { leaf, g in
            leaf.accumulateGrad(g)
            try gradientReady?(leaf)
        }
    }
}

/// Gradients of `output` with respect to each of `inputs`, leaves or intermediate tensors,
/// from one backward pass (`torch.autograd.grad`). Leaves' ``Tensor/grad`` is left untouched.
///
/// A tensor that `output` does not depend on gets a zero gradient.
public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], upstream: Tensor? = nil,
                      retainGraph: Bool = false) throws -> [Tensor] {
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    let grads = try Autodiff.propagate(from: output, upstream: upstream, retainGraph: retainGraph, keep: wanted)
    var byID: [ObjectIdentifier: Tensor] = [:]
    for (t, g) in grads { byID[ObjectIdentifier(t)] = g }
    return inputs.map { byID[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}

enum Autodiff {
    /// Walks the recorded graph from `root` in reverse topological order, summing gradients
    /// where a tensor feeds more than one operation (a residual skip).
    /// Returns the gradient of each leaf requiring one, plus of each tensor in `keep`.
    /// With `leafReady`, each leaf's gradient goes there as soon as it is final, not into the result.
    static func propagate(from root: Tensor, upstream: Tensor?, retainGraph: Bool, keep: Set<ObjectIdentifier>?,
                          leafReady: ((Tensor, Tensor) throws -> Void)? = nil) throws -> [(Tensor, Tensor)] {
        try require(root.requiresGrad, "backward",
                    "tensor of shape \(describe(root.shape)) does not require a gradient (no input of the computation had requiresGrad set)")
        let seed: Tensor
        if let upstream {
            try require(upstream.shape == root.shape, "backward",
                        "upstream gradient shape \(describe(upstream.shape)) differs from output shape \(describe(root.shape))")
            seed = upstream
        } else {
            try require(root.count == 1, "backward",
                        "an upstream gradient is needed for a non-scalar output of shape \(describe(root.shape))")
            seed = Tensor.ones(root.shape)
        }

        // Backward rules compute with plain tensor operations; they are not themselves recorded.
        return try withNoGrad { try run(root: root, seed: seed, retainGraph: retainGraph, keep: keep, leafReady: leafReady) }
    }

    private static func run(root: Tensor, seed: Tensor, retainGraph: Bool, keep: Set<ObjectIdentifier>?,
                            leafReady: ((Tensor, Tensor) throws -> Void)?) throws -> [(Tensor, Tensor)] {
        let order = topologicalOrder(root)
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        var results: [(Tensor, Tensor)] = []
        for tensor in order.reversed() {
            let id = ObjectIdentifier(tensor)
            guard let g = grads[id] else { continue }
            if tensor.isLeaf, let leafReady {
                try leafReady(tensor, g)
            } else if tensor.isLeaf || keep?.contains(id) == true {
                results.append((tensor, g))
            }
            guard let node = tensor.gradFn else { continue }
            if keep == nil || !(keep!.contains(id)) { grads[id] = nil }  // free as soon as consumed
            let inputGrads = try node.backward(g)
            for (input, inputGrad) in zip(node.inputs, inputGrads) {
                guard let input, let inputGrad else { continue }
                let inputID = ObjectIdentifier(input)
                if let existing = grads[inputID] {
                    grads[inputID] = try existing.adding(inputGrad)
                } else {
                    grads[inputID] = inputGrad
                }
            }
            if !retainGraph { tensor.gradFn = GradNode.released(node.op) }
        }
        return results
    }

    /// Every tensor reachable from `root` through recorded operations, each after all its inputs.
    static func topologicalOrder(_ root: Tensor) -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: (tensor, index of next input to visit).
        var stack: [(Tensor, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (tensor, next) = stack.popLast() {
            let inputs = tensor.gradFn?.inputs ?? []
            if next < inputs.count {
                stack.append((tensor, next + 1))
                if let input = inputs[next], input.requiresGrad, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
            }
        }
        return order
    }
}
