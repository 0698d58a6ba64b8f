import Foundation

/// A forward pass compiled for inference: its ``Graph``, traced once per input shape, run as
/// steps: batch norm folded into convolutions, residual sums and ReLUs fused into them as oneDNN
/// post-ops, weights reordered once, activations left in oneDNN's layouts from one step to the
/// next, and every other node run by the dispatcher with its kernel. The Swift forward function
/// runs only to trace a shape, never again for that shape.
///
/// Made from any forward function built from this library's operators (a module's
/// `callAsFunction`: see `Module.frozen()`). The first batch of a shape is traced (an eager pass),
/// then run through the plan, and the two results compared: a plan that does not reproduce the
/// eager result is dropped for that shape (the pass then stays eager, and ``notes`` says why); one
/// that does returns its own result, so that every batch of a shape is computed the same way.
///
/// A forward pass whose operations depend on its input's values (a Python-style `if` on a sum, a
/// constant computed from the data) cannot be a graph: when the shape is planned, it is traced
/// twice more, on the batch negated and on seeded noise of the batch's mean and spread, and if any
/// trace differs from the first the shape runs eagerly, every batch through the Swift forward
/// function, and ``notes`` says where the traces differ. (A branch that all three inputs take
/// alike goes unseen: freeze only models whose operations do not depend on the data.)
/// Inputs, weights or batch-norm statistics holding NaN or ±infinity take the eager pass too,
/// since oneDNN's fused ReLU turns NaN into 0 where PyTorch keeps it.
public final class FrozenForward: @unchecked Sendable {
    private let forward: (Tensor) throws -> Tensor
    private let layout: FrozenLayout
    private let precision: InferencePrecision
    private let lock = NSLock()
    /// Guarded by `lock`: per input shape, the plan and its steps, or nil when that shape runs eagerly.
    private var compiled: [[Int]: Compiled?] = [:]
    private var messages: [String] = []
    /// Guarded by `lock`: per input shape, the arenas no pass is using, and the memory plan in force.
    private var idleArenas: [[Int]: [ActivationArena]] = [:]
    private var memory: [[Int]: ActivationMemory] = [:]

    private struct Compiled {
        let plan: InferencePlan
        let steps: [Int: any InferenceConvolution]
        let layout: InferenceLayout
    }

    /// - Parameters:
    ///   - layout: the fused convolutions' activation layout, or `.fastest` to time both on the
    ///     first batch of each shape and keep the faster.
    ///   - precision: what the fused convolutions multiply in (``InferencePrecision``).
    ///   - forward: the eager forward pass (in evaluation mode, deterministic in its calls).
    public init(layout: FrozenLayout = .fastest, precision: InferencePrecision = .float32,
                _ forward: @escaping (Tensor) throws -> Tensor) {
        self.layout = layout
        self.precision = precision
        self.forward = forward
    }

    /// What planning did per input shape (fusions made, or why a shape runs eagerly).
    public var notes: [String] { lock.withLock { messages } }

    /// The planned activation memory of passes on inputs of `shape`, once a pass has been planned
    /// (from the second batch of that shape on; nil for a shape that runs eagerly).
    public func activationMemory(for shape: [Int]) -> ActivationMemory? { lock.withLock { memory[shape] } }

