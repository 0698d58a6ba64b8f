import Foundation

/// Sizes computed from outside numbers (options, arguments, file headers) before anything is
/// allocated: products checked for overflow and totals checked against the machine's memory, so
/// that an absurd size is an error that names it, never an overflow trap or an allocation that
/// cannot succeed. "Memory" is what the process may use (``MemoryLimit``), not only what the
/// machine has.
public enum MemoryBudget {
    /// This machine's physical memory in bytes (`Int.max` if the system does not say).
    public static let physicalBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return .max }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? .max : bytes
    }()

    /// The product of `factors`, or `nil` when it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = result.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            result = p
        }
        return result
    }

    /// The sum of `terms`, or `nil` when it overflows.
    public static func sum(_ terms: [Int]) -> Int? {
        var result = 0
        for t in terms {
            let (s, overflow) = result.addingReportingOverflow(t)
            if overflow { return nil }
            result = s
        }
        return result
    }

    /// Bytes of float32 tensors of the given shapes.
    /// - Throws: ``ConvNetError`` naming `what` when the count overflows.
    public static func floatBytes(_ shapes: [[Int]], op: String, what: String) throws -> Int {
        var total = 0
        for shape in shapes {
            guard let bytes = product(shape + [4]), let sum = sum([total, bytes]) else {
                throw ConvNetError(.resource, op: op, "\(what): \(shapes.map(describe).joined(separator: ", ")) is more elements than can be counted")
            }
            total = sum
        }
        return total
    }

    /// What this process may still allocate now: the least of what each of its ``MemoryLimit``s
    /// leaves (physical memory, `ulimit -v`/`-d`, its cgroup's limit).
    public static var availableBytes: Int { tightestLimit().available }

    /// The limit that leaves the least room now.
    public static func tightestLimit() -> MemoryLimit {
        MemoryLimit.current().min { $0.available < $1.available }!
    }

    /// Throws unless `bytes` fit in what this process may still allocate (see ``MemoryLimit``):
    /// an allocation whose size comes from outside is refused with an error, never left to fail
    /// as a trap or to the OOM killer.
    /// - Throws: ``ConvNetError`` naming `what`, the bytes needed, and the limit with what it leaves.
    public static func require(_ bytes: Int, op: String, what: String) throws {
        // Below a mebibyte the check would cost more than the allocation risks (it reads /proc).
        guard bytes >= 1 << 20 else { return }
        let limit = tightestLimit()
        guard bytes > limit.available else { return }
        throw ConvNetError(.resource, op: op, "\(what) needs \(format(bytes)) but \(limit)")
    }

    /// ``require(_:op:what:)`` for the product of `factors` bytes (an overflowing product needs
    /// more than any limit allows).
    public static func require(product factors: [Int], op: String, what: String) throws {
        try require(product(factors) ?? .max, op: op, what: what)
    }

    /// `1.5 GiB` style.
    public static func format(_ bytes: Int) -> String {
        var value = Double(bytes), unit = 0
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
