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
    /// One task per level (tasks write disjoint grids; no atomics); each writes its own position
    /// gradient [N, 3], summed at the end into `positionGradient` (+=). `audioGradient[ℓ]` [D] += ∂L/∂f_a^ℓ.
    static func backward(levels: [PlaneLevel], audio fa: [[Float]], positions: [Float], count n: Int,
                         fusion: AudioPlaneConfig.Fusion, featureGradient dF: [Float], width ldf: Int,
                         gradients: inout [PlaneLevel], audioGradient: inout [[Float]], positionGradient: inout [Float]) {
        let levelCount = levels.count
        var columns: [Int] = []
        var col = 0
        for level in levels { columns.append(col); col += levelWidth(level.dimension, fusion) }
        var perLevelPositions = [[Float]](repeating: [Float](repeating: 0, count: 3 * n), count: levelCount)
        perLevelPositions.withUnsafeMutableBufferPointer { posBuffers in
        gradients.withUnsafeMutableBufferPointer { gl in
        audioGradient.withUnsafeMutableBufferPointer { ga in
        dF.withUnsafeBufferPointer { dfp in
        positions.withUnsafeBufferPointer { xp in
            parallelFor(0..<levelCount, chunk: 1) { range in
                for li in range {
                    let level = levels[li]
                    level.planes.data.withUnsafeBufferPointer { pp in
                    level.lines.data.withUnsafeBufferPointer { lp in
                    fa[li].withUnsafeBufferPointer { ap in
                    gl[li].planes.data.withUnsafeMutableBufferPointer { gpp in
                    gl[li].lines.data.withUnsafeMutableBufferPointer { glp in
                    ga[li].withUnsafeMutableBufferPointer { gap in
                    posBuffers[li].withUnsafeMutableBufferPointer { gxp in
                        let grids = GridPointers(level: level, planes: pp.baseAddress!, lines: lp.baseAddress, audio: ap.baseAddress)
                        grids.backward(count: n, positions: xp.baseAddress!, fusion: fusion,
                                       featureGradient: dfp.baseAddress! + columns[li], ldf: ldf,
                                       planeGradient: gpp.baseAddress!, lineGradient: glp.baseAddress,
                                       audioGradient: gap.baseAddress, positionGradient: gxp.baseAddress!)
                    }}}}}}}
                }
            }
        }}}}}
        positionGradient.withUnsafeMutableBufferPointer { out in
            for buffer in perLevelPositions { for i in 0..<(3 * n) { out[i] += buffer[i] } }
        }
    }
}