    /// The model's output for `x`, without gradients.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try withNoGrad {
            guard x.allFinite else { return try forward(x) }
            switch lock.withLock({ compiled[x.shape] }) {
            case .some(.some(let ready)): return try run(ready, x)
            case .some(.none): return try forward(x)
            case .none: return try compile(x)
            }
        }
    }

    /// Traces `x`'s shape, plans it, checks the plan on `x`, and returns the plan's result (so that
    /// every batch of a shape is computed alike), or the eager one when the shape runs eagerly.
    private func compile(_ x: Tensor) throws -> Tensor {
        let (graph, eager) = try Graph.tracing(parameters: [], input: x, forward)
        var outcome: Compiled?, output: Tensor?, note: String
        if let graph, case .node = graph.output {
            if let dependence = try graph.dependence(of: forward, at: x) {
                note = "the forward pass depends on its input's values: \(dependence)"
            } else {
                let plan = InferencePlan(graph)
                (outcome, output, note) = try checkedPlan(plan, x, eager)
                if outcome != nil { note = "\(plan.summary); \(note)" }
            }
        } else {
            note = "the forward pass computes nothing from its input"
        }
        lock.withLock {
            compiled[x.shape] = outcome
            messages.append("input \(describe(x.shape)): " + (outcome != nil ? note : "runs eagerly (\(note))"))
        }
        return output ?? eager
    }

    /// The plan with its fused steps when they reproduce `eager` on `x` (in the faster layout when
    /// both are tried), its output on `x` and which layout it uses and why; else nil and why not.
    private func checkedPlan(_ plan: InferencePlan, _ x: Tensor, _ eager: Tensor) throws -> (Compiled?, Tensor?, String) {
        guard !plan.chains.isEmpty else { return (nil, nil, "no convolution to fuse") }
        guard let kernels = Backend.current.inferenceConvolution else {
            return (nil, nil, "the \(Backend.current.rawValue) backend has no fused inference kernels")
        }
        var folded: [Int: (weight: Tensor, bias: Tensor)] = [:]
        for (index, chain) in plan.chains {
            let (weight, bias) = Self.foldedWeights(chain)
            // A fused ReLU turns NaN into 0 where PyTorch keeps it: such weights stay eager.
            guard weight.allFinite && bias.allFinite else { return (nil, nil, "weights or batch-norm statistics hold NaN or infinity") }
            folded[index] = (weight, bias)
        }
        var candidates: [(plan: Compiled, output: Tensor)] = [], refusal = ""
        for layout in layout.candidates {
            var steps: [Int: any InferenceConvolution] = [:]
            let frozen: Tensor
            do {
                for (index, chain) in plan.chains {
                    steps[index] = try kernels.make(chain.geometry, weight: folded[index]!.weight, bias: folded[index]!.bias,
                                                    sum: chain.residual != nil, relu: chain.relu, layout: layout,
                                                    precision: precision)
                }
                frozen = try plan.run(x, steps: steps)
            } catch let error as ConvNetError {
                // A fused step the backend cannot make here (bfloat16 on a CPU without it, say).
                let what = precision == .float32 ? "" : "\(precision.rawValue) convolutions unavailable here, "
                refusal = "\(what)\(layout.rawValue) layout: \(error.message)"
                continue
            }
            let candidate = Compiled(plan: plan, steps: steps, layout: layout)
            if let mismatch = Self.mismatch(frozen, eager, tolerance: precision == .float32 ? 1e-3 : 1e-1) {
                refusal = "the plan's output differs (\(layout.rawValue) layout): \(mismatch)"
                continue
            }
            candidates.append((candidate, frozen))
        }
        guard !candidates.isEmpty else { return (nil, nil, refusal) }
        if candidates.count == 1 { return (candidates[0].plan, candidates[0].output, "\(candidates[0].plan.layout.rawValue) layout") }
        let (chosen, why) = try fastest(candidates.map(\.plan), x)
        return (candidates[chosen].plan, candidates[chosen].output, why)
    }

    /// The index of the candidate whose passes on `x` take least time, and the times that chose it:
    /// passes alternate between the candidates (at least 3 each, more while they take under 0.3 s
    /// in all, at most 15), medians compared.
    private func fastest(_ candidates: [Compiled], _ x: Tensor) throws -> (Int, String) {
        var times = [[Double]](repeating: [], count: candidates.count)
        let start = DispatchTime.now().uptimeNanoseconds
        var rounds = 0
        repeat {
            for (i, candidate) in candidates.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try candidate.plan.run(x, steps: candidate.steps)
                times[i].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            rounds += 1
        } while rounds < 3 || (rounds < 15 && DispatchTime.now().uptimeNanoseconds - start < 300_000_000)
        let medians = times.map { $0.sorted()[$0.count / 2] }
        let best = medians.indices.min { medians[$0] < medians[$1] }!
        let others = candidates.indices.filter { $0 != best }
            .map { String(format: "%.2f ms %@", medians[$0], candidates[$0].layout.rawValue) }.joined(separator: ", ")
        return (best, String(format: "%@ layout, the faster on this shape (median %.2f ms a pass against %@, %d passes each)",
                             candidates[best].layout.rawValue, medians[best], others, rounds))
    }

    /// `x` through the plan, its activations in an arena of the shape's.
    private func run(_ ready: Compiled, _ x: Tensor) throws -> Tensor {
        try withArena(for: x.shape) { try ready.plan.run(x, steps: ready.steps) }
    }

    /// `body` (one pass) with its tensors in an arena of `shape`'s: planned from the pass before,
    /// recorded to plan the next one.
    private func withArena(for shape: [Int], _ body: () throws -> Tensor) throws -> Tensor {
        let arena = lock.withLock { idleArenas[shape]?.popLast() } ?? ActivationArena()
        arena.beginPass()
        var completed = false
        defer {
            let replanned = arena.endPass(completed: completed)
            lock.withLock {
                idleArenas[shape, default: []].append(arena)
                if let replanned {
                    let report = ActivationMemory(replanned)
                    if memory[shape] == nil { messages.append("input \(describe(shape)): activations \(report)") }
                    memory[shape] = report
                }
            }
        }
        let result = try StorageProvision.$current.withValue(arena) { try body() }
        completed = true
        return result
    }

    /// The chain's convolution weights with its batch norm folded in (or as they are, with a zero bias).
    private static func foldedWeights(_ chain: InferencePlan.Chain) -> (Tensor, Tensor) {
        if let bn = chain.batchNorm {
            return BatchNormFolding.fold(weight: chain.weight, bias: chain.bias, gamma: bn.weight, beta: bn.bias,
                                         mean: bn.mean, variance: bn.variance, eps: bn.eps)
        }
        return (chain.weight.copy(), chain.bias?.copy() ?? Tensor.zeros([chain.geometry.outChannels]))
    }

    /// Why `frozen` is not `eager` up to rounding (|a − b| ≤ tolerance·max(1, max|b|)), or nil: a
    /// check against plans that compute something else, loose enough for bfloat16's rounding.
    private static func mismatch(_ frozen: Tensor, _ eager: Tensor, tolerance: Float) -> String? {
        guard frozen.shape == eager.shape else { return "shape \(describe(frozen.shape)) against \(describe(eager.shape))" }
        let (a, b) = (frozen.scalars, eager.scalars)
        let scale = max(1, b.lazy.map(abs).max() ?? 0)
        let worst = zip(a, b).lazy.map { abs($0 - $1) }.max() ?? 0
        return worst <= tolerance * scale ? nil : "largest difference \(worst) for values up to \(scale)"
    }
}
