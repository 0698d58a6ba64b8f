import Foundation

/// Which CPU implementation runs the operators that have kernels (convolution, pooling, batch
/// norm, ReLU, `+`, matrix products).
///
/// Both compute the same function and are tested against the PyTorch cases and each other.
public enum ComputeBackend: String, Sendable, CaseIterable {
    /// Readable im2col/col2im + BLAS GEMM and plain loops, line by line as in the lecture.
    case reference
    /// oneDNN primitives (what PyTorch uses on CPU), cached per shape. The default.
    case oneDNN = "onednn"
}

/// Process-wide settings of the compute backends.
public enum Backend {
    nonisolated(unsafe) static var processDefault: ComputeBackend = .oneDNN
    @TaskLocal static var scoped: ComputeBackend?
    nonisolated(unsafe) static var threadCount: Int = 0

    /// The backend that operations use now: the one chosen by an enclosing ``with(_:_:)``,
    /// else the process-wide default (``ComputeBackend/oneDNN`` unless set).
    public static var current: ComputeBackend {
        get { scoped ?? processDefault }
        set { processDefault = newValue }
    }

    /// Runs `body` with `backend` selected for the current task, then restores the previous one.
    public static func with<R>(_ backend: ComputeBackend, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(backend, operation: body)
    }

    /// Number of threads that BLAS and oneDNN each use (they run one after the other, never
    /// at the same time, so both may use every core without fighting).
    public static var threads: Int {
        threadCount > 0 ? threadCount : ProcessInfo.processInfo.activeProcessorCount
    }

    /// Sets the thread count of OpenBLAS and of oneDNN's OpenMP runtime (`--threads`).
    public static func setThreads(_ n: Int) throws {
        try require(n >= 1, "threads", "thread count \(n) must be at least 1")
        // More threads than 4 per core only adds contention (and beyond Int32 would trap in the C calls).
        let limit = 4 * ProcessInfo.processInfo.activeProcessorCount
        try require(n <= limit, "threads", "thread count \(n) is more than 4 per core (at most \(limit) here)")
        threadCount = n
        BLAS.setThreads(n)
        OpenMP.setThreads(n)
    }
}

/// Each backend's kernels: the one place that maps a ``ComputeBackend`` to implementations.
extension ComputeBackend {
    var convolution: any ConvolutionKernels.Type {
        switch self {
        case .reference: ReferenceConvolution.self
        case .oneDNN: OneDNNConvolution.self
        }
    }

    var pooling: any PoolingKernels.Type {
        switch self {
        case .reference: ReferencePooling.self
        case .oneDNN: OneDNNPooling.self
        }
    }

    var batchNorm: any BatchNormKernels.Type {
        switch self {
        case .reference: ReferenceBatchNorm.self
        case .oneDNN: OneDNNBatchNorm.self
        }
    }

    var activation: any ActivationKernels.Type {
        switch self {
        case .reference: ReferenceActivation.self
        case .oneDNN: OneDNNActivation.self
        }
    }

    var elementwise: any ElementwiseKernels.Type {
        switch self {
        case .reference: ReferenceElementwise.self
        case .oneDNN: OneDNNElementwise.self
        }
    }

    var concatenation: any ConcatKernels.Type {
        switch self {
        case .reference: ReferenceConcat.self
        case .oneDNN: OneDNNConcat.self
        }
    }

    /// The fused first-block kernel, where the backend has one (the reference backend computes
    /// every operation on its own).
    var fusedBlock: (any FusedBlockKernels.Type)? {
        switch self {
        case .reference: nil
        case .oneDNN: FusedConvPoolReLU.self
        }
    }

    /// Fused inference convolutions for frozen models, where the backend has them (the reference
    /// backend runs a frozen model's operations one by one).
    var inferenceConvolution: (any InferenceConvolutionKernels.Type)? {
        switch self {
        case .reference: nil
        case .oneDNN: OneDNNInferenceConvolution.self
        }
    }

    var gemm: any GemmKernels.Type {
        switch self {
        case .reference: ReferenceGemm.self
        case .oneDNN: OneDNNGemm.self
        }
    }
}
