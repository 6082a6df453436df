import TensorCore
import NeuralNet
import Splatting

/// The head's bounding box in the dataset's head frame; Gaussian means are normalised by it to
/// x̂ = 2(μ − min)/(max − min) − 1 ∈ [−1, 1]³ before the plane lookup.
public struct HeadBox: Codable, Equatable, Sendable {
    public var min: SIMD3<Float>
    public var max: SIMD3<Float>
    public init(min: SIMD3<Float>, max: SIMD3<Float>) { self.min = min; self.max = max }
    /// ∂x̂/∂μ per axis: 2/(max − min).
    public var inverseHalfExtent: SIMD3<Float> { 2 / (max - min) }
}

/// The paper's deformation model (DESIGN.md §3): audio encoder → Audio-Plane → decoders D1 (ΔG)
/// and D2 (dynamism d) → G' = G + d·ΔG (eq. 7).
///
/// Parameters (names): `encoder.…` (`AudioEncoder`), `scale<s>.…` (`PlaneLevel`, one per scale),
/// `d1.layer…` (D1: MLP F → 64 → 64 → 14, ReLU, last layer near zero), `d2.layer…` (D2: MLP
/// F → 32 → 1, ReLU, then a sigmoid; absent with `dynamism: off`), F = `config.featureWidth`.
/// ΔG columns: Δmean 0..<3, Δquaternion 3..<7, Δlog-scale 7..<10, Δopacity-logit 10, ΔSH-DC 11..<14.
/// The gradient of a model is a model (`zerosLike()`): gradients mirror parameters by name.
/// Forward: this file; backward: `AudioPlaneModel+Backward.swift`.
public struct AudioPlaneModel: ParameterContainer, Sendable, Equatable {
    public let config: AudioPlaneConfig
    public var headBox: HeadBox
    public var encoder: AudioEncoder
    public var levels: [PlaneLevel]
    public var deformation: MLP
    public var dynamism: MLP?

