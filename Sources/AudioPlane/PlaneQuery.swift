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
/// Gaussians are visited in `SpatialOrder` (cache locality of the grid reads).
enum PlaneQuery {
    /// (i, j, k) of the three sets: (X, Y, Z), (X, Z, Y), (Y, Z, X).
    static let sets: [(Int, Int, Int)] = [(0, 1, 2), (0, 2, 1), (1, 2, 0)]

    /// Columns written per level.
    static func levelWidth(_ d: Int, _ fusion: AudioPlaneConfig.Fusion) -> Int { fusion == .concat ? 3 * d : d }

    /// With `rowOrder` (a `SpatialOrder` of these positions), row i of `features` belongs to Gaussian
    /// `rowOrder[i]` (rows in visiting order: sequential writes); without, row g is Gaussian g.
    static func forward(levels: [PlaneLevel], audio fa: [[Float]], positions: [Float], count n: Int,
                        fusion: AudioPlaneConfig.Fusion, features: inout [Float], width ldf: Int,
                        rowOrder: [Int32]? = nil) {
        precondition(positions.count == 3 * n && features.count == n * ldf && (rowOrder?.count ?? n) == n)
        let permuted = rowOrder != nil
        features.withUnsafeMutableBufferPointer { fp in
        positions.withUnsafeBufferPointer { xp in
            let out = fp.baseAddress!, x = xp.baseAddress!
            let order = rowOrder ?? SpatialOrder.indices(positions: x, count: n)
            order.withUnsafeBufferPointer { op in
            let order = op.baseAddress!
            parallelFor(0..<n, chunk: 512) { range in
                var column = 0
                for (li, level) in levels.enumerated() {
                    level.planes.data.withUnsafeBufferPointer { pp in
                    level.lines.data.withUnsafeBufferPointer { lp in
                    fa[li].withUnsafeBufferPointer { ap in
                        let grids = GridPointers(level: level, planes: pp.baseAddress!, lines: lp.baseAddress, audio: ap.baseAddress)
                        for i in range {
                            let g = Int(order[i])
                            grids.forward(position: x + 3 * g, fusion: fusion, into: out + (permuted ? i : g) * ldf + column)
                        }
                    }}}
                    column += levelWidth(level.dimension, fusion)
                }
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

/// Bilinear blend of 16 lanes at `p` (corner 00), `p + rs` (10, i + 1) and `p + d` (01, j + 1).
@_transparent func bilerp16(_ p: UnsafePointer<Float>, _ rs: Int, _ d: Int, _ wi: Float, _ wj: Float) -> SIMD16<Float> {
    (1 - wi) * (1 - wj) * load16(p) + wi * (1 - wj) * load16(p + rs) + (1 - wi) * wj * load16(p + d) + wi * wj * load16(p + rs + d)
}

/// Linear blend of 16 lanes at `p` and `p + d`.
@_transparent func lerp16(_ p: UnsafePointer<Float>, _ d: Int, _ w: Float) -> SIMD16<Float> {
    (1 - w) * load16(p) + w * load16(p + d)
}

/// Raw views of one level's grids for the hot loops, and the per-Gaussian corner arithmetic.
/// Set t's corner 00 in `planes`: P_XY at (x, y), P_XZ at (x, z), P_YZ at (y, z); its line point
/// in `lines`: L_Z at z, L_Y at y, L_X at x (`PlaneLevel`'s layout). Straight-line code per set, no
/// closures or tables: the hot loops must inline completely (DESIGN.md §5).
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

    /// Offsets of the three sets' plane corner 00 and line point for cells (ix, iy, iz).
    @_transparent func offsets(_ ix: Int, _ iy: Int, _ iz: Int)
        -> (p0: Int, p1: Int, p2: Int, l0: Int, l1: Int, l2: Int) {
        let rs = r * d, ps = r * rs
        return (ix * rs + iy * d, ps + ix * rs + iz * d, 2 * ps + iy * rs + iz * d,
                iz * d, rs + iy * d, 2 * rs + ix * d)
    }

    /// Writes the fused features of one Gaussian at `out` (levelWidth values).
    @inline(__always) func forward(position x: UnsafePointer<Float>, fusion: AudioPlaneConfig.Fusion,
                                   into out: UnsafeMutablePointer<Float>) {
        let cx = gridCell(x[0], r), cy = gridCell(x[1], r), cz = gridCell(x[2], r)
        let o = offsets(cx.i0, cy.i0, cz.i0)
        let rs = r * d
        var c = 0
        while c < d {
            var v0 = bilerp16(planes + o.p0 + c, rs, d, cx.t, cy.t)
            var v1 = bilerp16(planes + o.p1 + c, rs, d, cx.t, cz.t)
            var v2 = bilerp16(planes + o.p2 + c, rs, d, cy.t, cz.t)
            if let lines, let audio {
                let a = load16(audio + c)
                v0 = v0 * lerp16(lines + o.l0 + c, d, cz.t) * a
                v1 = v1 * lerp16(lines + o.l1 + c, d, cy.t) * a
                v2 = v2 * lerp16(lines + o.l2 + c, d, cx.t) * a
            }
            switch fusion {
            case .concat: store16(v0, out + c); store16(v1, out + d + c); store16(v2, out + 2 * d + c)
            case .add: store16(v0 + v1 + v2, out + c)
            case .multiply: store16(v0 * v1 * v2, out + c)
            }
            c += 16
        }
    }
}
