import TensorCore

/// The per-Gaussian Audio-Plane lookup (paper eq. 5–6), forward. Backward: `PlaneQuery+Backward.swift`.
///
/// For Gaussian n with normalised position x̂ ∈ [−1, 1]³ and, per scale ℓ, set t = (i, j, k):
///
///     b_t = bilinear(P_ij)(x̂_i, x̂_j)          ∈ R^D
///     l_t = linear(L_k)(x̂_k)                  ∈ R^D
///     v_t = b_t ⊙ l_t ⊙ f_a^ℓ                 (eq. 5; with `audio: concat`, v_t = b_t)
///
/// fused per scale (`fusion`): concat → [v_0, v_1, v_2] (3D), add → v_0 + v_1 + v_2, multiply →
/// v_0 ⊙ v_1 ⊙ v_2 (D); scales are concatenated (eq. 6's ∪). Output row n of `features` [N, ldf]
/// gets the fused values in columns 0 ..< levels·(3 or 1)·D. D must be a multiple of 16 (16-lane SIMD).
enum PlaneQuery {
    /// (i, j, k) of the three sets: (X, Y, Z), (X, Z, Y), (Y, Z, X).
    static let sets: [(Int, Int, Int)] = [(0, 1, 2), (0, 2, 1), (1, 2, 0)]

    /// Columns written per level.
    static func levelWidth(_ d: Int, _ fusion: AudioPlaneConfig.Fusion) -> Int { fusion == .concat ? 3 * d : d }

    static func forward(levels: [PlaneLevel], audio fa: [[Float]], positions: [Float], count n: Int,
                        fusion: AudioPlaneConfig.Fusion, features: inout [Float], width ldf: Int) {
        precondition(positions.count == 3 * n && features.count == n * ldf)
        features.withUnsafeMutableBufferPointer { fp in
        positions.withUnsafeBufferPointer { xp in
            let out = fp.baseAddress!, x = xp.baseAddress!
            parallelFor(0..<n, chunk: 512) { range in
                var column = 0
                for (li, level) in levels.enumerated() {
                    level.planes.data.withUnsafeBufferPointer { pp in
                    level.lines.data.withUnsafeBufferPointer { lp in
                    fa[li].withUnsafeBufferPointer { ap in
                        let grids = GridPointers(level: level, planes: pp.baseAddress!, lines: lp.baseAddress, audio: ap.baseAddress)
                        for g in range {
                            grids.forward(position: x + 3 * g, fusion: fusion, into: out + g * ldf + column)
                        }
                    }}}
                    column += levelWidth(level.dimension, fusion)
                }
            }
        }}
    }
}

/// Grid cell of one normalised coordinate on an R-point axis: lower index i0 ∈ [0, R−2], fraction
/// t ∈ [0, 1], and ∂u/∂x̂ = (R−1)/2 (0 when x̂ lies outside [−1, 1] and was clamped).
@_transparent func gridCell(_ x: Float, _ r: Int) -> (i0: Int, t: Float, slope: Float) {
    let top = Float(r - 1)
    let u = (x + 1) * 0.5 * top
    let inside = u >= 0 && u <= top
    let uc = u < 0 ? 0 : (u > top ? top : u)
    var i0 = Int(uc)
    if i0 > r - 2 { i0 = r - 2 }
    return (i0, uc - Float(i0), inside ? 0.5 * top : 0)
}

@_transparent func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@_transparent func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Raw views of one level's grids for the hot loops, and the per-Gaussian corner arithmetic.
struct GridPointers {
    let r: Int, d: Int
    let planes: UnsafePointer<Float>
    let lines: UnsafePointer<Float>?
    let audio: UnsafePointer<Float>?

    init(level: PlaneLevel, planes: UnsafePointer<Float>, lines: UnsafePointer<Float>?, audio: UnsafePointer<Float>?) {
        r = level.resolution; d = level.dimension
        self.planes = planes
        self.lines = level.hasAudio ? lines : nil
        self.audio = level.hasAudio ? audio : nil
    }

    /// Offsets and weights of set t for cells `c` (per axis): the four plane corners
    /// (00, 10 = i+1, 01 = j+1, 11) and the two line points.
    @inline(__always) func corners(_ t: Int, _ i0: SIMD3<Int>, _ f: SIMD3<Float>) -> (p00: Int, lo: Int, wi: Float, wj: Float, wk: Float) {
        let (i, j, k) = PlaneQuery.sets[t]
        let p00 = ((t * r + i0[i]) * r + i0[j]) * d
        let lo = (t * r + i0[k]) * d
        return (p00, lo, f[i], f[j], f[k])
    }

    /// Writes the fused features of one Gaussian at `out` (levelWidth values).
    @inline(__always) func forward(position x: UnsafePointer<Float>, fusion: AudioPlaneConfig.Fusion,
                                   into out: UnsafeMutablePointer<Float>) {
        let cx = gridCell(x[0], r), cy = gridCell(x[1], r), cz = gridCell(x[2], r)
        let i0 = SIMD3(cx.i0, cy.i0, cz.i0), f = SIMD3(cx.t, cy.t, cz.t)
        let rowStride = r * d
        var c = 0
        while c < d {
            var fused = SIMD16<Float>(repeating: fusion == .multiply ? 1 : 0)
            for t in 0..<3 {
                let k = corners(t, i0, f)
                let p = planes + k.p00 + c
                let b = (1 - k.wi) * (1 - k.wj) * load16(p) + k.wi * (1 - k.wj) * load16(p + rowStride)
                    + (1 - k.wi) * k.wj * load16(p + d) + k.wi * k.wj * load16(p + rowStride + d)
                var v = b
                if let lines, let audio {
                    let l = (1 - k.wk) * load16(lines + k.lo + c) + k.wk * load16(lines + k.lo + d + c)
                    v = b * l * load16(audio + c)
                }
                switch fusion {
                case .concat: store16(v, out + t * d + c)
                case .add: fused += v
                case .multiply: fused *= v
                }
            }
            if fusion != .concat { store16(fused, out + c) }
            c += 16
        }
    }
}
