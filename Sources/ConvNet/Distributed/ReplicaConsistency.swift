import Foundation

/// Checks that the ranks of a job train the same thing: the same options, data and program at
/// the start, and the same weights bit for bit afterwards.
public enum ReplicaConsistency {
    /// Rank 0 sends its `fields` (name, value) and every rank compares them with its own.
    /// - Throws: ``ConvNetError`` on a rank whose fields differ, naming each difference (that rank
    ///   then ends the job; the others wait in their next collective call until it does).
    public static func verify(_ fields: [(name: String, value: String)], over communicator: any Communicator) throws {
        guard communicator.size > 1 else { return }
        let mine = fields.map { [$0.name, $0.value] }
        let sent = try communicator.broadcast(try JSONEncoder().encode(mine), from: 0)
        guard let theirs = try? JSONDecoder().decode([[String]].self, from: sent), theirs.allSatisfy({ $0.count == 2 }) else {
            throw ConvNetError(op: "mpi", "rank \(communicator.rank): rank 0's description of the run is unreadable (mismatched programs?)")
        }
        let reference = Dictionary(theirs.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
        let differences = fields.compactMap { field -> String? in
            let value = reference[field.name]
            return value == field.value ? nil : "\(field.name): \(field.value) here, \(value ?? "nothing") on rank 0"
        }
        guard differences.isEmpty else {
            throw ConvNetError(op: "mpi", "rank \(communicator.rank) differs from rank 0: \(differences.joined(separator: "; ")); every rank must run the same program with the same options and data")
        }
    }

    /// A 64-bit FNV-1a hash of the tensors' bytes, in order.
    public static func fingerprint(of tensors: [Tensor]) -> UInt64 {
        var hash = fnvOffset
        for tensor in tensors { tensor.withUnsafeBufferPointer { hash = fingerprint(of: UnsafeRawBufferPointer($0), from: hash) } }
        return hash
    }

    /// A 64-bit FNV-1a hash of `bytes`, continuing from `hash` (to hash several buffers as one).
    public static func fingerprint(of bytes: UnsafeRawBufferPointer, from hash: UInt64 = fnvOffset) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// FNV-1a's starting value.
    public static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Checks that every rank holds the same `tensors` bit for bit as rank 0 (the replicas of a
    /// data-parallel run must: they start equal and take the same steps).
    /// - Throws: ``ConvNetError`` on every rank, naming how many ranks differ and `when`.
    public static func verifyIdentical(_ tensors: [Tensor], over communicator: any Communicator, when: String) throws {
        guard communicator.size > 1 else { return }
        var reference = fingerprint(of: tensors)
        let mine = reference
        try withUnsafeMutableBytes(of: &reference) { try communicator.broadcast($0, from: 0) }
        let differing = try communicator.allReduceSum([mine == reference ? 0 : 1])[0]
        guard differing == 0 else {
            throw ConvNetError(op: "mpi", "\(when), the weights of \(Int(differing)) of \(communicator.size) ranks differ from rank 0's (this rank's \(mine == reference ? "agree" : "differ")): the replicas diverged")
        }
    }
}
