import TensorCore

extension TalkingHeadDataset {
    /// A debugging view of a frame (`audioplane dataset show`): the ground-truth image with the head
    /// mask outlined (blue), the mouth mask tinted (red), the lips rectangle (yellow), the landmarks
    /// (green; lips magenta) and, when `headBox` (min, max in the head frame) is given, its 12 edges
    /// projected with the frame's camera (cyan) — if everything lines up, the dataset is consistent.
    public static func overlay(_ frame: TalkingHeadFrame, headBox: (min: SIMD3<Float>, max: SIMD3<Float>)? = nil) -> Image8 {
        var image = frame.groundTruth
        image.outline(frame.headMask, [40, 90, 255])
        image.tint(frame.mouthMask, [255, 40, 40], opacity: 0.35)
        image.rectangle(frame.lipsRectangle, [255, 220, 0])
        if let box = headBox {
            var corners: [SIMD2<Float>] = []
            var depths: [Float] = []
            for k in 0..<8 {
                let p = SIMD3<Float>(k & 1 == 0 ? box.min.x : box.max.x, k & 2 == 0 ? box.min.y : box.max.y, k & 4 == 0 ? box.min.z : box.max.z)
                let (pixel, depth) = frame.camera.project(p)
                corners.append(pixel); depths.append(depth)
            }
            for a in 0..<8 { for bit in [1, 2, 4] where a & bit == 0 && depths[a] > 0 && depths[a | bit] > 0 {
                image.line(corners[a], corners[a | bit], [0, 230, 230])
            } }
        }
        for (k, p) in frame.landmarks.points.enumerated() {
            image.dot(p, radius: 1, Landmarks.lips.contains(k) ? [255, 0, 255] : [0, 255, 0])
        }
        return image
    }
}
