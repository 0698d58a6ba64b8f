/// Where each tensor of a forward pass lives in one block of memory, planned from the order in
/// which a recorded pass allocated and freed its tensors: two tensors share bytes only if one was
/// freed before the other was allocated.
///
/// Offsets are assigned greedily by size (Pisarchyk & Lee, "Efficient Memory Management for Deep
/// Neural Net Inference", 2020): largest tensor first, each at the best-fitting gap left by the
/// tensors already placed whose lifetimes overlap its own. Tensors that outlive the pass (its
/// output, anything the model keeps) are not placed.
struct MemoryPlan {
    /// What a pass did, in order: allocated `count` floats (its allocation index is the number of
    /// allocations before it), or freed allocation `index`.
    enum Event: Equatable {
        case allocate(count: Int)
        case release(index: Int)
    }

    /// Per allocation, in order: its element count.
    let counts: [Int]
    /// Per allocation: its byte offset in the block, or nil when it outlived the pass.
    let offsets: [Int?]
    /// Bytes of the block.
    let blockBytes: Int
    /// Bytes of all the pass's allocations added up.
    let totalBytes: Int
    /// The most bytes allocated and not yet freed at any point of the pass (no plan can use less
    /// for the tensors it places, and the outliving ones).
    let peakLiveBytes: Int

    /// Bytes an allocation of `count` floats takes in the block (whole 64-byte lines, so that every
    /// offset stays aligned for the kernels).
    static func bytes(_ count: Int) -> Int { (max(count, 1) * MemoryLayout<Float>.stride + 63) / 64 * 64 }

    init(_ events: [Event]) {
        var counts: [Int] = [], start: [Int] = [], end: [Int?] = []
        var live = 0, peak = 0
        for (time, event) in events.enumerated() {
            switch event {
            case .allocate(let count):
                counts.append(count)
                start.append(time)
                end.append(nil)
                live += Self.bytes(count)
                peak = max(peak, live)
            case .release(let index):
                guard index < end.count, end[index] == nil else { continue }
                end[index] = time
                live -= Self.bytes(counts[index])
            }
        }
        self.counts = counts
        totalBytes = counts.reduce(0) { $0 + Self.bytes($1) }
        peakLiveBytes = peak

        var offsets = [Int?](repeating: nil, count: counts.count)
        var placed: [(offset: Int, size: Int, start: Int, end: Int)] = []
        let order = counts.indices.filter { end[$0] != nil }
            .sorted { (Self.bytes(counts[$0]), -start[$0]) > (Self.bytes(counts[$1]), -start[$1]) }
        var blockBytes = 0
        for index in order {
            let size = Self.bytes(counts[index]), (from, to) = (start[index], end[index]!)
            // Tensors already placed that are alive at the same time, by offset.
            let neighbours = placed.filter { $0.start < to && from < $0.end }.sorted { $0.offset < $1.offset }
            var best: (offset: Int, gap: Int)?
            var cursor = 0
            for other in neighbours {
                let gap = other.offset - cursor
                if gap >= size, gap < (best?.gap ?? .max) { best = (cursor, gap) }
                cursor = max(cursor, other.offset + other.size)
            }
            let offset = best?.offset ?? cursor
            offsets[index] = offset
            placed.append((offset, size, from, to))
            blockBytes = max(blockBytes, offset + size)
        }
        self.offsets = offsets
        self.blockBytes = blockBytes
    }
}
