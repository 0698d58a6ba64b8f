#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// Single-precision GEMM from the platform BLAS (OpenBLAS on Linux, Accelerate on macOS).
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb),
                    beta, c, blasInt(ldc))
    }

    /// Sets the BLAS library's own thread count.
    public static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    #if canImport(Accelerate)
    @inline(__always) static func blasInt(_ x: Int) -> Int32 { Int32(x) }
    #else
    @inline(__always) static func blasInt(_ x: Int) -> blasint { blasint(x) }
    #endif
}
