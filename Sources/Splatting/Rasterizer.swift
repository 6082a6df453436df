import TensorCore

/// Packed per-Gaussian blending record (12 floats): mean2D x y, conic a b c, opacity, colour r g b,
/// first row, last row of the pixel box. Built once per render in depth-sorted id space.
let recordStride = 12

/// Images produced by the blend, plus what the backward pass needs. Sizes: H×W pixels, E extras.
/// - `image` [H, W, 3] RGB (background composited)
/// - `alpha` [H, W]    accumulated opacity 1 − T_final
/// - `extras`[H, W, E] per-Gaussian extra channels blended with the same weights (background 0)
public struct RasterImages {
    public var width = 0, height = 0, extraChannels = 0
    public var image: [Float] = []
    public var alpha: [Float] = []
    public var extras: [Float] = []
    /// [H, W] transmittance after the last blended Gaussian.
    var finalTransmittance: [Float] = []
    /// [H, W] position in the pixel's tile list just past its last blended Gaussian.
    var contributorEnd: [Int32] = []
    /// Sum over pixels of the number of Gaussians evaluated (statistics for `bench`).
    public var evaluatedCount = 0

    mutating func resize(width: Int, height: Int, extraChannels: Int) {
        let p = width * height
        if self.width != width || self.height != height || self.extraChannels != extraChannels || image.count != 3 * p {
            self.width = width; self.height = height; self.extraChannels = extraChannels
            image = [Float](repeating: 0, count: 3 * p)
            alpha = [Float](repeating: 0, count: p)
            extras = [Float](repeating: 0, count: extraChannels * p)
            finalTransmittance = [Float](repeating: 0, count: p)
            contributorEnd = [Int32](repeating: 0, count: p)
        }
    }
}

/// Packs the blending records of `projected` ([N, 12]).
func packRecords(_ p: ProjectedGaussians, into records: inout [Float]) {
    let n = p.visible.count
    if records.count != n * recordStride { records = [Float](repeating: 0, count: n * recordStride) }
    records.withUnsafeMutableBufferPointer { r in
        for i in 0..<n where p.visible[i] {
            let o = i * recordStride
            r[o] = p.mean2D[2 * i]; r[o + 1] = p.mean2D[2 * i + 1]
            r[o + 2] = p.conic[3 * i]; r[o + 3] = p.conic[3 * i + 1]; r[o + 4] = p.conic[3 * i + 2]
            r[o + 5] = p.opacity[i]
            r[o + 6] = p.color[3 * i]; r[o + 7] = p.color[3 * i + 1]; r[o + 8] = p.color[3 * i + 2]
            r[o + 9] = Float(p.pixelBox[4 * i + 2]); r[o + 10] = Float(p.pixelBox[4 * i + 3])
        }
    }
}