    public init(config: AudioPlaneConfig, headBox: HeadBox) throws {
        try config.validate()
        self.config = config
        self.headBox = headBox
        var rng = SeededRandom(seed: config.seed)
        encoder = AudioEncoder(channels: config.audioChannels, rng: &rng)
        levels = config.scales.map { s in
            PlaneLevel(resolution: s * config.resolution, dimension: config.featureDimension,
                       hasAudio: config.audio == .plane, attention: config.attention,
                       attentionHidden: config.attentionHidden, codeDimension: config.audioCodeDimension,
                       spread: config.gridInitSpread, prototypeSpread: config.prototypeInitSpread, rng: &rng)
        }
        let f = config.featureWidth
        deformation = MLP(widths: [f] + config.deformationHidden + [AudioPlaneConfig.deltaWidth], activation: .relu, rng: &rng)
        deformation.scaleLastLayerTowardsZero(config.deformationOutputInitScale)
        dynamism = config.dynamism == .on ? MLP(widths: [f] + config.dynamismHidden + [1], activation: .relu, rng: &rng) : nil
    }

    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) -> Void) {
        encoder.visitParameters(prefix: parameterName(prefix, "encoder"), body)
        for i in levels.indices {
            levels[i].visitParameters(prefix: parameterName(prefix, "scale\(config.scales[i])"), body)
        }
        deformation.visitParameters(prefix: parameterName(prefix, "d1"), body)
        if dynamism != nil { dynamism!.visitParameters(prefix: parameterName(prefix, "d2"), body) }
    }

    /// The deformed cloud G' (same SH degree; only the DC coefficients change) and the per-Gaussian
    /// dynamism d [N] (all 1 with `dynamism: off`), to be rendered as one extra channel
    /// (`SplatRenderer.render(…, extras: dynamism, extraChannels: 1)`, eq. 8).
    public struct Output: Sendable {
        public var cloud: GaussianCloud
        public var dynamism: [Float]
    }

    /// Everything `backward` needs from one forward.
    public struct ForwardState: Sendable {
        var count: Int
        var shCoefficientCount: Int
        var encoder: AudioEncoder.Saved?
        var code: [Float]                       // a [32]
        var attention: [PrototypeAttention.Saved]
        var audioFeatures: [[Float]]            // f_a per level [D] (empty without audio planes)
        var positions: [Float]                  // x̂ [N, 3]
        var rowOrder: [Int32]                   // decoder row i ↔ Gaussian rowOrder[i] (SpatialOrder)
        var dynamismRows: [Float]               // d in row order [N]
        var decoders: DecoderSaved
        var rowOf: [Int32]                      // inverse of rowOrder: Gaussian g is decoder row rowOf[g]
        var deltaRows: [Float]                  // ΔG [N, 14] in row order
        var dynamism: [Float]                   // d [N]
        /// ΔG [N, 14] in Gaussian order (for tests and inspection).
        var delta: [Float] {
            let w = AudioPlaneConfig.deltaWidth
            var out = [Float](repeating: 0, count: deltaRows.count)
            for (g, i) in rowOf.enumerated() { for c in 0..<w { out[g * w + c] = deltaRows[Int(i) * w + c] } }
            return out
        }
        /// Milliseconds of the forward stages: encoder, plane query, decoders, deformation.
        public var timings = StageTimings()
        /// D1's per-layer inputs (as `MLP.Saved`).
        var d1: MLP.Saved {
            switch decoders {
            case .separate(let s1, _): return s1
            case .fused(let f): return f.mlpSaved(second: false)
            }
        }
        /// D2's per-layer inputs (nil with `dynamism: off`).
        var d2: MLP.Saved? {
            switch decoders {
            case .separate(_, let s2): return s2
            case .fused(let f): return f.mlpSaved(second: true)
            }
        }
    }

    /// What the decoders saved: the two MLPs run separately, or together (`FusedDecoders`).
    enum DecoderSaved: Sendable {
        case separate(MLP.Saved, MLP.Saved?)
        case fused(FusedDecoders.Saved)
    }

    /// Forward for one frame: `cloud` is the canonical G, `audioWindow` the encoder input [8, 16, C]
    /// (`AudioEncoder.window`).
    public func forward(_ cloud: GaussianCloud, audioWindow: [Float]) -> (Output, ForwardState) {
        var timings = StageTimings()
        let (a, encSaved) = timings.measure("audio encoder") { encoder.forward(window: audioWindow) }
        return forward(cloud, code: a, encoderState: encSaved, timings: timings)
    }

    /// Forward from a given audio code a [32] (no encoder state: `backward` then stops at ∂L/∂a).
    func forward(_ cloud: GaussianCloud, code a: [Float], encoderState: AudioEncoder.Saved? = nil,
                 timings startTimings: StageTimings = StageTimings()) -> (Output, ForwardState) {
        var timings = startTimings
        let n = cloud.count, fw = config.featureWidth
        // Per-frame audio attention (eq. 4), one per scale.
        var fa: [[Float]] = [], attSaved: [PrototypeAttention.Saved] = []
        // Every column is written below (plane columns, then the code with `audio: concat`).
        precondition(levels.reduce(0) { $0 + PlaneQuery.levelWidth($1.dimension, config.fusion) }
                     + (config.audio == .concat ? a.count : 0) == fw, "AudioPlaneModel: feature width mismatch")
        var features = [Float](unsafeUninitializedCapacity: n * fw) { _, initialized in initialized = n * fw }
        var positions = [Float](repeating: 0, count: 3 * n)
        var rowOrder: [Int32] = []
        timings.measure("plane query") {
            for level in levels {
                if level.hasAudio {
                    let (f, s) = level.attention.forward(code: a, prototypes: level.prototypes)
                    fa.append(f); attSaved.append(s)
                } else {
                    fa.append([]); attSaved.append(PrototypeAttention.Saved(q: [], net: nil, p: []))
                }
            }
            let lo = headBox.min, inv = headBox.inverseHalfExtent
            for g in 0..<n {
                for c in 0..<3 { positions[3 * g + c] = (cloud.means[3 * g + c] - lo[c]) * inv[c] - 1 }
            }
            // Feature rows in spatial visiting order (sequential writes and reads in the plane lookups);
            // the decoders are row-wise, so only ΔG and d are put back in Gaussian order.
            rowOrder = positions.withUnsafeBufferPointer { SpatialOrder.indices(positions: $0.baseAddress!, count: n) }
            PlaneQuery.forward(levels: levels, audio: fa, positions: positions, count: n, fusion: config.fusion,
                               features: &features, width: fw, rowOrder: rowOrder)
            if config.audio == .concat {
                let start = fw - a.count
                for g in 0..<n { for j in 0..<a.count { features[g * fw + start + j] = a[j] } }
            }
        }
        let (deltaRows, dRows, decoderSaved) = timings.measure("decoders") { decode(features, rows: n) }
        let (rowOf, d, deformed) = timings.measure("deformation") { () -> ([Int32], [Float], GaussianCloud) in
            var rowOf = [Int32](repeating: 0, count: n), d = [Float](repeating: 0, count: n)
            for (i, g) in rowOrder.enumerated() { rowOf[Int(g)] = Int32(i); d[Int(g)] = dRows[i] }
            return (rowOf, d, Self.deform(cloud, deltaRows: deltaRows, dynamism: d, rowOf: rowOf))
        }
        let state = ForwardState(count: n, shCoefficientCount: cloud.shCoefficientCount, encoder: encoderState, code: a,
                                 attention: attSaved, audioFeatures: fa, positions: positions, rowOrder: rowOrder,
                                 dynamismRows: dRows, decoders: decoderSaved, rowOf: rowOf,
                                 deltaRows: deltaRows, dynamism: d, timings: timings)
        return (Output(cloud: deformed, dynamism: d), state)
    }

    /// D1 and D2 on feature rows [n, F]: ΔG rows [n, 14], d rows [n] (sigmoid applied; all 1 with
    /// `dynamism: off`) and what backward needs.
    func decode(_ features: [Float], rows n: Int) -> ([Float], [Float], DecoderSaved) {
        if let dynamism, n > 0, FusedDecoders.applies(deformation, dynamism) {
            var (delta, z, saved) = FusedDecoders.forward(deformation, dynamism, features: features, rows: n)
            Activation.sigmoid.apply(&z)
            return (delta, z, .fused(saved))
        }
        let (delta, s1) = deformation.forward(features, rows: n)
        guard let dynamism else { return (delta, [Float](repeating: 1, count: n), .separate(s1, nil)) }
        var (z, s2) = dynamism.forward(features, rows: n)
        Activation.sigmoid.apply(&z)
        return (delta, z, .separate(s1, s2))
    }

    /// G' = G + d·ΔG (eq. 7) on means, quaternions, log-scales, opacity logits and SH-DC (k = 0);
    /// ΔG row of Gaussian g is `deltaRows` row `rowOf[g]`. Parallel over fixed Gaussian chunks.
    static func deform(_ cloud: GaussianCloud, deltaRows delta: [Float], dynamism d: [Float], rowOf: [Int32]) -> GaussianCloud {
        var out = cloud
        let n = cloud.count, k3 = 3 * cloud.shCoefficientCount, w = AudioPlaneConfig.deltaWidth
        out.means.withUnsafeMutableBufferPointer { mp in out.rotations.withUnsafeMutableBufferPointer { rp in
        out.logScales.withUnsafeMutableBufferPointer { sp in out.opacityLogits.withUnsafeMutableBufferPointer { op in
        out.shCoefficients.withUnsafeMutableBufferPointer { hp in
        delta.withUnsafeBufferPointer { dp in d.withUnsafeBufferPointer { sc in rowOf.withUnsafeBufferPointer { ro in
            let m = mp.baseAddress!, r = rp.baseAddress!, ls = sp.baseAddress!, o = op.baseAddress!, sh = hp.baseAddress!
            let delta = dp.baseAddress!, d = sc.baseAddress!, rowOf = ro.baseAddress!
            parallelFor(0..<n, chunk: 4096) { range in
                for g in range {
                    let row = delta + Int(rowOf[g]) * w, s = d[g]
                    for c in 0..<3 { m[3 * g + c] += s * row[c] }
                    for c in 0..<4 { r[4 * g + c] += s * row[3 + c] }
                    for c in 0..<3 { ls[3 * g + c] += s * row[7 + c] }
                    o[g] += s * row[10]
                    for c in 0..<3 { sh[g * k3 + c] += s * row[11 + c] }
                }
            }
        }}}}}}}}
        return out
    }
}
