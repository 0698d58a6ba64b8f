/// Element-wise optimizer updates, 16 floats at a time.
///
/// The update rules are written once, on `SIMD16<Float>` lanes, and applied to whole parameter
/// buffers: ``forEachLaneBlock(count:_:)`` walks the buffer in blocks of 16 and a last partial block,
/// which ``Lanes`` reads zero-padded and writes back in part. Each lane does the same float
/// operations in the same order as the scalar formula, so results do not depend on the block size.
typealias Lanes = SIMD16<Float>

/// Calls `body(offset, width)` for consecutive blocks of `Lanes.scalarCount` elements covering `0..<count`
/// (`width` < 16 only for the last block).
@inline(__always)
func forEachLaneBlock(count: Int, _ body: (_ offset: Int, _ width: Int) -> Void) {
    var offset = 0
    while offset < count {
        body(offset, min(Lanes.scalarCount, count - offset))
        offset += Lanes.scalarCount
    }
}

extension UnsafePointer<Float> {
    /// `width` floats from `offset` on, zero-padded to 16 lanes.
    @inline(__always)
    func lanes(_ offset: Int, _ width: Int) -> Lanes {
        if width == Lanes.scalarCount { return UnsafeRawPointer(self + offset).loadUnaligned(as: Lanes.self) }
        var v = Lanes()
        for i in 0..<width { v[i] = self[offset + i] }
        return v
    }
}

extension UnsafeMutablePointer<Float> {
    @inline(__always)
    func lanes(_ offset: Int, _ width: Int) -> Lanes { UnsafePointer(self).lanes(offset, width) }

    /// Writes the first `width` lanes of `v` from `offset` on.
    @inline(__always)
    func store(_ v: Lanes, _ offset: Int, _ width: Int) {
        if width == Lanes.scalarCount { return UnsafeMutableRawPointer(self + offset).storeBytes(of: v, as: Lanes.self) }
        for i in 0..<width { self[offset + i] = v[i] }
    }
}