/// Front-to-back blending of every tile (3DGS `renderCUDA`), 16 pixels of a row per SIMD step.
/// For each pixel, Gaussians in the tile's depth order: G = exp(power), power = −½(a dx² + c dy²)
/// − b dx dy (skip if power > 0), α = min(0.99, o·G); skip α < 1/255; if T·(1−α) < 1e-4 stop;
/// else C += c·α·T, T ← T·(1−α). Final colour C + T·background.
/// `extras` [N, E] are blended like colour with background 0.
func blendTiles(binning: TileBinning, records: [Float], extras: [Float], extraChannels e: Int,
                background: SIMD3<Float>, into out: inout RasterImages) {
    let width = out.width, height = out.height, tile = SplatConstants.tileSize
    let tilesX = binning.tilesX
    var evaluatedPerTile = [Int](repeating: 0, count: binning.tileCount)
    records.withUnsafeBufferPointer { rec in
    extras.withUnsafeBufferPointer { ext in
    binning.entries.withUnsafeBufferPointer { entries in
    binning.tileStart.withUnsafeBufferPointer { tileStart in
    out.image.withUnsafeMutableBufferPointer { image in
    out.alpha.withUnsafeMutableBufferPointer { alphaOut in
    out.extras.withUnsafeMutableBufferPointer { extrasOut in
    out.finalTransmittance.withUnsafeMutableBufferPointer { finalT in
    out.contributorEnd.withUnsafeMutableBufferPointer { contributorEnd in
    evaluatedPerTile.withUnsafeMutableBufferPointer { evaluated in
        parallelFor(0..<binning.tileCount, chunk: 4) { tiles in
            let acc = UnsafeMutablePointer<Lanes>.allocate(capacity: max(e, 1))
            defer { acc.deallocate() }
            for t in tiles {
                let tx = t % tilesX, ty = t / tilesX
                let x0 = tx * tile, y0 = ty * tile
                let start = Int(tileStart[t]), end = Int(tileStart[t + 1])
                let cols = min(tile, width - x0)
                let px = laneCentres + Float(x0)
                var evalCount = 0
                for row in 0..<min(tile, height - y0) {
                    let y = y0 + row
                    let py = Float(y) + 0.5
                    let fy = Float(y)
                    var T = Lanes(repeating: 1)
                    var cr = Lanes(), cg = Lanes(), cb = Lanes()
                    for c in 0..<e { acc[c] = Lanes() }
                    var lastIndex = SIMD16<Int32>(repeating: 0)
                    // Lanes past the right image edge start out done.
                    var done = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .>= Int32(cols)
                    var j = start
                    while j < end {
                        let id = Int(entries[j])
                        let r = rec.baseAddress! + id * recordStride
                        j += 1
                        if fy < r[9] || fy > r[10] { continue }
                        evalCount += 1
                        let dx = r[0] - px
                        let dy = r[1] - py
                        // power = −½(a dx² + c dy²) − b dx dy, with the row constants hoisted:
                        // dx·(−½a·dx − b·dy) − ½c·dy²
                        let power = dx * (dx * (-0.5 * r[2]) - r[3] * dy) - 0.5 * r[4] * dy * dy
                        let g = laneExp(power)
                        var alpha = r[5] * g
                        alpha.replace(with: SplatConstants.maxAlpha, where: alpha .> SplatConstants.maxAlpha)
                        let live = (alpha .>= SplatConstants.minAlpha) .& (power .<= 0) .& .!done
                        let stop = live .& (T * (1 - alpha) .< SplatConstants.minTransmittance)
                        done = done .| stop
                        let blend = live .& .!stop
                        // α of the lanes that blend, 0 elsewhere: T·(1 − 0) = T exactly, so no
                        // vector select is needed (those compile to lane loops, DESIGN.md §5).
                        alpha.replace(with: 0, where: .!blend)
                        let w = alpha * T
                        cr += w * r[6]; cg += w * r[7]; cb += w * r[8]
                        if e > 0 {
                            let v = ext.baseAddress! + id * e
                            for c in 0..<e { acc[c] += w * v[c] }
                        }
                        T = T * (1 - alpha)
                        lastIndex.replace(with: Int32(j - start), where: blend)
                        if (j & 7) == 0 && allLanes(done) { break }
                    }
                    let rowBase = y * width + x0
                    for c in 0..<cols {
                        let p = rowBase + c
                        image[3 * p] = cr[c] + T[c] * background.x
                        image[3 * p + 1] = cg[c] + T[c] * background.y
                        image[3 * p + 2] = cb[c] + T[c] * background.z
                        alphaOut[p] = 1 - T[c]
                        finalT[p] = T[c]
                        contributorEnd[p] = lastIndex[c]
                        for ch in 0..<e { extrasOut[p * e + ch] = acc[ch][c] }
                    }
                }
                evaluated[t] = evalCount * 16
            }
        }
    }}}}}}}}}}
    out.evaluatedCount = evaluatedPerTile.reduce(0, +)
}
