/// Assignment of visible Gaussians to 16×16 pixel tiles, each tile's list in front-to-back order.
///
/// - `order`   [V]        visible Gaussian ids sorted by camera depth (stable: ties keep id order)
/// - `tileStart` [T + 1]  tile t's entries are `entries[tileStart[t] ..< tileStart[t + 1]]`,
///                        tiles numbered row-major (t = ty · tilesX + tx)
/// - `entries` [E]        Gaussian ids; within a tile, nearest first
public struct TileBinning {
    public var tilesX = 0, tilesY = 0
    public var order: [Int32] = []
    public var tileStart: [Int32] = []
    public var entries: [Int32] = []
    var sortScratch: [UInt64] = []
    var sortScratch2: [UInt64] = []

    public var tileCount: Int { tilesX * tilesY }
    public var entryCount: Int { Int(tileStart.last ?? 0) }

    /// Bins `projected` for an image of `width`×`height` pixels.
    mutating func build(_ projected: ProjectedGaussians, width: Int, height: Int) {
        let tile = SplatConstants.tileSize
        tilesX = (width + tile - 1) / tile
        tilesY = (height + tile - 1) / tile
        let n = projected.visible.count

        // 1. Depth sort of visible Gaussians: key = (depth bits << 32 | id). Depths are > near
        //    plane > 0, so their IEEE bit patterns order like the values (radix sort on integers).
        sortScratch.removeAll(keepingCapacity: true)
        for i in 0..<n where projected.visible[i] && projected.tileCount[i] > 0 {
            sortScratch.append(UInt64(projected.depth[i].bitPattern) << 32 | UInt64(i))
        }
        radixSort(&sortScratch, scratch: &sortScratch2)
        order.removeAll(keepingCapacity: true)
        for key in sortScratch { order.append(Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)) }

        // 2. Count entries per tile, prefix-sum, then scatter in depth order (counting sort by
        //    tile, stable, so each tile's list stays front to back).
        let tiles = tileCount, tx = tilesX
        tileStart = [Int32](repeating: 0, count: tiles + 1)
        var cursor = [Int32](repeating: 0, count: tiles)
        projected.pixelBox.withUnsafeBufferPointer { box in
        order.withUnsafeBufferPointer { order in
        tileStart.withUnsafeMutableBufferPointer { start in
            for id in order {
                let b = box.baseAddress! + 4 * Int(id)
                let (tx0, tx1, ty0, ty1) = (Int(b[0]) / tile, Int(b[1]) / tile, Int(b[2]) / tile, Int(b[3]) / tile)
                for ty in ty0...ty1 { for t in (ty * tx + tx0)...(ty * tx + tx1) { start[t + 1] += 1 } }
            }
            for t in 0..<tiles { start[t + 1] += start[t] }
        }
            entries = [Int32](repeating: 0, count: Int(tileStart[tiles]))
            cursor.withUnsafeMutableBufferPointer { cursor in
            tileStart.withUnsafeBufferPointer { start in
            entries.withUnsafeMutableBufferPointer { entries in
                for t in 0..<tiles { cursor[t] = start[t] }
                for id in order {
                    let b = box.baseAddress! + 4 * Int(id)
                    let (tx0, tx1, ty0, ty1) = (Int(b[0]) / tile, Int(b[1]) / tile, Int(b[2]) / tile, Int(b[3]) / tile)
                    for ty in ty0...ty1 {
                        for t in (ty * tx + tx0)...(ty * tx + tx1) {
                            entries[Int(cursor[t])] = id
                            cursor[t] += 1
                        }
                    }
                }
            }}}
        }}
    }
}

/// Stable LSD radix sort of 64-bit keys on their upper 32 bits (4 passes of 8 bits); the lower
/// 32 bits ride along (they hold the id, and are already in increasing order on input).
func radixSort(_ keys: inout [UInt64], scratch: inout [UInt64]) {
    let n = keys.count
    guard n > 1 else { return }
    if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
    keys.withUnsafeMutableBufferPointer { a in
        scratch.withUnsafeMutableBufferPointer { b in
            var src = a.baseAddress!, dst = b.baseAddress!
            var counts = [Int](repeating: 0, count: 256)
            for pass in 0..<4 {
                let shift = UInt64(32 + 8 * pass)
                for d in 0..<256 { counts[d] = 0 }
                for i in 0..<n { counts[Int((src[i] >> shift) & 0xFF)] += 1 }
                var sum = 0
                for d in 0..<256 { let c = counts[d]; counts[d] = sum; sum += c }
                for i in 0..<n {
                    let d = Int((src[i] >> shift) & 0xFF)
                    dst[counts[d]] = src[i]
                    counts[d] += 1
                }
                swap(&src, &dst)
            }
            // after an even number of passes the sorted data is back in `a`
        }
    }
}
