import ConvNet
import Testing

/// Finite-difference gradient checking: compares the hand-derived backward pass with central
/// differences (f(x + h) − f(x − h)) / 2h of L = Σ f(x)·u for a random upstream u.
enum FiniteDifference {
    /// Checks d L/d inputs[k] for every k; `f` must be deterministic.
    /// - Parameters:
    ///   - maxEntries: at most this many entries per input are perturbed (spread over the tensor).
    static func check(_ label: String, inputs: [Tensor], step h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
                      maxEntries: Int = 48, seed: UInt64 = 99, sourceLocation: SourceLocation = #_sourceLocation,
                      _ f: ([Tensor]) throws -> Tensor) throws {
        for t in inputs { t.requiresGrad = true }
        let output = try f(inputs)
        var gen = RandomGenerator(seed: seed)
        let upstream = Tensor.randn(output.shape, generator: &gen)
        let analytic = try gradients(of: output, withRespectTo: inputs, upstream: upstream)
        let u = upstream.scalars

        func loss() throws -> Double {
            let y = try withNoGrad { try f(inputs) }.scalars
            return zip(y, u).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }

        for (k, (input, grad)) in zip(inputs, analytic).enumerated() {
            #expect(grad.shape == input.shape, "\(label): gradient \(k) has shape \(grad.shape), input \(input.shape)",
                    sourceLocation: sourceLocation)
            let g = grad.scalars
            let stride = max(1, input.count / maxEntries)
            for i in Swift.stride(from: (k * 7) % stride, to: input.count, by: stride) {
                let original = input.withUnsafeBufferPointer { $0[i] }
                input.withUnsafeMutableBufferPointer { $0[i] = original + h }
                let plus = try loss()
                input.withUnsafeMutableBufferPointer { $0[i] = original - h }
                let minus = try loss()
                input.withUnsafeMutableBufferPointer { $0[i] = original }
                let numeric = Float((plus - minus) / Double(2 * h))
                let ok = abs(numeric - g[i]) <= rtol * max(abs(numeric), abs(g[i])) + atol
                #expect(ok, "\(label): d/d input\(k)[\(i)] analytic \(g[i]) vs numeric \(numeric)",
                        sourceLocation: sourceLocation)
                if !ok { return }
            }
        }
    }

    /// A random tensor whose entries are at least `gap` apart from each other and from zero,
    /// so that max, ReLU and friends have no tie or kink within the finite-difference step.
    static func separated(_ shape: [Int], gap: Float = 0.05, generator: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = (0..<n).map { Float($0 - n / 2) * gap + gap / 2 }
        values.shuffle(using: &generator)
        return try! Tensor(shape: shape, scalars: values)
    }
}
