import TensorCore

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
    /// [V + 1] start of each visible Gaussian's tile rows in `bands`; [B] packed column ranges.
    var bandStart: [Int32] = []
    var bands: [Int32] = []

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

        // 2. Per Gaussian and tile row, the tile columns its ellipse reaches (parallel; packed as
        //    tx0 << 16 | tx1, or −1 for none), laid out by a prefix sum over the tile-row counts.
        let tiles = tileCount, tx = tilesX
        let visibleCount = order.count
        if bandStart.count < visibleCount + 1 { bandStart = [Int32](repeating: 0, count: visibleCount + 1) }
        projected.pixelBox.withUnsafeBufferPointer { box in
            for v in 0..<visibleCount {
                let b = box.baseAddress! + 4 * Int(order[v])
                bandStart[v + 1] = bandStart[v] + Int32(Int(b[3]) / tile - Int(b[2]) / tile + 1)
            }
        }
        let bandCount = Int(bandStart[visibleCount])
        if bands.count < bandCount { bands = [Int32](repeating: 0, count: bandCount) }
        projected.pixelBox.withUnsafeBufferPointer { box in
        projected.mean2D.withUnsafeBufferPointer { mean2D in
        projected.ellipse.withUnsafeBufferPointer { ellipse in
        order.withUnsafeBufferPointer { order in
        bandStart.withUnsafeBufferPointer { bandStart in
        bands.withUnsafeMutableBufferPointer { bands in
            parallelFor(0..<visibleCount, chunk: 2048) { range in
                for v in range {
                    let id = Int(order[v])
                    let b = box.baseAddress! + 4 * id
                    var slot = Int(bandStart[v])
                    for ty in (Int(b[2]) / tile)...(Int(b[3]) / tile) {
                        if let (tx0, tx1) = tileColumns(id, tileRow: ty, box: b, mean2D: mean2D, ellipse: ellipse) {
                            bands[slot] = Int32(tx0 << 16 | tx1)
                        } else {
                            bands[slot] = -1
                        }
                        slot += 1
                    }
                }
            }
        }}}}}}

        // 3. Count entries per tile, prefix-sum, then scatter in depth order (counting sort by
        //    tile, stable, so each tile's list stays front to back).
        tileStart = [Int32](repeating: 0, count: tiles + 1)
        var cursor = [Int32](repeating: 0, count: tiles)
        projected.pixelBox.withUnsafeBufferPointer { box in
        order.withUnsafeBufferPointer { order in
        bandStart.withUnsafeBufferPointer { bandStart in
        bands.withUnsafeBufferPointer { bands in
        tileStart.withUnsafeMutableBufferPointer { start in
            for v in 0..<visibleCount {
                let ty0 = Int(box[4 * Int(order[v]) + 2]) / tile
                for j in Int(bandStart[v])..<Int(bandStart[v + 1]) where bands[j] >= 0 {
                    let row = (ty0 + j - Int(bandStart[v])) * tx
                    for t in (row + Int(bands[j] >> 16))...(row + Int(bands[j] & 0xFFFF)) { start[t + 1] += 1 }
                }
            }
            for t in 0..<tiles { start[t + 1] += start[t] }
        }
            entries = [Int32](repeating: 0, count: Int(tileStart[tiles]))
            cursor.withUnsafeMutableBufferPointer { cursor in
            tileStart.withUnsafeBufferPointer { start in
            entries.withUnsafeMutableBufferPointer { entries in
                for t in 0..<tiles { cursor[t] = start[t] }
                for v in 0..<visibleCount {
                    let id = order[v]
                    let ty0 = Int(box[4 * Int(id) + 2]) / tile
                    for j in Int(bandStart[v])..<Int(bandStart[v + 1]) where bands[j] >= 0 {
                        let row = (ty0 + j - Int(bandStart[v])) * tx
                        for t in (row + Int(bands[j] >> 16))...(row + Int(bands[j] & 0xFFFF)) {
                            entries[Int(cursor[t])] = id
                            cursor[t] += 1
                        }
                    }
                }
            }}}
        }}}}
    }
}

/// The tile columns (first, last) of tile row `ty` that the coverage ellipse of Gaussian `i` can
/// reach, or nil when it reaches none. Within the band of pixel-centre rows y ∈ [16ty + ½,
/// 16ty + 15½] ∩ the pixel box, the ellipse dᵀΣ⁻¹d ≤ λ (d = pixel − mean) spans
/// x = mx + k·dy ± w(dy), k = Σxy/Σyy, w(dy) = sqrt((Σxx − Σxy²/Σyy)·(λ − dy²/Σyy)); the union over
/// the band lies within [mx + min(k·dy) − max w, mx + max(k·dy) + max w] (max w at the dy nearest
/// 0). Conservative, so no pixel with α ≥ 1/255 is lost; clipped to the pixel box.
@inline(__always)
func tileColumns(_ i: Int, tileRow ty: Int, box b: UnsafePointer<Int32>, mean2D: UnsafeBufferPointer<Float>,
                 ellipse: UnsafeBufferPointer<Float>) -> (Int, Int)? {
    let tile = SplatConstants.tileSize
    let mx = mean2D[2 * i], my = mean2D[2 * i + 1]
    let sxx = ellipse[4 * i], sxy = ellipse[4 * i + 1], syy = ellipse[4 * i + 2], level = ellipse[4 * i + 3]
    let rowLo = max(ty * tile, Int(b[2])), rowHi = min(ty * tile + tile - 1, Int(b[3]))
    let dyLo = Float(rowLo) + 0.5 - my, dyHi = Float(rowHi) + 0.5 - my
    let dyNear: Float = dyLo > 0 ? dyLo : (dyHi < 0 ? dyHi : 0)
    let k = sxy / syy
    let conditional = max(sxx - sxy * k, 0)
    let wMax = (conditional * max(level - dyNear * dyNear / syy, 0)).squareRoot() + 0.01
    let shiftLo = min(k * dyLo, k * dyHi), shiftHi = max(k * dyLo, k * dyHi)
    // Pixel columns whose centres col + ½ fall in [mx + shiftLo − wMax, mx + shiftHi + wMax].
    let colLo = max(Float(b[0]), (mx + shiftLo - wMax - 0.5).rounded(.up))
    let colHi = min(Float(b[1]), (mx + shiftHi + wMax - 0.5).rounded(.down))
    guard colLo <= colHi else { return nil }
    return (Int(colLo) / tile, Int(colHi) / tile)
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
