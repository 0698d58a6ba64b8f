/// Refusing tensors that hold NaN or ±infinity where only finite values make sense (weights,
/// optimizer state), with a message that says where they are.
public enum NonFiniteValues {
    /// Counts of the values of one tensor that are not finite.
    public struct Count: Sendable, Equatable {
        public var nan = 0, infinite = 0, total = 0
        public var isEmpty: Bool { nan + infinite == 0 }
    }

    /// NaN and ±infinity in `values`.
    public static func count(_ values: UnsafeBufferPointer<Float>) -> Count {
        var c = Count(total: values.count)
        for v in values where !v.isFinite { if v.isNaN { c.nan += 1 } else { c.infinite += 1 } }
        return c
    }

    /// The named tensors that hold NaN or ±infinity, with their counts, sorted by name.
    public static func find(_ tensors: [String: Tensor]) -> [(name: String, count: Count)] {
        tensors.filter { !$0.value.allFinite }.map { name, t in (name, t.withUnsafeBufferPointer { count($0) }) }
            .sorted { $0.name < $1.name }
    }

    /// A short description: `conv1.weight (3 NaN of 150), fc.bias (1 infinite of 10)`, at most
    /// three tensors named.
    public static func describe(_ found: [(name: String, count: Count)]) -> String {
        let parts = found.prefix(3).map { name, c in
            let kinds = [c.nan > 0 ? "\(c.nan) NaN" : nil, c.infinite > 0 ? "\(c.infinite) infinite" : nil].compactMap { $0 }
            return "\(name) (\(kinds.joined(separator: " and ")) of \(c.total))"
        }
        return parts.joined(separator: ", ") + (found.count > 3 ? " and \(found.count - 3) more tensors" : "")
    }

    /// `v` as text, NaN written `NaN` whatever its sign bit (Swift writes some NaNs as `-nan`).
    public static func text(_ v: Double) -> String { v.isNaN ? "NaN" : "\(v)" }

    /// Throws when any of `tensors` holds NaN or ±infinity.
    /// - Throws: ``ConvNetError`` naming the tensors and how to accept them anyway.
    public static func refuse(_ tensors: [String: Tensor], what: String) throws {
        let found = find(tensors)
        guard !found.isEmpty else { return }
        throw ConvNetError(.numerics, op: "load", "\(what) are not finite: \(describe(found)); refusing them "
                           + "(`allowNonFinite` loads them anyway)")
    }
}
