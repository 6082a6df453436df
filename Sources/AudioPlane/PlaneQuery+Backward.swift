import TensorCore

extension PlaneQuery {
    /// Gradients of the plane lookup given ∂L/∂features `dF` [N, ldf] (plane columns first).
    ///
    /// For set t of level ℓ with upstream g_t = ∂L/∂v_t (concat: its own columns; add: the level's
    /// columns; multiply: those ⊙ the other two v's):
    ///   ∂L/∂b_t = g_t ⊙ l_t ⊙ f_a,  ∂L/∂l_t = g_t ⊙ b_t ⊙ f_a,  ∂L/∂f_a += g_t ⊙ b_t ⊙ l_t
    ///   (without audio planes ∂L/∂b_t = g_t); bilinear/linear weights scatter ∂L/∂b_t, ∂L/∂l_t into
    ///   the four plane corners and two line points; ∂L/∂x̂ from the interpolation slopes, e.g.
    ///   ∂b/∂u_i = (1−f_j)(P₁₀ − P₀₀) + f_j(P₁₁ − P₀₁), times ∂u/∂x̂ = (R−1)/2.
    /// One task per level, largest first (tasks write disjoint grids; no atomics); each writes its own position
    /// gradient [N, 3] (in visiting order), summed at the end into `positionGradient` (+=, Gaussian
    /// order). `audioGradient[ℓ]` [D] += ∂L/∂f_a^ℓ. `rowOrder` as in `forward`: when given, row i
    /// of `dF` belongs to Gaussian `rowOrder[i]`.
    static func backward(levels: [PlaneLevel], audio fa: [[Float]], positions: [Float], count n: Int,
                         fusion: AudioPlaneConfig.Fusion, featureGradient dF: [Float], width ldf: Int,
                         gradients: inout [PlaneLevel], audioGradient: inout [[Float]], positionGradient: inout [Float],
                         rowOrder: [Int32]? = nil) {
        precondition(positions.count == 3 * n && dF.count == n * ldf && positionGradient.count == 3 * n
                     && (rowOrder?.count ?? n) == n)
        let permuted = rowOrder != nil
        let order = rowOrder ?? positions.withUnsafeBufferPointer { SpatialOrder.indices(positions: $0.baseAddress!, count: n) }
        let levelCount = levels.count
        var columns: [Int] = []
        var col = 0
        for level in levels { columns.append(col); col += levelWidth(level.dimension, fusion) }
        var perLevelPositions = [Float](repeating: 0, count: levelCount * 3 * n)   // [levels, N, 3]
        perLevelPositions.withUnsafeMutableBufferPointer { posBuffers in
        gradients.withUnsafeMutableBufferPointer { gl in
        audioGradient.withUnsafeMutableBufferPointer { ga in
        dF.withUnsafeBufferPointer { dfp in
        positions.withUnsafeBufferPointer { xp in
            order.withUnsafeBufferPointer { op in
            parallelFor(0..<levelCount, chunk: 1) { range in
                for task in range {
                    let li = levelCount - 1 - task   // largest level first: better balance
                    let level = levels[li]
                    level.planes.data.withUnsafeBufferPointer { pp in
                    level.lines.data.withUnsafeBufferPointer { lp in
                    fa[li].withUnsafeBufferPointer { ap in
                    gl[li].planes.data.withUnsafeMutableBufferPointer { gpp in
                    gl[li].lines.data.withUnsafeMutableBufferPointer { glp in
                    ga[li].withUnsafeMutableBufferPointer { gap in
                        let gxp = posBuffers.baseAddress! + li * 3 * n
                        let grids = GridPointers(level: level, planes: pp.baseAddress!, lines: lp.baseAddress, audio: ap.baseAddress)
                        grids.backward(count: n, order: op.baseAddress!, permutedRows: permuted, positions: xp.baseAddress!, fusion: fusion,
                                       featureGradient: dfp.baseAddress! + columns[li], ldf: ldf,
                                       planeGradient: gpp.baseAddress!, lineGradient: glp.baseAddress,
                                       audioGradient: gap.baseAddress, positionGradient: gxp)
                    }}}}}}
                }
            }
            }
        }}}}}
        // Levels summed in level order per element, then scattered to Gaussian order.
        positionGradient.withUnsafeMutableBufferPointer { out in
        order.withUnsafeBufferPointer { op in
        perLevelPositions.withUnsafeBufferPointer { levelPositions in
            for i in 0..<n {
                let g = Int(op[i])
                for c in 0..<3 {
                    var acc = out[3 * g + c]
                    for l in 0..<levelCount { acc += levelPositions[(l * n + i) * 3 + c] }
                    out[3 * g + c] = acc
                }
            }
        }}}
    }
}

