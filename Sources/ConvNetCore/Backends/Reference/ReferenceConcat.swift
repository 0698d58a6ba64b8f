/// Concatenation as row copies over plain memory.
enum ReferenceConcat: ConcatKernels {
    static func concat(_ tensors: [Tensor], dim: Int, outputShape: [Int]) throws -> Tensor {
        let outer = outputShape[..<dim].reduce(1, *), inner = outputShape[(dim + 1)...].reduce(1, *)
        let out = Tensor(uninitializedShape: outputShape)
        let op = out.plainStorage().pointer
        let total = outputShape[dim] * inner
        var offset = 0
        for t in tensors {
            let chunk = t.shape[dim] * inner
            let tp = t.plainStorage().pointer
            for o in 0..<outer { (op + o * total + offset).update(from: tp + o * chunk, count: chunk) }
            offset += chunk
        }
        return out
    }
}
