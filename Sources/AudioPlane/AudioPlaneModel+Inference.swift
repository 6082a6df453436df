import TensorCore
import Splatting

/// The audio-independent part of the plane features of a fixed canonical cloud, for inference.
///
/// With every audio vector f_a = 1, `PlaneQuery` gives S: per scale and set, b_t ⊙ l_t (eq. 5
/// without the audio factor). A frame's features then follow without touching the grids:
/// concat/add fusion f = S ⊙ f_a per scale, multiply fusion f = S ⊙ f_a³ (the three sets'
/// product carries f_a three times); `audio: concat` appends the code a. For concat fusion this is
/// the same arithmetic as `forward` (bit-identical), for add/multiply the same up to rounding.
/// Memory: N × F floats (30,000 Gaussians × 192 = 23 MB).
public struct SpatialFeatureCache: Sendable {
    /// S [N, F] in `rowOrder` (the code columns of `audio: concat` left 0).
    let features: [Float]
    let rowOrder: [Int32]
    let rowOf: [Int32]
    public let count: Int
}

extension AudioPlaneModel {
    /// S for `cloud` (its means must not change while the cache is used).
    public func spatialFeatureCache(for cloud: GaussianCloud) -> SpatialFeatureCache {
        let n = cloud.count, fw = config.featureWidth
        var positions = [Float](repeating: 0, count: 3 * n)
        let lo = headBox.min, inv = headBox.inverseHalfExtent
        for g in 0..<n { for c in 0..<3 { positions[3 * g + c] = (cloud.means[3 * g + c] - lo[c]) * inv[c] - 1 } }
        let rowOrder = positions.withUnsafeBufferPointer { SpatialOrder.indices(positions: $0.baseAddress!, count: n) }
        var features = [Float](repeating: 0, count: n * fw)
        let ones = levels.map { [Float](repeating: 1, count: $0.hasAudio ? $0.dimension : 0) }
        PlaneQuery.forward(levels: levels, audio: ones, positions: positions, count: n, fusion: config.fusion,
                           features: &features, width: fw, rowOrder: rowOrder)
        var rowOf = [Int32](repeating: 0, count: n)
        for (i, g) in rowOrder.enumerated() { rowOf[Int(g)] = Int32(i) }
        return SpatialFeatureCache(features: features, rowOrder: rowOrder, rowOf: rowOf, count: n)
    }

    /// Inference forward for one frame (no backward state): G' and d as `forward` gives them, with
    /// the plane lookups replaced by `cache` (`spatialFeatureCache(for: cloud)`). Stage times are
    /// added to `timings` ("audio encoder", "plane query" (here: scaling S by f_a), "decoders",
    /// "deformation").
    public func infer(_ cloud: GaussianCloud, audioWindow: [Float], cache: SpatialFeatureCache,
                      timings: inout StageTimings) -> Output {
        let n = cloud.count, fw = config.featureWidth
        precondition(cache.count == n, "AudioPlaneModel.infer: the cache belongs to another cloud")
        let (a, _) = timings.measure("audio encoder") { encoder.forward(window: audioWindow) }
        let features = timings.measure("plane query") { () -> [Float] in
            // Per-column factor: f_a (or f_a³) of each level's audio block, 1 elsewhere.
            var factor = [Float](repeating: 1, count: fw)
            var column = 0
            for level in levels {
                let width = PlaneQuery.levelWidth(level.dimension, config.fusion)
                if level.hasAudio {
                    let (fa, _) = level.attention.forward(code: a, prototypes: level.prototypes)
                    for c in 0..<width {
                        let v = fa[c % level.dimension]
                        factor[column + c] = config.fusion == .multiply ? v * v * v : v
                    }
                }
                column += width
            }
            var out = cache.features
            let codeStart = config.audio == .concat ? fw - a.count : fw
            out.withUnsafeMutableBufferPointer { op in factor.withUnsafeBufferPointer { fp in a.withUnsafeBufferPointer { ap in
                let o = op.baseAddress!, f = fp.baseAddress!, code = ap.baseAddress!
                parallelFor(0..<n, chunk: 2048) { range in
                    for i in range {
                        let row = o + i * fw
                        for c in 0..<codeStart { row[c] *= f[c] }
                        for c in codeStart..<fw { row[c] = code[c - codeStart] }
                    }
                }
            }}}
            return out
        }
        let (deltaRows, dRows, _) = timings.measure("decoders") { decode(features, rows: n) }
        return timings.measure("deformation") {
            var d = [Float](repeating: 0, count: n)
            for (i, g) in cache.rowOrder.enumerated() { d[Int(g)] = dRows[i] }
            return Output(cloud: Self.deform(cloud, deltaRows: deltaRows, dynamism: d, rowOf: cache.rowOf), dynamism: d)
        }
    }
}
