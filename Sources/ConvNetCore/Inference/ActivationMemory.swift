import Foundation

/// How much memory a frozen model's pass needs for its activations (every tensor the pass
/// allocates: layer outputs and the operators' temporaries), as planned for one input shape.
public struct ActivationMemory: Sendable, Equatable, CustomStringConvertible {
    /// Bytes of the one block that holds a pass's activations, each at its planned offset.
    public let plannedBytes: Int
    /// Bytes of all the tensors a pass allocates, added up: what it would need if no memory were reused.
    public let totalBytes: Int
    /// The most bytes alive at once during the pass (the least any plan could use).
    public let peakLiveBytes: Int
    /// Tensors a pass allocates.
    public let tensors: Int
    /// Of those, the ones that outlive the pass (its output, or tensors the model keeps), which are
    /// allocated as usual rather than planned.
    public let outliving: Int

    init(_ plan: MemoryPlan) {
        plannedBytes = plan.blockBytes
        totalBytes = plan.totalBytes
        peakLiveBytes = plan.peakLiveBytes
        tensors = plan.counts.count
        outliving = plan.offsets.filter { $0 == nil }.count
    }

    public var description: String {
        func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        return "planned into \(mb(plannedBytes)) for \(tensors) tensors (\(mb(totalBytes)) if none shared memory; "
            + "at most \(mb(peakLiveBytes)) alive at once; \(outliving) outlive the pass)"
    }
}
