import Foundation

/// A 64-byte aligned block of `Float`s that a ``Tensor`` (and its views) points into.
///
/// Aligned to a cache line so that BLAS and oneDNN kernels see aligned rows. Blocks come from
/// ``StoragePool``, which recycles them: a training step allocates the same sizes every step, and
/// handing fresh pages to each one (glibc maps large blocks anew and the kernel zero-fills every
/// page on first touch) cost more than the arithmetic of LeNet-sized layers.
public final class TensorStorage: @unchecked Sendable {
    /// First element.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int
    /// The provider that was current when this block was made (it is told when the block is
    /// freed), its token, and whether the memory is the provider's rather than the pool's.
    private let provision: (provider: any StorageProvider, token: Int, providerMemory: Bool)?
    /// The object whose memory this is, for a block borrowed rather than allocated (kept alive as
    /// long as the block is).
    private let owner: AnyObject?

    /// Allocates `count` elements, uninitialised: from the task's ``StorageProvider`` when one is
    /// current and serves it, else from the pool.
    init(uninitializedCount count: Int) {
        self.count = count
        owner = nil
        if let provider = StorageProvision.current {
            let (memory, token) = provider.provide(count)
            pointer = memory ?? StoragePool.shared.allocate(count)
            provision = (provider, token, memory != nil)
        } else {
            pointer = StoragePool.shared.allocate(count)
            provision = nil
        }
    }

    /// Allocates `count` elements set to `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.update(repeating: value, count: count)
    }

    /// `count` elements at `pointer`, memory that `owner` holds (and frees): a window into a larger
    /// buffer, such as a data-parallel trainer's gradient buckets.
    package init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        (self.pointer, self.count, self.owner, provision) = (pointer, count, owner, nil)
    }

    deinit {
        guard owner == nil else { return }
        if provision?.providerMemory != true { StoragePool.shared.release(pointer, count) }
        if let provision { provision.provider.released(provision.token) }
    }

    /// The elements as a buffer.
    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// Recycles freed tensor blocks by exact size, up to a cap on the bytes kept.
///
/// Small blocks go straight to `malloc`, which already recycles them well.
public final class StoragePool: @unchecked Sendable {
    /// The pool every tensor uses.
    public static let shared = StoragePool(limitBytes: 1 << 30)

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    /// Most bytes kept for reuse; beyond it freed blocks return to the system.
    public let limitBytes: Int
    /// Blocks below this many elements are not pooled.
    static let minimumPooled = 1024

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// A block of `count` elements, recycled when one of that size is free.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumPooled {
            lock.lock()
            if let block = free[count]?.popLast() {
                cachedBytes -= count * 4
                lock.unlock()
                return block
            }
            lock.unlock()
        }
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { fatalError("out of memory allocating \(bytes) bytes") }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Returns a block for reuse, or to the system when the pool is full.
    func release(_ block: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= Self.minimumPooled {
            lock.lock()
            if cachedBytes + count * 4 <= limitBytes {
                free[count, default: []].append(block)
                cachedBytes += count * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        Foundation.free(block)
    }

    /// Returns every cached block to the system.
    public func drain() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for block in blocks { Foundation.free(block) }
    }

    /// Bytes currently kept for reuse.
    public var cachedByteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }
}
