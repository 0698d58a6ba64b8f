import CDNNL

/// Matrix products through oneDNN's `dnnl_sgemm`, which runs on the same OpenMP threads as the
/// oneDNN convolutions. Keeping every parallel kernel of a training step on one thread pool
/// matters on few cores: with OpenBLAS's own pthread pool beside OpenMP's, each pool's idle
/// threads spin while the other works (measured: ~30 % of a LeNet-5 epoch spent spinning).
enum OneDNNGemm: GemmKernels {
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws {
        if m == 0 || n == 0 { return }
        // dnnl_sgemm is row-major: C = alpha·op(A)·op(B) + beta·C, op = 'N' or 'T'.
        let status = dnnl_sgemm(CChar(UInt8(ascii: transA ? "T" : "N")), CChar(UInt8(ascii: transB ? "T" : "N")),
                                Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        try dnnlCheck(status, "sgemm", "\(m)×\(k) · \(k)×\(n)")
    }
}
