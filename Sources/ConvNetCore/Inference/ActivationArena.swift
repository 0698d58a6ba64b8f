import Foundation

/// The memory of a frozen model's forward passes for one input shape: one block, planned once
/// (``MemoryPlan``) from a recorded pass, that the tensors of every later pass are placed in, so
/// that activations reuse the bytes of those freed before them and a pass allocates nothing.
///
/// As the task's ``StorageProvider`` during a pass, the arena hands the pass's n-th allocation the
/// n-th planned offset when its size is the planned one and no tensor still alive holds any of
/// those bytes (a tensor the model kept from an earlier pass, say); otherwise the pool serves it.
/// So a pass that allocates differently from the plan is slower, never wrong. Every pass is
/// recorded, and one that strayed from the plan (or the first) replaces it.
///
/// One pass at a time: concurrent passes use one arena each. Tensors may be freed on any thread,
/// and the block stays allocated while any tensor in it lives (each holds the arena).
final class ActivationArena: StorageProvider, @unchecked Sendable {
    /// One planned block of memory; freed when the arena and every tensor in it let go of it.
    private final class Block {
        let base: UnsafeMutableRawPointer
        let bytes: Int

        init?(bytes: Int) {
            var raw: UnsafeMutableRawPointer?
            guard bytes > 0, posix_memalign(&raw, 64, bytes) == 0, let raw else { return nil }
            (base, self.bytes) = (raw, bytes)
        }

        deinit { free(base) }
    }

    /// A tensor alive in a block: its token and byte range.
    private struct Lease {
        let token: Int
        let start: Int
        let end: Int
        let block: Block
    }

    private let lock = NSLock()
    // Everything below is guarded by `lock`.
    private var plan: MemoryPlan?
    private var block: Block?
    /// The number of the current (or last) pass, and whether it is running.
    private var pass = 0
    private var inPass = false
    /// The current pass: allocations so far, whether each matched the plan, and its events.
    private var allocations = 0
    private var followsPlan = true
    private var events: [MemoryPlan.Event] = []
    private var leases: [Lease] = []

    /// Token of allocation `index` of pass `pass`: releases from earlier passes are told apart.
    private static func token(pass: Int, index: Int) -> Int { pass << 32 | index }

    /// Starts recording (and serving) a pass.
    func beginPass() {
        lock.withLock {
            pass += 1
            (inPass, allocations, followsPlan) = (true, 0, true)
            events.removeAll(keepingCapacity: true)
        }
    }

    /// Ends the pass begun last. A pass that completed (`completed`) and did not follow the plan
    /// replaces it; the result is that new plan, or nil when the plan stays as it was.
    @discardableResult
    func endPass(completed: Bool) -> MemoryPlan? {
        lock.withLock {
            inPass = false
            defer { events.removeAll(keepingCapacity: true) }
            guard completed, !(followsPlan && allocations == plan?.counts.count) else { return nil }
            let made = MemoryPlan(events)
            plan = made
            if (block?.bytes ?? 0) < made.blockBytes { block = Block(bytes: made.blockBytes) }
            return made
        }
    }

    func provide(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>?, token: Int) {
        lock.withLock {
            let index = allocations
            allocations += 1
            let token = Self.token(pass: pass, index: index)
            guard inPass else { return (nil, token) }
            events.append(.allocate(count: count))
            guard followsPlan, let plan, index < plan.counts.count, plan.counts[index] == count else {
                followsPlan = false
                return (nil, token)
            }
            guard let offset = plan.offsets[index], let block, offset + MemoryPlan.bytes(count) <= block.bytes else {
                return (nil, token)
            }
            let end = offset + MemoryPlan.bytes(count)
            if leases.contains(where: { $0.block === block && $0.start < end && offset < $0.end }) { return (nil, token) }
            leases.append(Lease(token: token, start: offset, end: end, block: block))
            return ((block.base + offset).bindMemory(to: Float.self, capacity: max(count, 1)), token)
        }
    }

    func released(_ token: Int) {
        lock.withLock {
            if inPass, token >> 32 == pass { events.append(.release(index: token & 0xFFFF_FFFF)) }
            if let i = leases.firstIndex(where: { $0.token == token }) { leases.remove(at: i) }
        }
    }
}