extension GridPointers {
    /// All Gaussians' gradients for this level (see `PlaneQuery.backward`).
    func backward(count n: Int, positions x: UnsafePointer<Float>, fusion: AudioPlaneConfig.Fusion,
                  featureGradient dF: UnsafePointer<Float>, ldf: Int,
                  planeGradient gP: UnsafeMutablePointer<Float>, lineGradient gL: UnsafeMutablePointer<Float>?,
                  audioGradient gA: UnsafeMutablePointer<Float>?, positionGradient gX: UnsafeMutablePointer<Float>) {
        let rowStride = r * d
        let blocks = d / 16
        var faSum = [SIMD16<Float>](repeating: .zero, count: blocks)
        for g in 0..<n {
            let xg = x + 3 * g
            let cx = gridCell(xg[0], r), cy = gridCell(xg[1], r), cz = gridCell(xg[2], r)
            let i0 = SIMD3(cx.i0, cy.i0, cz.i0), f = SIMD3(cx.t, cy.t, cz.t)
            var du = (SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero)   // ∂L/∂u per axis (lanes)
            let ks = (corners(0, i0, f), corners(1, i0, f), corners(2, i0, f))
            let row = dF + g * ldf
            for bi in 0..<blocks {
                let c = bi * 16
                // Recompute b_t, l_t, v_t for the three sets.
                var b = (SIMD16<Float>.zero, SIMD16<Float>.zero, SIMD16<Float>.zero)
                var l = (SIMD16<Float>(repeating: 1), SIMD16<Float>(repeating: 1), SIMD16<Float>(repeating: 1))
                let a = audio.map { load16($0 + c) } ?? SIMD16<Float>(repeating: 1)
                func lookup(_ k: (p00: Int, lo: Int, wi: Float, wj: Float, wk: Float)) -> (SIMD16<Float>, SIMD16<Float>) {
                    let p = planes + k.p00 + c
                    let bv = (1 - k.wi) * (1 - k.wj) * load16(p) + k.wi * (1 - k.wj) * load16(p + rowStride)
                        + (1 - k.wi) * k.wj * load16(p + d) + k.wi * k.wj * load16(p + rowStride + d)
                    guard let lines else { return (bv, SIMD16<Float>(repeating: 1)) }
                    let lv = (1 - k.wk) * load16(lines + k.lo + c) + k.wk * load16(lines + k.lo + d + c)
                    return (bv, lv)
                }
                (b.0, l.0) = lookup(ks.0); (b.1, l.1) = lookup(ks.1); (b.2, l.2) = lookup(ks.2)
                let v = (b.0 * l.0 * a, b.1 * l.1 * a, b.2 * l.2 * a)
                var gv: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
                switch fusion {
                case .concat: gv = (load16(row + c), load16(row + d + c), load16(row + 2 * d + c))
                case .add: let g0 = load16(row + c); gv = (g0, g0, g0)
                case .multiply: let g0 = load16(row + c); gv = (g0 * v.1 * v.2, g0 * v.0 * v.2, g0 * v.0 * v.1)
                }
                func scatter(_ t: Int, _ k: (p00: Int, lo: Int, wi: Float, wj: Float, wk: Float),
                             _ g: SIMD16<Float>, _ bt: SIMD16<Float>, _ lt: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                    let gb = lines != nil ? g * lt * a : g
                    let p = planes + k.p00 + c, q = gP + k.p00 + c
                    store16(load16(q) + (1 - k.wi) * (1 - k.wj) * gb, q)
                    store16(load16(q + rowStride) + k.wi * (1 - k.wj) * gb, q + rowStride)
                    store16(load16(q + d) + (1 - k.wi) * k.wj * gb, q + d)
                    store16(load16(q + rowStride + d) + k.wi * k.wj * gb, q + rowStride + d)
                    let p00 = load16(p), p10 = load16(p + rowStride), p01 = load16(p + d), p11 = load16(p + rowStride + d)
                    let dui = ((1 - k.wj) * (p10 - p00) + k.wj * (p11 - p01)) * gb
                    let duj = ((1 - k.wi) * (p01 - p00) + k.wi * (p11 - p10)) * gb
                    var duk = SIMD16<Float>.zero
                    if let lines, let gL {
                        let gl = g * bt * a
                        faSum[bi] += g * bt * lt
                        let lq = gL + k.lo + c
                        store16(load16(lq) + (1 - k.wk) * gl, lq)
                        store16(load16(lq + d) + k.wk * gl, lq + d)
                        duk = (load16(lines + k.lo + d + c) - load16(lines + k.lo + c)) * gl
                    }
                    return (dui, duj, duk)
                }
                // Set 0 = (X, Y, Z), 1 = (X, Z, Y), 2 = (Y, Z, X).
                let s0 = scatter(0, ks.0, gv.0, b.0, l.0)
                let s1 = scatter(1, ks.1, gv.1, b.1, l.1)
                let s2 = scatter(2, ks.2, gv.2, b.2, l.2)
                du.0 += s0.0 + s1.0 + s2.2
                du.1 += s0.1 + s2.0 + s1.2
                du.2 += s0.2 + s1.1 + s2.1
            }
            gX[3 * g] = du.0.sum() * cx.slope
            gX[3 * g + 1] = du.1.sum() * cy.slope
            gX[3 * g + 2] = du.2.sum() * cz.slope
        }
        if let gA {
            for bi in 0..<blocks { store16(load16(gA + bi * 16) + faSum[bi], gA + bi * 16) }
        }
    }
}
