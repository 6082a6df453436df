import TensorCore
import NeuralNet
import Splatting

/// The audio-independent part of the plane features of a fixed canonical cloud, for inference.
///
/// With every audio vector f_a = 1, `PlaneQuery` gives S: per scale and set, b_t ⊙ l_t (eq. 5
/// without the audio factor). A frame's features then follow without touching the grids:
/// concat/add fusion f = S ⊙ f_a per scale, multiply fusion f = S ⊙ f_a³ (the three sets'
/// product carries f_a three times); `audio: concat` appends the code a.
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
    /// the plane lookups replaced by `cache` (`spatialFeatureCache(for: cloud)`).
    ///
    /// The per-frame factor never touches the N × F features: the first layers of D1 and D2 see
    /// f = S ⊙ φ (φ = f_a per audio column, f_a³ with multiply fusion, 1 elsewhere), and
    /// W·(S ⊙ φ) = (W ⊙ φᵀ)·S, so their weight columns are scaled by φ instead (`audio: concat`:
    /// the code columns of S are 0 and W_code·a goes into the bias). Equal to `forward` up to float
    /// rounding. Stage times are added to `timings`: "audio encoder", "plane query" (attention and
    /// the weight scaling), "decoders", "deformation".
    public func infer(_ cloud: GaussianCloud, audioWindow: [Float], cache: SpatialFeatureCache,
                      timings: inout StageTimings) -> Output {
        let n = cloud.count, fw = config.featureWidth
        precondition(cache.count == n, "AudioPlaneModel.infer: the cache belongs to another cloud")
        let (a, _) = timings.measure("audio encoder") { encoder.forward(window: audioWindow) }
        let decoders = timings.measure("plane query") { () -> AudioPlaneModel in
            // φ: f_a (or f_a³) of each level's audio block, 1 elsewhere, 0 on the code columns.
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
            let codeStart = config.audio == .concat ? fw - a.count : fw
            for c in codeStart..<fw { factor[c] = 0 }
            func scaled(_ layer: Linear) -> Linear {
                var out = layer
                let k = layer.inFeatures
                for o in 0..<layer.outFeatures {
                    var b = layer.bias.data[o]
                    for c in codeStart..<fw { b += layer.weight.data[o * k + c] * a[c - codeStart] }
                    out.bias.data[o] = b
                    for c in 0..<k { out.weight.data[o * k + c] = layer.weight.data[o * k + c] * factor[c] }
                }
                return out
            }
            var m = self
            m.deformation.layers[0] = scaled(deformation.layers[0])
            if let d2 = dynamism { m.dynamism!.layers[0] = scaled(d2.layers[0]) }
            return m
        }
        let (deltaRows, dRows, _) = timings.measure("decoders") { decoders.decode(cache.features, rows: n) }
        return timings.measure("deformation") {
            var d = [Float](repeating: 0, count: n)
            for (i, g) in cache.rowOrder.enumerated() { d[Int(g)] = dRows[i] }
            return Output(cloud: Self.deform(cloud, deltaRows: deltaRows, dynamism: d, rowOf: cache.rowOf), dynamism: d)
        }
    }
}