/// The four plane corners of one set (16 lanes): 00, 10 (i + 1), 01 (j + 1), 11.
struct Corners16 {
    var p00: SIMD16<Float>, p10: SIMD16<Float>, p01: SIMD16<Float>, p11: SIMD16<Float>
    @_transparent init(_ p: UnsafePointer<Float>, _ rs: Int, _ d: Int) {
        p00 = load16(p); p10 = load16(p + rs); p01 = load16(p + d); p11 = load16(p + rs + d)
    }
    /// As `bilerp16` (same operation order).
    @_transparent func blend(_ wi: Float, _ wj: Float) -> SIMD16<Float> {
        (1 - wi) * (1 - wj) * p00 + wi * (1 - wj) * p10 + (1 - wi) * wj * p01 + wi * wj * p11
    }
    /// (∂b/∂u_i, ∂b/∂u_j) · gb.
    @_transparent func slopes(_ wi: Float, _ wj: Float, _ gb: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
        (((1 - wj) * (p10 - p00) + wj * (p11 - p01)) * gb, ((1 - wi) * (p01 - p00) + wi * (p11 - p10)) * gb)
    }
}

/// Adds one set's ∂L/∂b (`gb`) into the four plane-gradient corners at `q` (weights as `bilerp16`).
@_transparent func scatterPlane16(_ q: UnsafeMutablePointer<Float>, _ rs: Int, _ d: Int, _ wi: Float, _ wj: Float,
                                  _ gb: SIMD16<Float>) {
    store16(load16(q) + (1 - wi) * (1 - wj) * gb, q)
    store16(load16(q + rs) + wi * (1 - wj) * gb, q + rs)
    store16(load16(q + d) + (1 - wi) * wj * gb, q + d)
    store16(load16(q + rs + d) + wi * wj * gb, q + rs + d)
}

/// Adds one set's ∂L/∂l (`gl`) into the two line-gradient points at `q`.
@_transparent func scatterLine16(_ q: UnsafeMutablePointer<Float>, _ d: Int, _ w: Float, _ gl: SIMD16<Float>) {
    store16(load16(q) + (1 - w) * gl, q)
    store16(load16(q + d) + w * gl, q + d)
}

