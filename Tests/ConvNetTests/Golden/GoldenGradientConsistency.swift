import ConvNet

/// Checks model-case gradients when the file gives d(loss)/dθ for loss = Σ output·upstream but
/// leaves out the upstream tensor (models.json's ResNet block).
///
/// The wanted gradient must then be Jᵀu for our Jacobian J = d(output)/dθ and some upstream u.
/// We build J row by row (one backward pass per output element that is not clamped to 0 by the
/// final ReLU), solve the least-squares problem min_u ‖Jᵀu − g‖ (θ has ~2.5× more entries than
/// the unknowns, so the system is strongly over-determined), and require the residual to vanish
/// to the models' tolerance and Σ output·u to reproduce `loss_value`. A wrong backward rule
/// makes g fall outside the range of Jᵀ and leaves a large residual.
enum GoldenGradientConsistency {
    static func check(_ c: GoldenValue, name: String, output: Tensor, parameters: [String: Tensor],
                      backend: ComputeBackend) throws -> [String] {
        if let upstream = c["upstream"] {
            // A file that does carry the upstream is checked directly.
            return try direct(c, name: name, output: output, upstream: upstream.tensor(), parameters: parameters, backend: backend)
        }
        let gradsJSON = try c.required("grads")
        let keys = gradsJSON.keys
        let wanted = try keys.map { try gradsJSON.required($0).tensor() }
        let params = try keys.map { key -> Tensor in
            guard let t = parameters[key] else { throw GoldenError("\(name): gradient for unknown parameter \(key)") }
            return t
        }
        let g = wanted.flatMap { $0.scalars.map(Double.init) }
        let y = output.scalars
        let active = y.indices.filter { y[$0] > 0 }
        // Rows of J for the active outputs, each the concatenated parameter gradients.
        var rows: [[Double]] = []
        for i in active {
            var e = [Float](repeating: 0, count: y.count)
            e[i] = 1
            let grads = try Backend.with(backend) {
                try gradients(of: output, withRespectTo: params, upstream: Tensor(shape: output.shape, scalars: e), retainGraph: true)
            }
            rows.append(grads.flatMap { $0.scalars.map(Double.init) })
        }
        let m = rows.count
        guard m > 0 else { return ["\(name): every output is zero; gradients cannot be checked"] }
        // Normal equations (J Jᵀ) u = J g, with a tiny ridge for numerical safety.
        var a = [Double](repeating: 0, count: m * m), b = [Double](repeating: 0, count: m)
        for r in 0..<m {
            for s in r..<m {
                var dot = 0.0
                for k in 0..<g.count { dot += rows[r][k] * rows[s][k] }
                a[r * m + s] = dot
                a[s * m + r] = dot
            }
            var dot = 0.0
            for k in 0..<g.count { dot += rows[r][k] * g[k] }
            b[r] = dot
        }
        let trace = (0..<m).reduce(0.0) { $0 + a[$1 * m + $1] }
        for r in 0..<m { a[r * m + r] += 1e-12 * trace / Double(m) }
        guard let u = solveSymmetric(a, b, m) else { return ["\(name): gradient system is singular"] }

        var failures: [String] = []
        var offset = 0
        for (key, want) in zip(keys, wanted) {
            var recon = [Float](repeating: 0, count: want.count)
            for k in 0..<want.count {
                var s = 0.0
                for r in 0..<m { s += rows[r][offset + k] * u[r] }
                recon[k] = Float(s)
            }
            offset += want.count
            if let f = GoldenCompare.relativeToLargest("\(name) grad \(key) (as Jᵀu)", got: try Tensor(shape: want.shape, scalars: recon), want: want) {
                failures.append(f)
            }
        }
        let loss = zip(active, u).reduce(0.0) { $0 + Double(y[$1.0]) * $1.1 }
        let wantLoss = try c.required("loss_value").double()
        if !(abs(loss - wantLoss) <= 1e-3 * max(abs(wantLoss), 1)) {
            failures.append("\(name): Σ output·upstream = \(loss) for the recovered upstream, expected \(wantLoss)")
        }
        return failures
    }

    private static func direct(_ c: GoldenValue, name: String, output: Tensor, upstream: Tensor,
                               parameters: [String: Tensor], backend: ComputeBackend) throws -> [String] {
        let gradsJSON = try c.required("grads")
        let keys = gradsJSON.keys
        let params = try keys.map { key -> Tensor in
            guard let t = parameters[key] else { throw GoldenError("\(name): gradient for unknown parameter \(key)") }
            return t
        }
        let grads = try Backend.with(backend) { try gradients(of: output, withRespectTo: params, upstream: upstream) }
        return try zip(keys, grads).compactMap { key, got in
            GoldenCompare.relativeToLargest("\(name) grad \(key)", got: got, want: try gradsJSON.required(key).tensor())
        }
    }

    /// Solves the symmetric positive-definite system a·x = b by Cholesky factorisation.
    private static func solveSymmetric(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = b[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }
            x[i] = s / l[i * n + i]
        }
        return x
    }
}