extension GridPointers {
    /// All Gaussians' gradients for this level (see `PlaneQuery.backward`), visited in `order`
    /// (`SpatialOrder`; fixed, so sums are deterministic). dF row i (`permutedRows`) or order[i];
    /// `gX` [N, 3] is written in visiting order. Straight-line per set; the plane and line values are re-read, not cached.
    func backward(count n: Int, order: UnsafePointer<Int32>, permutedRows: Bool, positions x: UnsafePointer<Float>, fusion: AudioPlaneConfig.Fusion,
                  featureGradient dF: UnsafePointer<Float>, ldf: Int,
                  planeGradient gP: UnsafeMutablePointer<Float>, lineGradient gL: UnsafeMutablePointer<Float>?,
                  audioGradient gA: UnsafeMutablePointer<Float>?, positionGradient gX: UnsafeMutablePointer<Float>) {
        let rs = r * d
        let blocks = d / 16
        let faSum = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: blocks)
        faSum.initialize(repeating: .zero, count: blocks)
        defer { faSum.deallocate() }
        let one = SIMD16<Float>(repeating: 1)
        for i in 0..<n {
            let g = Int(order[i])
            let xg = x + 3 * g
            let cx = gridCell(xg[0], r), cy = gridCell(xg[1], r), cz = gridCell(xg[2], r)
            let o = offsets(cx.i0, cy.i0, cz.i0)
            var dux = SIMD16<Float>.zero, duy = SIMD16<Float>.zero, duz = SIMD16<Float>.zero   // ∂L/∂u per axis (lanes)
            let row = dF + (permutedRows ? i : g) * ldf
            for bi in 0..<blocks {
                let c = bi * 16
                // Recompute b_t, l_t, v_t for the three sets: 0 = (X, Y, Z), 1 = (X, Z, Y), 2 = (Y, Z, X).
                // Every grid value is loaded before any gradient store: the compiler cannot prove the
                // gradient arrays distinct from the grids (and equal offsets in page-aligned arrays
                // 4K-alias), so loads after the stores would be reissued and stall.
                let q0 = Corners16(planes + o.p0 + c, rs, d), q1 = Corners16(planes + o.p1 + c, rs, d)
                let q2 = Corners16(planes + o.p2 + c, rs, d)
                let b0 = q0.blend(cx.t, cy.t), b1 = q1.blend(cx.t, cz.t), b2 = q2.blend(cy.t, cz.t)
                var l0 = one, l1 = one, l2 = one, a = one
                var e0 = SIMD16<Float>.zero, e1 = SIMD16<Float>.zero, e2 = SIMD16<Float>.zero   // line slopes
                if let lines, let audio {
                    a = load16(audio + c)
                    let m0 = load16(lines + o.l0 + c), n0 = load16(lines + o.l0 + d + c)
                    let m1 = load16(lines + o.l1 + c), n1 = load16(lines + o.l1 + d + c)
                    let m2 = load16(lines + o.l2 + c), n2 = load16(lines + o.l2 + d + c)
                    l0 = (1 - cz.t) * m0 + cz.t * n0; e0 = n0 - m0
                    l1 = (1 - cy.t) * m1 + cy.t * n1; e1 = n1 - m1
                    l2 = (1 - cx.t) * m2 + cx.t * n2; e2 = n2 - m2
                }
                var g0: SIMD16<Float>, g1: SIMD16<Float>, g2: SIMD16<Float>
                switch fusion {
                case .concat: g0 = load16(row + c); g1 = load16(row + d + c); g2 = load16(row + 2 * d + c)
                case .add: g0 = load16(row + c); g1 = g0; g2 = g0
                case .multiply:
                    let v0 = b0 * l0 * a, v1 = b1 * l1 * a, v2 = b2 * l2 * a
                    let gf = load16(row + c)
                    g0 = gf * v1 * v2; g1 = gf * v0 * v2; g2 = gf * v0 * v1
                }
                let hasLines = lines != nil
                let gb0 = hasLines ? g0 * l0 * a : g0, gb1 = hasLines ? g1 * l1 * a : g1, gb2 = hasLines ? g2 * l2 * a : g2
                let s0 = q0.slopes(cx.t, cy.t, gb0), s1 = q1.slopes(cx.t, cz.t, gb1), s2 = q2.slopes(cy.t, cz.t, gb2)
                scatterPlane16(gP + o.p0 + c, rs, d, cx.t, cy.t, gb0)
                scatterPlane16(gP + o.p1 + c, rs, d, cx.t, cz.t, gb1)
                scatterPlane16(gP + o.p2 + c, rs, d, cy.t, cz.t, gb2)
                var k0 = SIMD16<Float>.zero, k1 = SIMD16<Float>.zero, k2 = SIMD16<Float>.zero
                if lines != nil, let gL {
                    var fs = faSum[bi]
                    fs += g0 * b0 * l0
                    let gl0 = g0 * b0 * a
                    fs += g1 * b1 * l1
                    let gl1 = g1 * b1 * a
                    fs += g2 * b2 * l2
                    let gl2 = g2 * b2 * a
                    faSum[bi] = fs
                    scatterLine16(gL + o.l0 + c, d, cz.t, gl0); k0 = e0 * gl0
                    scatterLine16(gL + o.l1 + c, d, cy.t, gl1); k1 = e1 * gl1
                    scatterLine16(gL + o.l2 + c, d, cx.t, gl2); k2 = e2 * gl2
                }
                dux += s0.0 + s1.0 + k2
                duy += s0.1 + s2.0 + k1
                duz += k0 + s1.1 + s2.1
            }
            gX[3 * i] = dux.sum() * cx.slope          // visiting order
            gX[3 * i + 1] = duy.sum() * cy.slope
            gX[3 * i + 2] = duz.sum() * cz.slope
        }
        if let gA {
            for bi in 0..<blocks { store16(load16(gA + bi * 16) + faSum[bi], gA + bi * 16) }
        }
    }
}
